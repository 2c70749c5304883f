"""Identifiers known only by the words in front of them, and vehicle identification numbers (VINs).

Most member, patient, policy, employee, customer and licence numbers have no checksum and no fixed
layout: ``MRN-4839201``, ``XJH-4829-11``, ``WDL5TS9W33K``, ``E-20931``. What makes them personal is the
phrase that introduces them. :func:`detect_context_ids` flags a token of 5-24 letters, digits, dashes,
dots or slashes holding at least four digits when it follows, within three filler words ("number",
"no.", "ID", "is", "my", ...), a *personal* ID phrase: licence, passport, member, patient, MRN,
medical record, policy, insurance, employee, staff, customer, client, student, tax, SSN, ID number,
kundenummer, medlemsnummer, pasientnummer, førerkort, ... After account words it is a bank account.

Deliberately not flagged: a phrase followed by any other word first ("license key", "customer order
number", "policy version"), so order, invoice, ticket, tracking, build and version numbers keep their
own words and pass; bare "ID"/"id=" (code), "issue #4821", "PR 1234"; dates, times, versions, prices,
amounts with a currency, lists of years, and software product keys (``XXXXX-XXXXX-XXXXX-XXXXX``).

:func:`detect_vins` flags 17-character VINs (no I, O, Q): alone when the North-American check digit
(position 9) holds and the serial ends in digits, anywhere after "VIN", "chassis", "vehicle
identification", "understellsnummer", "Fahrgestellnummer", ... otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_BANK_ACCOUNT, KIND_NATIONAL_ID, KIND_VEHICLE, Hit
from .ids_common import hit

__all__ = ["detect_context_ids", "detect_plates", "detect_vins"]

_PERSONAL: Final = (
    r"licen[cs]e|driver'?s?|driving|passport|pass(?:nummer|number|nr)|reisepass|pasaporte|passeport|"
    r"member(?:ship)?|mitglieds?(?:nummer|nr)|medlems?(?:nummer|nr)|patient|pasient(?:nummer|nr)?|"
    r"patienten(?:nummer|nr)|mrn|medical record|health record|hospital|chart|beneficiary|subscriber|"
    r"policy|polic[ey]holder|insurance|insured|versicherungs?(?:nummer|nr)|forsikrings?(?:nummer|nr)|"
    r"employee|staff|personnel|payroll|badge|ansatt(?:nummer|nr)|personal(?:nummer|nr)|"
    r"customer|client|kunde(?:n)?(?:nummer|nr)|kundenummer|student|matriculation|matrikel(?:nummer|nr)|"
    r"tax(?:payer)?|ssn|social security|social insurance|national id|national insurance|id number|id no|"
    r"id card|identification|identity|personnummer|fødselsnummer|personal id|førerkort|førerkortnummer|"
    r"führerschein(?:nummer)?|ausweis(?:nummer)?|pension|benefits?|welfare|voter|citizen|resident|"
    r"dossier|file number|case file|claimant|applicant|enrol?lment|registration|"
    # "my Thai ID is …", "her national ID": a possessive before "ID" makes it a person's, unless the
    # words between name a thing (order, session, build, ...), which have their own numbers.
    r"(?:my|his|her|their|your|min|mitt|mein|meine) (?!(?:[a-z-]+ )?(?:order|session|build|request|transaction|"
    r"process|thread|job|ticket|trace|commit|device|app|client|tenant|subscription|project|product|user|"
    r"account|chat|message|tracking|booking|reservation|confirmation)\b)(?:[a-z-]+ ){0,2}id"
)
_ACCOUNT: Final = r"account(?: holder)?|acct|a/c|konto(?:nummer|nr)?|bank(?:konto)?|bban|kontonummer"
#: Words that may stand between the phrase and the value ("Medical record number", "Member ID:").
_FILLER: Final = (
    r"number|numbers|num|no|nr|nº|#|id|ids|code|is|was|reads|of|the|a|my|his|her|their|your|our|card|"
    r"record|records|details|holder|identification|mrn|nummer|er|ist|es|est|lautet|nummeret|s"
)
_LEAD_RE: Final = re.compile(
    rf"(?<![A-Za-z])(?:(?P<acct>{_ACCOUNT})|(?:{_PERSONAL}))(?![A-Za-z_])"
    rf"(?:[\s:#=.'’()-]{{0,3}}(?:{_FILLER}|{_PERSONAL})(?![A-Za-z])){{0,3}}[\s:#=.'’()-]{{0,4}}$",
    re.IGNORECASE,
)
#: A token of letters, digits and inner separators holding at least four digits.
_VALUE_RE: Final = re.compile(
    r"(?<![A-Za-z0-9_])(?=(?:[A-Za-z./-]*[0-9]){4})[A-Za-z0-9](?:[A-Za-z0-9]|[./-](?=[A-Za-z0-9])){4,23}"
    r"(?![A-Za-z0-9_]|[./-][A-Za-z0-9])"
)
_LOOK_BACK: Final = 72
_NOT_ID_RE: Final = re.compile(
    r"(?:19|20)\d\d[-./]\d\d?[-./]\d\d?|\d\d?[-./]\d\d?[-./](?:19|20)?\d\d|\d\d?:\d\d(?::\d\d)?"  # dates, times
    r"|[vV]?\d+(?:\.\d+){1,3}|\d+[.,]\d\d"  # versions, prices
    r"|(?:19|20)\d\d(?:[-/](?:19|20)?\d\d)+"  # years and ranges of years
    r"|(?:[A-Z0-9]{4,5}-){3,}[A-Z0-9]{4,5}"  # software product keys
    r"|(?=[0-9]*[a-f])[0-9a-f]{12,}|0x[0-9a-fA-F]+"  # hashes and hex
)
_AMOUNT_AFTER_RE: Final = re.compile(r"\s?(?:%|[$€£¥₹]|(?:kr|nok|sek|dkk|usd|eur|gbp|dollars?|euros?)\b)", re.I)


def detect_context_ids(text: str) -> Iterator[Hit]:
    """Member, patient, policy, employee, customer, licence and account numbers after their phrase."""
    if not any(d in text for d in "0123456789"):
        return
    for m in _VALUE_RE.finditer(text):
        value, start = m.group(), m.start()
        if len(set(value)) < 3 or _NOT_ID_RE.fullmatch(value) or _AMOUNT_AFTER_RE.match(text, m.end()):
            continue
        if start > 0 and text[start - 1] in "$€£¥₹":
            continue
        lead = _LEAD_RE.search(text, max(0, start - _LOOK_BACK), start)
        if lead is None:
            continue
        kind, label = (KIND_BANK_ACCOUNT, "account number") if lead.group("acct") else (KIND_NATIONAL_ID, "ID number")
        yield hit(start, m.end(), kind, label, value, 2)


_VIN_RE: Final = re.compile(r"(?<![A-Za-z0-9])[A-HJ-NPR-Z0-9]{17}(?![A-Za-z0-9])")
_VIN_CONTEXT_RE: Final = re.compile(
    r"\bvin\b|chassis|vehicle identification|vehicle id|understell|fahrgestell|fahrzeug-?ident|"
    r"numéro de série du véhicule|bastidor|telaio|frame number",
    re.IGNORECASE,
)
_VIN_VALUES: Final = {c: (i % 9) + 1 for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {
    "S": 2,
    "T": 3,
    "U": 4,
    "V": 5,
    "W": 6,
    "X": 7,
    "Y": 8,
    "Z": 9,
}
_VIN_WEIGHTS: Final = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def _vin_check(vin: str) -> bool:
    total = sum((int(c) if c.isdigit() else _VIN_VALUES[c]) * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    digit = total % 11
    return vin[8] == ("X" if digit == 10 else str(digit))


def detect_vins(text: str) -> Iterator[Hit]:
    """17-character vehicle identification numbers (see the module docstring)."""
    if len(text) < 17 or not any(d in text for d in "0123456789"):
        return
    for m in _VIN_RE.finditer(text):
        vin = m.group()
        if vin.isdigit() or vin.isalpha() or sum(c.isdigit() for c in vin) < 4:
            continue
        strong = _vin_check(vin) and vin[-4:].isdigit() and not vin[:8].isdigit()
        near = text[max(0, m.start() - 40) : m.start()]
        if strong or _VIN_CONTEXT_RE.search(near):
            yield hit(m.start(), m.end(), KIND_VEHICLE, "vehicle identification number", vin, 3)


_PLATE_RE: Final = re.compile(
    r"(?<![A-Za-z])(?:licen[cs]e plate|number plate|registration plate|plate|reg(?:istration)?\.? ?(?:no|number|nr)|"
    r"kennzeichen|nummernskilt|skilt|regnr|registreringsnummer|rekisterinumero|matrícula|matricula|targa|"
    r"immatriculation|kenteken|placa)(?![A-Za-z])"
    rf"(?:[\s:#=.'’()-]{{0,3}}(?:{_FILLER})(?![A-Za-z])){{0,3}}?[\s:#=.'’()-]{{0,4}}"
    r"(?-i:(?P<value>(?<![A-Za-z0-9])[A-Z0-9]{1,5}(?:[ ·・-][A-Z0-9]{1,5}){0,3})(?![A-Za-z0-9]|[ -][A-Z0-9]{1,5}\b))",
    re.IGNORECASE,
)
_PLATE_GATE: Final = ("plate", "reg", "kennz", "skilt", "rekister", "matr", "targa", "kenteken", "placa")
_UPPER_VALUE_RE: Final = re.compile(r"[A-Z0-9 ·・-]+")  # plates are printed in capitals: "12 of 40" is no plate


def _occurrences(lower: str, word: str) -> Iterator[int]:
    at = lower.find(word)
    while at != -1:
        yield at
        at = lower.find(word, at + 1)


def detect_plates(text: str) -> Iterator[Hit]:
    """Vehicle registrations of any layout after a plate word ("License plate SZY-141", "Kennzeichen ...")."""
    if not any(d in text for d in "0123456789"):
        return
    lower = text.lower()
    starts = sorted({i for w in _PLATE_GATE for i in _occurrences(lower, w)})
    done = 0
    for at in starts:  # the long pattern runs only where a plate word stands
        m = _PLATE_RE.search(text, max(done, at - 24), at + 160)  # longer than any phrase + value
        if m is None or m.start() > at:
            continue
        done = m.end()
        value = m.group("value")
        alnum = sum(c.isalnum() for c in value)
        mixed = any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
        if mixed and 4 <= alnum <= 10 and _UPPER_VALUE_RE.fullmatch(value):
            yield hit(m.start("value"), m.end("value"), KIND_VEHICLE, "vehicle registration", value, 1)
