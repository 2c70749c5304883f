"""Street and postal addresses in prose, by rule (fast tier; no NER needed).

Detected:

* English, number first: "42 Maple Street", "221B Baker Street", "1600 Pennsylvania Ave NW",
  "350 Fifth Avenue" — a house number, 1-4 capitalised words and a street type (Street/St,
  Avenue/Ave, Road/Rd, Lane, Drive, Court, Place, Way, Boulevard, Square, Terrace, ...);
* Nordic, German and Dutch, number after: "Storgata 5", "Kirkeveien 12B", "Hauptstraße 5",
  "Musterweg 12a", "Drottninggatan 10", "Vesterbrogade 3", "Keizersgracht 123" (a compound ending
  in a street word) and "Karl Johans gate 22", "Berliner Straße 5" (a separate street word);
* Romance: "12 rue de Rivoli", "3, avenue des Champs-Élysées", "Calle Mayor 5", "Via Roma 10";
* post boxes: "PO Box 123", "P.O. Box 12", "Postboks 44", "Postfach 1234", "Postbus 5";
* anything with a house number after an address cue: "I live at 42 maple street", "my address
  is", "address:", "adresse:", "jeg bor i/på", "ich wohne in", "ship to:".

Deliberately not detected: a city, country or postcode alone ("Oslo", "London", "NW1 6XE": they
identify no one), street words without a number ("the main street", "Karl Johans gate"), and
numbers before a street word with no name between ("Version 5 Street Fighter", "Chapter 12 Road
to success"). Airport gates and halls ("Gate 12", "Halle 3") need a name part before the street
word; English words that merely end like one ("Aggregate 5", "Brigade 2") are excluded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_POSTAL_ADDRESS, Hit
from .people_address_extra import extra_addresses
from .people_words import FUNCTION_WORDS, TECH_WORDS

__all__ = ["addresses"]

_CAP: Final = r"[A-ZÀ-ÖØ-Þ][\w'’.-]*"
_NUM_AFTER: Final = r"(?P<num>\d{1,4}(?:[ ]?[A-Za-z])?(?:-\d{1,4})?)(?![\w]|[.,:/-]\d)"
_EN_TYPES: Final = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|Ter"
    "|Crescent|Cres|Close|Square|Sq|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Mews|Gardens|Loop|Plaza|Alley|Row"
)
_EN_RE: Final = re.compile(
    rf"(?<![\w.,/:-])(?:\d{{1,4}}/)?\d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})?,?[ \t]+"  # "3/45": unit/house
    rf"(?P<name>(?:(?:{_CAP}|\d{{1,3}}(?:st|nd|rd|th))[ \t]+)"
    rf"{{1,4}})(?i:{_EN_TYPES})\b\.?"
)
_COMPOUND_SUFFIXES: Final = (
    "gata|gaten|gate|veien|vegen|vei|veg|vägen|väg|gatan|gränd|stien|stig|plassen|plass|torget|torg|bakken|allé"
    "|alle|allee|straße|strasse|str\\.|weg|gasse|platz|gade|vej|stræde|plads|torv|straat|gracht|laan|plein|kade"
    "|singel|dijk|steeg|brygge|kaia"
)
_COMPOUND_RE: Final = re.compile(
    rf"(?<![\w-])(?P<name>[A-ZÆØÅÄÖÜ][\w'’-]*?)(?i:{_COMPOUND_SUFFIXES})(?<=[\w.])[ \t]+{_NUM_AFTER}"
)
_SEPARATE_RE: Final = re.compile(
    rf"(?<![\w-])(?P<name>{_CAP}(?:[ \t]+{_CAP}){{0,2}})[ \t]+"
    r"(?:gate|gata|vei|veg|veien|plass|allé|gade|vej|gatan|vägen|Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Damm"
    rf"|Ring|Ufer|straat|laan)[ \t]+{_NUM_AFTER}"
)
_ROMANCE_RE: Final = re.compile(
    r"(?<!\w)(?:Calle|C/|Avenida|Avda\.?|Plaza|Paseo|Carrer|Rua|Via|Viale|Piazza|Corso|Largo|Travessa|Rue|Boulevard|Quai"
    r"|Am|An der|An den|Auf dem|Auf der|Zum|Zur|Unter den|Hinter der)[ \t]+"
    rf"(?:(?:de|del|de la|da|do|dos|das|della|di|dei|du|des)[ \t]+)?(?P<name>{_CAP}(?:[ \t]+{_CAP}){{0,2}}),?[ \t]+"
    rf"(?:n[º°o.][ \t]*)?{_NUM_AFTER}"
)
# Lower case needs more evidence: a comma and a town after the street ("529 cedar lane, springfield"),
# or a postcode after the number ("fjellveien 60b, 4006 stavanger").
_EN_LOWER_RE: Final = re.compile(
    r"(?<![\w.,/:-])\d{1,5}[a-z]?[ \t]+(?P<name>(?:[a-z][a-z'-]+[ \t]+){1,3})"
    r"(?:street|avenue|road|lane|drive|court|boulevard|place|terrace|crescent|close|grove|gardens|mews|row|way|st|ave"
    r"|rd|ln|dr|blvd)\.?,[ \t]*[a-z]"
)
_COMPOUND_LOWER_RE: Final = re.compile(
    rf"(?<![\w-])(?P<name>[a-zæøåäöü][\w'’-]*?)(?:{_COMPOUND_SUFFIXES})[ \t]+\d{{1,4}}[a-z]?,?[ \t]+\d{{4,5}}(?!\w)"
)
_NOT_STREETS: Final = frozenset(
    "montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar märz april mai juni juli august "
    "september oktober november dezember wochenende ende anfang glück beispiel schluss teil".split()
)
_FRENCH_RE: Final = re.compile(
    r"(?<![\w.,/:-])\d{1,4}(?:[ \t]?(?:bis|ter|[A-Za-z]))?,?[ \t]+"
    r"(?i:rue|avenue|av\.|boulevard|bd|place|allée|chemin|impasse|quai|route|cours|passage)[ \t]+"
    r"(?:(?i:de la|de l'|de|du|des|d'|la|le|l')[ \t]*)?(?P<name>[A-ZÀ-Ý][\w'’-]+)"
)
_PO_BOX_RE: Final = re.compile(
    r"(?<!\w)(?:(?i:p\.?[ \t]?o\.?[ \t]*box|post[ \t]+office[ \t]+box|postboks|postfach|postbus|boîte[ \t]+postale"
    r"|apartado(?:[ \t]+de[ \t]+correos)?)|Box)\.?:?[ \t]*(?P<num>\d{1,6})\b(?![ \t]+(?:of|/|out)[ \t]+\d)"
)
# Runs on lower-cased text; no (?i) and no leading look-behind, which made it ~10x slower.
_CUE_RE: Final = re.compile(
    r"(?:i[ \t]+live[ \t]+(?:at|in)|we[ \t]+live[ \t]+(?:at|in)|i[ \t]+reside[ \t]+at|(?:my|our)[ \t]+"
    r"(?:home[ \t]+|postal[ \t]+|street[ \t]+|mailing[ \t]+|billing[ \t]+|shipping[ \t]+|delivery[ \t]+)?address"
    r"[ \t]+is|(?:home|postal|street|mailing|billing|shipping|delivery|postal)[ \t]+address[ \t]*:|address[ \t]*:"
    r"|adresse[ \t]*:?|adressen[ \t]+(?:min[ \t]+)?er|(?:jeg|vi|eg)[ \t]+bor[ \t]+(?:i|på)|ich[ \t]+wohne[ \t]+in"
    r"|wohnhaft[ \t]+in|anschrift[ \t]*:?|j'habite[ \t]+(?:au|à)|vivo[ \t]+en|ship[ \t]+to[ \t]*:|deliver[ \t]+to"
    r"[ \t]*:|send[ \t]+it[ \t]+to)[ \t]*(?P<rest>[^\n]{0,60})"
)
# After a cue: a word and a house number, either order, the number not part of a dotted run.
_CUE_NUMBER_RE: Final = re.compile(
    r"(?P<word>[^\W\d_]{2,})[.,]?[ \t]+(?P<num>\d{1,5}[A-Za-z]?)(?![\w]|[.:]\d)"
    r"|(?<![\w.:])(?P<num2>\d{1,5}[A-Za-z]?),?[ \t]+(?P<word2>[^\W\d_]{2,})"
)
_STREETISH: Final = re.compile(rf"(?i:{_EN_TYPES}|{_COMPOUND_SUFFIXES}|rue|calle|via)$")
_ENGLISH_LOOKALIKES: Final = frozenset(
    "aggregate delegate navigate investigate propagate mitigate obligate interrogate segregate congregate "
    "surrogate litigate irrigate instigate castigate abrogate arrogate subjugate conjugate promulgate fumigate "
    "relegate legate negate frigate tailgate floodgate tollgate stargate watergate brigade renegade blockade "
    "halle valle string spring".split()
)


_DIGITS_RE: Final = re.compile(r"[0-9]+")
_BEFORE: Final = 64  # room for "Thorvald Meyers gate", "P.O. Box", "Calle de Alcalá," before a number
_AFTER: Final = 72  # room for "4B, 350 Fifth Avenue", "12 rue de la Grande-Truanderie" after one
_BEFORE_SUFFIXES: Final = tuple(x.replace("\\", "") for x in _COMPOUND_SUFFIXES.split("|")) + (
    "gate",
    "vei",
    "veg",
    "allé",
    "gade",
    "vej",
    "straße",
    "strasse",
    "str.",
    "weg",
    "platz",
    "allee",
    "gasse",
    "damm",
    "ring",
    "ufer",
    "straat",
    "laan",
    "box",
    "boks",
    "postfach",
    "postbus",
    "postale",
    "correos",
    "apartado",
    "n°",
    "nº",
    "no.",
)
_ROMANCE: Final = frozenset(
    "Calle C/ Avenida Avda Avda. Plaza Paseo Carrer Rua Via Viale Piazza Corso Largo Travessa Am An Auf Zum Zur "
    "Unter Hinter Rue Boulevard Quai".split()
)
_AFTER_WORDS: Final = frozenset(w.lower() for w in _EN_TYPES.split("|")) | frozenset(
    "rue avenue av boulevard bd place allée chemin impasse quai route cours passage bis ter".split()
)
_CUE_GATES: Final = (
    "live",
    "reside",
    "address",
    "adresse",
    "bor ",
    "wohn",
    "anschrift",
    "habite",
    "vivo",
    "ship",
    "deliver",
    "send it",
)


def _hit(text: str, start: int, end: int) -> Hit:
    value = text[start:end]
    words = value.split()
    # Keep the first letter of each word and hide every digit: "S****** *", "4* M**** S*****".
    masked = " ".join(w[0] + "*" * (len(w) - 1) if not w[0].isdigit() else "*" * len(w) for w in words)
    return Hit(start, end, KIND_POSTAL_ADDRESS, "postal address", masked)


def _triggers(text: str, start: int, end: int) -> tuple[bool, bool]:
    """A cheap look at the words next to a number: (a rule reading before it may match, one after it may)."""
    before = text[max(0, start - _BEFORE) : start].split()[-4:]
    after = text[end : end + _AFTER].replace(",", " ").split()[:6]
    last = before[-1].lower() if before else ""
    by_before = bool(last) and (last.endswith(_BEFORE_SUFFIXES) or any(w in _ROMANCE for w in before))
    return by_before, any(w.lower().rstrip(".,") in _AFTER_WORDS for w in after)


def _merge(spans: list[tuple[int, int]], start: int, end: int) -> None:
    if spans and start <= spans[-1][1]:
        spans[-1] = (spans[-1][0], end)
    else:
        spans.append((start, end))


def _windows(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Merged spans around numbers that may end an address ("Storgata 5") or start one ("42 Maple St")."""
    ending: list[tuple[int, int]] = []
    starting: list[tuple[int, int]] = []
    for m in _DIGITS_RE.finditer(text):
        by_before, by_after = _triggers(text, m.start(), m.end())
        window = max(0, m.start() - _BEFORE), min(len(text), m.end() + _AFTER)
        if by_before:
            _merge(ending, *window)
        if by_after:
            _merge(starting, *window)
    return ending, starting


def _number_first(text: str, lo: int, hi: int) -> Iterator[Hit]:
    for m in _EN_RE.finditer(text, lo, hi):
        words = m.group("name").split()
        if any(w.lower() in TECH_WORDS or w.lower() in FUNCTION_WORDS for w in words):
            continue  # "Top 10 Google Drive", "5 The Way"
        yield _hit(text, m.start(), m.end())
    for m in _EN_LOWER_RE.finditer(text, lo, hi):
        if not any(w in FUNCTION_WORDS or w in TECH_WORDS for w in m.group("name").split()):
            yield _hit(text, m.start(), m.end() - 1)
    for m in _FRENCH_RE.finditer(text, lo, hi):
        if m.group("name").lower() not in TECH_WORDS:
            yield _hit(text, m.start(), m.end())


def _number_last(text: str, lo: int, hi: int) -> Iterator[Hit]:
    for m in _COMPOUND_RE.finditer(text, lo, hi):
        word = m.group()[: m.start("num") - m.start()].strip()
        if len(m.group("name")) >= 2 and word.lower() not in _ENGLISH_LOOKALIKES:
            yield _hit(text, m.start(), m.end())
    for m in _COMPOUND_LOWER_RE.finditer(text, lo, hi):
        if len(m.group("name")) >= 2:
            yield _hit(text, m.start(), m.end())
    for pattern in (_SEPARATE_RE, _ROMANCE_RE):
        for m in pattern.finditer(text, lo, hi):
            names = [w.lower() for w in m.group("name").split()]
            if not any(w in TECH_WORDS or w in _NOT_STREETS for w in names):
                yield _hit(text, m.start(), m.end())
    yield from (_hit(text, m.start(), m.end()) for m in _PO_BOX_RE.finditer(text, lo, hi))


def _cued(text: str, lower: str) -> Iterator[Hit]:
    seen = -1
    for cue in _CUE_GATES:
        at = lower.find(cue)
        while at != -1:
            m = _CUE_RE.search(lower, max(0, at - 12), min(len(lower), at + 100))
            if m is not None and m.start() > seen and not (m.start() > 0 and lower[m.start() - 1].isalnum()):
                seen = m.start()
                yield from _cued_number(text, m)
            at = lower.find(cue, at + 1)


def _cued_number(text: str, m: re.Match[str]) -> Iterator[Hit]:
    rest = text[m.start("rest") : m.end("rest")]
    for n in _CUE_NUMBER_RE.finditer(rest):
        word, num = (n.group("word"), n.group("num")) if n.group("word") else (n.group("word2"), n.group("num2"))
        year = len(num) == 4 and num[:2] in ("19", "20")
        plain = word.lower() in FUNCTION_WORDS or word.lower() in ("since", "until", "from", "for")
        if (year or plain) and not _STREETISH.search(word):
            continue  # "I live in Oslo since 2019", "address: 3 of them"
        yield _hit(text, m.start("rest") + n.start(), m.start("rest") + n.end())
        return


def addresses(text: str) -> Iterator[Hit]:
    """Every street address, post box or cued address in *text* (overlaps resolved by the scanner)."""
    if not any(d in text for d in "0123456789"):
        return  # every rule needs a house or box number
    # The street patterns run only near numbers whose neighbours look right (a full scan of 2,000
    # characters cost ~0.9 ms).
    ending, starting = _windows(text)
    for lo, hi in ending:
        yield from _number_last(text, lo, hi)
    for lo, hi in starting:
        yield from _number_first(text, lo, hi)
    yield from extra_addresses(text)
    lower = text.lower()
    if len(lower) == len(text):
        yield from _cued(text, lower)
