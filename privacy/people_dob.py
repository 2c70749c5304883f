"""Dates of birth: a date (or a birth year) right after a birth cue (fast tier, rules).

Detected: "born on 12 March 1985", "born March 12, 1985", "DOB: 1985-03-12", "D.O.B. 03/12/85",
"date of birth 03/12/85", "birthday is 4th of July 1990", "my birthday: July 4", "født 12.03.1985",
"fødselsdato: 12.03.85", "født den 3. mai 1990", "geboren am 12.03.1985", "Geburtsdatum: 12. März
1985", "née le 5 mai 1980", "fecha de nacimiento: 12/03/1985", "född 1985-03-12"; a year alone
after a strong cue ("DOB: 1985", "født i 1985", "geboren 1985"), after "born" with no "in"
("age 34, born 1990") or when a person is the one born ("I was born in 1985", "my son was born
in 2015").

Deliberately not detected: dates without a birth cue ("released on 12 March 1985", "meeting on
2024-03-12": that is every date in every changelog), "born-again", "newborn", "reborn", and a
thing's birth year ("the project was born in 2019": no person before "born"). A thing born on
a full date ("the project was born on 12 March 2019") is flagged: rare, and a local answer is
the cheap mistake. Ages alone ("I am 34") are not dates of birth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_DATE_OF_BIRTH, Hit

__all__ = ["dates_of_birth"]

_MONTHS: Final = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    "|januar|februar|mars|mai|juni|juli|oktober|desember|des|okt"  # Norwegian / Danish
    "|märz|maerz|dezember|dez|januari|februari|maj|augusti|oktober"  # German / Swedish
    "|janvier|février|fevrier|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre"
    "|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)
_DAY: Final = r"(?:0?[1-9]|[12][0-9]|3[01])(?![0-9])"
_YEAR: Final = r"(?:19|20)[0-9]{2}"
_DATE: Final = (
    rf"(?:{_DAY}[./-](?:0?[1-9]|1[0-2])[./-](?:{_YEAR}|[0-9]{{2}})"  # 12.03.1985, 12/03/85
    rf"|(?:0?[1-9]|1[0-2])[./-]{_DAY}[./-](?:{_YEAR}|[0-9]{{2}})"  # 03/12/85 (US)
    rf"|{_YEAR}[./-](?:0?[1-9]|1[0-2])[./-]{_DAY}"  # 1985-03-12
    rf"|{_DAY}(?:st|nd|rd|th|\.)?(?:[ \t]+of)?[ \t]*[ -](?i:{_MONTHS})\.?,?(?:[ \t-]+{_YEAR})?"  # 4th of July 1990
    rf"|(?i:{_MONTHS})\.?[ \t]+{_DAY}(?:st|nd|rd|th)?,?(?:[ \t]+{_YEAR})?"  # March 12, 1985
    rf"|(?i:{_MONTHS})[ \t]+{_YEAR})"  # March 1985
)
# Cues after which a year alone is a birth year.
_STRONG_CUES: Final = (
    r"date[ \t_-]*of[ \t_-]*birth|birth[ \t_-]*date|birthdate|d\.o\.b\.?|dob|fødselsdato|fødselsdag|født|fødd|f\.dato"
    r"|geburtsdatum|geburtstag|geboren|geb\.|date[ \t]+de[ \t]+naissance|née?|fecha[ \t]+de[ \t]+nacimiento"
    r"|nacid[oa]|född|födelsedatum|födelsedag|birthday|bday|b-day"
)
_GAP: Final = r"\s*[:=,?\"']{0,3}\s*(?:(?i:is|was|on|in|am|den|le|el|the|i|er|ist|:)[ \t]+){0,3}"
_STRONG_RE: Final = re.compile(rf"(?<![\w-])(?i:{_STRONG_CUES})(?![\w-]){_GAP}(?P<date>{_DATE}|{_YEAR}\b)")
_BORN_RE: Final = re.compile(
    rf"(?<![\w-])(?i:born|b\.)(?![\w-])[ \t]*[:,]?[ \t]*(?P<on>(?i:on|in)[ \t]+)?(?:(?i:the)[ \t]+)?"
    rf"(?P<date>{_DATE}|{_YEAR}\b)"
)
# The cue after the date: "Ich bin am 01.04.1987 geboren", "jeg ble 12.03.1985 født".
_DATE_THEN_CUE_RE: Final = re.compile(
    rf"(?P<date>{_DATE})[ \t]+(?i:geboren|født|fødd|born|née?|nacid[oa]|född)(?![\w-])"
)
# A person as the one born, shortly before "born": "I was", "she was", "my son was", "age 34,".
_PERSON_BEFORE_RE: Final = re.compile(
    r"(?i:\b(?:i|i'm|we|he|she|they|you|my|his|her|our|their|mr|mrs|ms|dr|age|aged)\b)[^.!?\n]{0,30}$"
)
_GATES: Final = (
    "born",
    "b.",
    "birth",
    "dob",
    "d.o.b",
    "fød",
    "geb",
    "naissance",
    "né",
    "nacimiento",
    "nacid",
    "föd",
    "bday",
    "b-day",
)


def _hit(m: re.Match[str]) -> Hit:
    value = m.group("date")
    masked = "".join("*" if ch.isalnum() else ch for ch in value)
    return Hit(m.start(), m.end(), KIND_DATE_OF_BIRTH, "date of birth", masked)


def dates_of_birth(text: str) -> Iterator[Hit]:
    """Dates and birth years after a birth cue."""
    lower = text.lower()
    if not any(gate in lower for gate in _GATES) or not any(d in text for d in "0123456789"):
        return
    for m in _STRONG_RE.finditer(text):
        yield _hit(m)
    for m in _DATE_THEN_CUE_RE.finditer(text):
        yield _hit(m)
    for m in _BORN_RE.finditer(text):
        year_only = m.group("date").isdigit()
        if year_only and m.group("on") and not _PERSON_BEFORE_RE.search(text, max(0, m.start() - 40), m.start()):
            continue  # "the project was born in 2019"
        yield _hit(m)
