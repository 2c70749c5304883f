"""Person names that a rule can see without a model: names after a personal cue or a title.

Detected (fast tier, no NER):

* a name after a self-introduction, in any case: "my name is jane doe", "call me Sam", "jeg heter
  Kari", "mitt navn er", "ich heiße", "je m'appelle", "me llamo", "ik heet", "his name is";
* a capitalised name after a weaker cue: "I'm Ola", "Dear Anna", "Kjære Per", "Hi, this is Tom",
  "my wife/boss/doctor Kari", "min kollega Per", "kontakt Ola" (form labels: `people_forms`);
* a name closing a message or line after a sign-off: "Regards, Per", "Thanks,\\nAnna", "hilsen Per",
  "Mvh Siri Larsen" (lower case too after formal sign-offs: "mvh kari");
* a capitalised word after a title: "Mr. Mayers", "Dr Garcia", "Herr Müller", "Fru Hansen".

Deliberately not detected here: a single bare first name without a cue ("ask Kari") — the lead's
policy counts single names only with a personal cue — and full names in prose, which the NER tier
(`people_ner`) finds, lower-case ones after a contact cue ("please email jane doe") included
(`people_cues`). Lower-case full names with no cue are missed: that needs a name list we do not ship.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_PERSON_NAME, Hit
from .people_words import FUNCTION_WORDS, NOT_A_NAME, NOT_ADDRESSED, TECH_WORDS, TITLES

__all__ = ["cue_names", "lowered", "mask_name", "titled_names"]

_WORD: Final = r"[^\W\d_](?:[^\W\d_]|['’-])*(?![\w])"  # letters only: "VobJ8A" is base64, not a name
_NAME: Final = rf"(?P<name>{_WORD}(?:[ \t]+{_WORD}){{0,2}})"

# Self-introductions: what follows is a name whatever its case ("my name is jane doe").
_STRONG: Final = (
    r"my\s+(?:full\s+|first\s+|last\s+|given\s+|real\s+|sur)?name\s+is|my\s+name's|(?:his|her|their)\s+name\s+is"
    r"|i\s+am\s+called|i'm\s+called|(?:you\s+can\s+|they\s+|people\s+|just\s+)?call\s+me"
    r"|jeg\s+heter|eg\s+heiter|(?:han|hun|hen)\s+heter|mitt\s+navn\s+er|navnet\s+mitt\s+er|mit\s+navn\s+er"
    r"|jag\s+heter|mitt\s+namn\s+är|ich\s+heiße|ich\s+heisse|mein\s+name\s+ist|je\s+m'appelle|me\s+llamo"
    r"|mi\s+nombre\s+es|ik\s+heet|mijn\s+naam\s+is"
)
_RELATIONS: Final = (
    "wife husband partner spouse son daughter child kid mom mum mother dad father brother sister uncle aunt "
    "cousin nephew niece grandma grandmother grandpa grandfather friend boyfriend girlfriend fiancé fiancée "
    "fiance fiancee colleague coworker co-worker boss manager doctor dentist lawyer teacher neighbour neighbor "
    "landlord landlady tenant roommate flatmate patient therapist nurse supervisor girl boy baby"
)
_RELATIONS_NO: Final = (
    "kone mann ektemann sønn datter barn mor far mamma pappa bror søster venn venninne kollega sjef lege "
    "tannlege advokat lærer nabo samboer kjæreste onkel tante fetter kusine bestemor bestefar pasient"
)
_RELATION_ADJECTIVES: Final = "little|big|older|younger|eldest|oldest|youngest|baby|best|dear|late|old|new|ex"
# Weaker cues: the name must be capitalised ("I'm Ola", not "I'm trying").
_WEAK: Final = (
    r"i'm|i\s+am|dear|kjære|liebe|lieber|(?:hi|hello|hey|hei)[,!]?\s+(?:this\s+is|it's|it\s+is|dette\s+er|det\s+er)"
    r"|kontakt(?:person)?:?|contact\s+person:?"
    rf"|(?:my|our|his|her)\s+(?:(?:{_RELATION_ADJECTIVES})\s+)?(?:{'|'.join(_RELATIONS.split())}),?"
    rf"|(?:min|mitt|vår|vårt)\s+(?:{'|'.join(_RELATIONS_NO.split())}),?"
    rf"|(?:{'|'.join(_RELATIONS_NO.split())})(?:en|a|et)?\s+(?:min|mi|mitt|vår)"  # "datteren min Ingrid"
)
_SIGNOFF_FORMAL: Final = (
    r"(?:best\s+|kind\s+|warm\s+|warmest\s+)?regards|sincerely|yours\s+(?:truly|sincerely|faithfully)"
    r"|(?:med\s+)?(?:vennlig|venlig|beste)\s+hilsen|hilsen|helsing|hilsing|mvh|vh|hälsningar|vänliga\s+hälsningar"
    r"|mit\s+freundlichen\s+grüßen|(?:viele\s+|liebe\s+)?grüße|mfg|groeten|cordialement|saludos"
)
_SIGNOFF_CASUAL: Final = r"cheers|best|thanks|thank\s+you|many\s+thanks|takk|love|xoxo"

# The cue patterns run on lower-cased text and start with a plain alternation, so `re` can skip
# to candidate first letters; (?i) or a leading look-behind made them ~10x slower (measured).
# Word boundaries before the cue are checked in code (`_starts_word`).
_STRONG_RE: Final = re.compile(rf"(?:{_STRONG})[ \t]*[,:]?[ \t]+{_NAME}")
_WEAK_RE: Final = re.compile(rf"(?:{_WEAK})[ \t]+{_NAME}")
_SIGNOFF_RE: Final = re.compile(
    rf"(?:(?P<formal>{_SIGNOFF_FORMAL})|{_SIGNOFF_CASUAL})(?!\w)\.?[ \t]*[,!]?[ \t]*\n?[ \t]*{_NAME}"
    r"[ \t]*[.!]?[ \t]*(?:\n|$)"
)
_TITLE_RE: Final = re.compile(
    r"(?:mrs|mr|ms|mx|dr|prof|herr|frau|fru|frk|mme|mlle|(?P<word>miss|sir|dame|madame|monsieur|señora|señor))"
    rf"(?P<dot>\.?)[ \t]+(?P<name>{_WORD})"
)
# Anchors: distinctive words inside each cue. The patterns run only in small windows around them
# (a scan of a whole 2,000-character message cost 90-370 µs a pattern; a window costs ~2 µs).
_STRONG_ANCHORS: Final = ("name", "call", "het", "navn", "namn", "heiß", "heiss", "appelle", "llamo", "nombre", "naam")
_WEAK_ANCHORS: Final = (
    "i'm",
    "i am",
    "dear",
    "kjære",
    "lieb",
    "hi",
    "hello",
    "hey",
    "hei",
    "kontakt",
    "contact",
    "my ",
    "our ",
    "his ",
    "her ",
    "min ",
    "mitt ",
    "vår",
)
_SIGNOFF_ANCHORS: Final = (
    "regards",
    "best",
    "kind",
    "warm",
    "sincerely",
    "yours",
    "med",
    "vennlig",
    "venlig",
    "beste",
    "hilsen",
    "helsing",
    "hilsing",
    "mvh",
    "vh",
    "hälsningar",
    "vänliga",
    "mit",
    "viele",
    "liebe",
    "grüße",
    "mfg",
    "groeten",
    "cordialement",
    "saludos",
    "cheers",
    "thank",
    "many",
    "takk",
    "love",
    "xoxo",
)
_TITLE_ANCHORS: Final = (
    "mr",
    "ms",
    "mx",
    "dr",
    "prof",
    "herr",
    "frau",
    "fru",
    "frk",
    "mme",
    "mlle",
    "miss",
    "sir",
    "dame",
    "madame",
    "monsieur",
    "señor",
)
_NOT_AFTER_TITLE: Final = (FUNCTION_WORDS - {"may", "will"}) | TITLES
_TAIL: Final = 96  # a sign-off, a newline and a three-word name
_BACK: Final = 32  # the longest cue text before its anchor ("you can call", "navnet mitt")
_AHEAD: Final = 72  # the anchor, the rest of the cue and a three-word name


def mask_name(name: str) -> str:
    """ "Kari Nordmann" → "K*** N***": initials only."""
    return " ".join(f"{word[0]}***" for word in name.split())


def _hit(text: str, m: re.Match[str], words: list[str]) -> Hit:
    start = m.start("name")
    # The words were split on spaces/tabs: find where the last kept one ends in the match.
    offset = 0
    for word in words:
        offset = text.index(word, start + offset) - start + len(word)
    end = start + offset
    return Hit(start, end, KIND_PERSON_NAME, "person's name", mask_name(" ".join(words)))


def _name_words(raw: str, *, any_case: bool) -> list[str]:
    """The words of a cue's name that look like one; [] when the first does not."""
    words = raw.split()
    first = words[0]
    lower = first.lower()
    if len(first) < 2 or lower in NOT_A_NAME or lower in TECH_WORDS or lower in NOT_ADDRESSED:
        return []
    if first.isupper() and len(first) <= 3 and not any_case:
        return []  # "I'm OK", "Dear HR"
    if not first[0].isupper() and (not any_case or (len(lower) >= 5 and lower.endswith("ing"))):
        return []
    capitalised = first[0].isupper()
    kept = [first]
    for word in words[1:]:
        if word.lower() in FUNCTION_WORDS or word.lower() in TECH_WORDS or word[0].isupper() != capitalised:
            break
        kept.append(word)
    return kept


def _gated(lower: str, gates: tuple[str, ...]) -> bool:
    return any(gate in lower for gate in gates)


def _line_tails(lower: str) -> list[tuple[int, int]]:
    """The last characters before each line end: a sign-off and its name close a line (or the one before)."""
    ends = [i for i, ch in enumerate(lower) if ch == "\n"] if "\n" in lower else []
    ends.append(len(lower))
    spans: list[tuple[int, int]] = []
    for end in ends:
        lo = max(0, end - _TAIL)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((lo, end))
    return spans


def _anchor_positions(lower: str, anchors: tuple[str, ...], *, tails: bool = False) -> set[int]:
    """Where each anchor starts a word (in the line tails only, when *tails*)."""
    found = set()
    for lo, hi in _line_tails(lower) if tails else [(0, len(lower))]:
        for anchor in anchors:
            at = lower.find(anchor, lo, hi)
            while at != -1:
                if _starts_word(lower, at):
                    found.add(at)
                at = lower.find(anchor, at + 1, hi)
    return found


def _windows(lower: str, anchors: tuple[str, ...], back: int) -> list[tuple[int, int]]:
    spans = sorted((max(0, at - back), min(len(lower), at + _AHEAD)) for at in _anchor_positions(lower, anchors))
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _near(lower: str, pattern: re.Pattern[str], anchors: tuple[str, ...], back: int) -> Iterator[re.Match[str]]:
    """Matches of *pattern* that start at a word boundary, searched only around *anchors*."""
    for lo, hi in _windows(lower, anchors, back):
        for m in pattern.finditer(lower, lo, hi):
            if _starts_word(lower, m.start()):
                yield m


def lowered(text: str) -> str:
    """Lower case with the same offsets ("İ".lower() is two characters: keep the first)."""
    lower = text.lower()
    return lower if len(lower) == len(text) else "".join(ch.lower()[:1] for ch in text)


def _starts_word(text: str, at: int) -> bool:
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] in "_'’-")


def _starts_line_or_clause(text: str, at: int) -> bool:
    """A sign-off opens a line or follows a sentence: "… Regards, Per", not "I love Oslo"."""
    before = text[:at].rstrip(" \t")
    return not before or before[-1] in "\n.!?,;"


def _original(text: str, m: re.Match[str]) -> str:
    return text[m.start("name") : m.end("name")]


def cue_names(text: str) -> Iterator[Hit]:
    """Names after a self-introduction, a relation, a greeting, a form label or a sign-off."""
    lower = lowered(text)
    for pattern, anchors, any_case in ((_STRONG_RE, _STRONG_ANCHORS, True), (_WEAK_RE, _WEAK_ANCHORS, False)):
        for m in _near(lower, pattern, anchors, _BACK):
            words = _name_words(_original(text, m), any_case=any_case)
            if words:
                yield _hit(text, m, words)
    yield from _signoffs(text, lower)


def _signoffs(text: str, lower: str) -> Iterator[Hit]:
    # Matched at each anchor, not searched in a window: the name must run to the end of its line.
    for at in sorted(_anchor_positions(lower, _SIGNOFF_ANCHORS, tails=True)):
        m = _SIGNOFF_RE.match(lower, at)
        if m is None or not _starts_line_or_clause(lower, at):
            continue
        raw = _original(text, m)
        words = _name_words(raw, any_case=m.group("formal") is not None)
        # The whole rest of the line must be the name: "Thanks, Everything works" is prose.
        if words and len(words) == len(raw.split()):
            yield _hit(text, m, words)


def titled_names(text: str) -> Iterator[Hit]:
    """A capitalised word after a title: "Mr. May", "Dr Garcia", "Fru Hansen"."""
    lower = lowered(text)
    for m in _near(lower, _TITLE_RE, _TITLE_ANCHORS, 0):
        name = _original(text, m)
        if not name[0].isupper() or len(name) < 2 or lower[: m.start()].rstrip()[-1:].isdigit():
            continue  # "840 ms. Version 5": a unit, not a title
        if m.group("word") and not (m.group("dot") or text[m.start()].isupper()):
            continue  # "i miss Python", "yes sir Thanks"
        # After a title even "May" or "Will" is a name; only articles and the like are not.
        if name.lower() not in _NOT_AFTER_TITLE:
            yield _hit(text, m, [name])
