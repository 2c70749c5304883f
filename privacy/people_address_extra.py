"""Street-address layouts beyond `people_address`'s core rules (fast tier, rules).

Detected:

* Polish: "ul. Marszałkowska 10/12", "al. Jerozolimskie 100", "pl. Zbawiciela 4", "os. Słoneczne 3";
* a street word first with a date or article inside: "Straße des 17. Juni 135", "Gran Vía 28";
* English streets with the rarer suffixes that generated addresses use ("568 Kimberly Viaduct Apt.
  842", "0134 Lisa Parkways Suite 210", "89034 Kaylee Pine", "Studio 33, Kelly Ports") — only with
  more evidence than the classic suffixes need, since these are ordinary nouns: a house number of
  three or more digits, a flat/suite before or after, or a US state + ZIP or UK postcode right after;
* US military post: "PSC 1234, Box 5678", "APO AE 09012", "FPO AP 12345".

Deliberately not detected: a short number before a rare suffix with nothing else ("5 Key
Points", "3 Smith Fork"), and numbered roads, which are places, not homes ("Route 66", "Highway
101", "I-95").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_POSTAL_ADDRESS, Hit
from .people_words import FUNCTION_WORDS, TECH_WORDS

__all__ = ["extra_addresses"]

_CAP: Final = r"[A-ZÀ-ÖØ-ÞŁŚŻŹĆŃ][\w'’.-]*"
_NUM: Final = r"\d{1,4}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)?(?![\w]|[.,:-]\d)"
_POLISH_RE: Final = re.compile(
    rf"(?<![\w.])(?i:ul\.|ulica|al\.|aleja|pl\.|plac|os\.|osiedle)[ \t]*(?P<name>{_CAP}(?:[ \t]+{_CAP}){{0,2}})"
    rf",?[ \t]+{_NUM}"
)
_STREET_FIRST_RE: Final = re.compile(
    rf"(?<![\w-])(?:(?:Straße|Strasse|Platz|Allee|Weg)[ \t]+(?:des|der|dem|am|zum|zur)[ \t]+(?:\d{{1,2}}\.[ \t]+)?"
    rf"{_CAP}(?:[ \t]+{_CAP})?|Gran[ \t]+V[ií]a|La[ \t]+Rambla|Rambla)[ \t]+{_NUM}"
)
_RARE_SUFFIXES: Final = (
    "alley|bypass|branch|bridge|brooks?|burgs?|camp|canyon|cape|causeway|centers?|circles?|cliffs?|club|commons?"
    "|corners?|coves?|creeks?|crest|crossing|crossroad|curve|dale|dam|divide|drives|estates?|expressway"
    "|extensions?|falls?|ferry|fields?|flats?|fords?|forest|forges?|forks?|fort|freeway|gardens?|gateway"
    "|glens?|greens?|groves?|harbors?|haven|heights|highway|hills?|hollow|inlet|islands?|isle|junctions?|keys?"
    "|knolls?|lakes?|land|landing|lights?|loaf|locks?|lodge|mall|manors?|meadows?|mills?|mission|motorway|mount"
    "|mountains?|neck|orchard|oval|overpass|parks?|parkways?|pass|passage|path|pike|pines?|plains?|points?"
    "|ports?|prairie|radial|ramp|ranch|rapids?|rest|ridges?|river|roads|route|run|shoals?|shores?|skyway"
    "|springs?|spurs?|squares|station|stravenue|stream|streets|summit|throughway|trace|track|trafficway"
    "|tunnel|turnpike|underpass|unions?|valleys?|viaduct|views?|villages?|ville|vista|walks?|wall|ways|wells?"
)
_SECONDARY: Final = r"(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Studio|Room|#)[ \t]*\d{1,5}[A-Za-z]?"
_POSTCODE: Final = r"(?:[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2})(?!\w)"
_RARE_RE: Final = re.compile(
    rf"(?<![\w.,/:-])(?P<num>\d{{1,5}})[ \t]+(?P<name>{_CAP}(?:[ \t]+{_CAP})?)[ \t]+"
    rf"(?P<type>(?i:{_RARE_SUFFIXES}))(?!\w)"
    rf"(?P<after>[ \t]*(?:,[ \t]*)?{_SECONDARY}|[ \t]*[,\n][^\n]{{0,40}}?{_POSTCODE})?"
    r"(?P<end>[ \t]*(?:[,\n]|$))?"
)
_SECONDARY_FIRST_RE: Final = re.compile(
    rf"(?<!\w){_SECONDARY}[ \t]*[,\n][ \t]*(?P<name>{_CAP}(?:[ \t]+{_CAP})?)[ \t]+(?i:{_RARE_SUFFIXES})(?!\w)"
)
_NUMBER_THEN_CAP_RE: Final = re.compile(r"\d{1,5}[ \t]+[A-ZÀ-ÖØ-Þ]")  # one cheap pass gates _RARE_RE
_MILITARY_RE: Final = re.compile(r"(?<!\w)(?:(?:PSC|CMR|Unit)[ \t]+\d{4}|(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5})")


def _hit(text: str, start: int, end: int) -> Hit:
    words = text[start:end].split()
    masked = " ".join(w[0] + "*" * (len(w) - 1) if not w[0].isdigit() else "*" * len(w) for w in words)
    return Hit(start, end, KIND_POSTAL_ADDRESS, "postal address", masked)


def _plain(name: str) -> bool:
    return not any(w.lower() in FUNCTION_WORDS or w.lower() in TECH_WORDS for w in name.split())


def _rare(text: str) -> Iterator[Hit]:
    for c in _NUMBER_THEN_CAP_RE.finditer(text):
        m = _RARE_RE.match(text, c.start())
        if m is None:
            continue
        # Rare suffixes are ordinary nouns ("100 Data Points"): a long number or a flat/postcode too.
        # Without a flat or postcode the street must end its line or clause: "100 Data Points were" is prose.
        long_number = len(m.group("num")) >= 3 and m.group("end") is not None
        if _plain(m.group("name")) and (long_number or m.group("after")):
            yield _hit(text, m.start(), m.end("after") if m.group("after") else m.end("type"))
    if not any(w in text for w in ("Apt", "Apartment", "Suite", "Ste", "Unit", "Flat", "Studio", "Room", "#")):
        return
    for m in _SECONDARY_FIRST_RE.finditer(text):
        if _plain(m.group("name")):
            yield _hit(text, m.start(), m.end())


def extra_addresses(text: str) -> Iterator[Hit]:
    """Polish, street-first, rare-suffix and military addresses (*text* holds a digit)."""
    lower = text.lower()
    if any(cue in lower for cue in ("ul.", "al.", "pl.", "os.", "plac ", "ulica ", "aleja ", "osiedle ")):
        for m in _POLISH_RE.finditer(text):
            yield _hit(text, m.start(), m.end())
    if any(cue in text for cue in ("Straße ", "Strasse ", "Platz ", "Allee ", "Weg ", "Gran V", "Rambla ")):
        for m in _STREET_FIRST_RE.finditer(text):
            yield _hit(text, m.start(), m.end())
    yield from _rare(text)
    if "PSC" in text or "CMR" in text or "Unit" in text or "PO " in text:
        for m in _MILITARY_RE.finditer(text):
            yield _hit(text, m.start(), m.end())
