"""Shared helpers for the identifier detectors: masking, checksums, context words, bare messages.

Context decides how much a weak checksum is worth. A plain mod-10/mod-11 over a bare digit run
passes for about one random number in ten, so weak validators fire only when a context word stands
near the number (multilingual: "ssn", "personnummer", "Steuer-ID", "NIF", ...) or when the message
is the number and nothing else (someone pasting an identifier into the chat). Words that name
ordinary business numbers ("order", "invoice", "ticket") are not context.
"""

from __future__ import annotations

import re
from typing import Final

from ._types import Hit

__all__ = [
    "BANK_CONTEXT",
    "ID_CONTEXT",
    "PHONE_CONTEXT",
    "PLATE_CONTEXT",
    "POSTCODE_CONTEXT",
    "has_context",
    "hit",
    "is_bare",
    "luhn",
    "mask",
    "valid_date",
]

_DAYS_IN_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Word stems, matched case-insensitively at a word start; one alternation per family.
_ID_WORDS: Final = (
    r"ssn|social[ -]security|social[ -]insurance|sin\b|nas\b|itin|\btin\b|tax|steuer|st\.?-?nr|idnr|ust|vat|"
    r"nif\b|nie\b|dni\b|nir\b|bsn\b|cpr\b|pesel|aadhaar|aadhar|uidai|pan\b|gstin|gst\b|voter|epic\b|"
    r"passport|pasaporte|passeport|reisepass|pass-?nr|pass(?:nummer|number)|travel document|"
    r"licen[cs]e|driver|driving|führerschein|fahrerlaubnis|patente|"
    r"personnummer|personnr|pnr\b|fødselsnummer|fodselsnummer|f\.?nr|personal (?:identity|id|code|number)|"
    r"henkilötunnus|hetu\b|identity|identifica|identifier|identit|ausweis|personalausweis|"
    r"nhs\b|nino\b|national (?:insurance|id|identity)|national-id|kimlik|tckn|t\.?c\.? no|nric|fin\b|uen\b|"
    r"brn\b|rrn\b|frn\b|registration|resident|주민|외국인|여권|면허|사업자|"
    r"tfn\b|abn\b|acn\b|medicare|mbi\b|npi\b|provider|lanr|arztnummer|bsnr|betriebsstätte|kvnr|"
    r"krankenvers|versicherten|rvnr|sozialvers|rentenvers|codice fiscale|fiscal|partita iva|carta d|"
    r"dea\b|certificate|tnin|เลข|rsa id|id (?:number|no|nr|card|code)|id#|id ?:|"
    r"(?:my|his|her|your|their) id\b|número|numero|nummer|número de|nr\.|no\.:"
)
_PHONE_WORDS: Final = (
    r"phone|tel\b|tel\.|tel:|telephone|telefon|telefoon|téléphone|telepono|teléfono|telefono|mobile|mobil|"
    r"cell|handy|call|ring|nummer|number|numero|número|numara|whatsapp|sms|text me|fax|contact|reach|"
    r"dial|cep\b|gsm|puhelin|numer|zadzwo|電話|携帯"
)
_BANK_WORDS: Final = (
    r"account|acct|a/c|konto|kontonummer|kontonr|routing|aba\b|sort ?code|bank|iban|bic\b|swift|"
    r"rekening|cuenta|compte|conto"
)
_PLATE_WORDS: Final = (
    r"plate|registration|\breg\b|reg\.|number plate|licen[cs]e plate|vehicle|car\b|bike|kennzeichen|"
    r"fahrzeug|plaka|araç|targa|matrícula|matricula|immatriculation|registreringsnummer|kenteken"
)
_POSTCODE_WORDS: Final = r"postcode|post code|postal|zip|plz\b|postleitzahl|address|adresse|deliver|send to"

ID_CONTEXT: Final = re.compile(_ID_WORDS, re.IGNORECASE)
PHONE_CONTEXT: Final = re.compile(_PHONE_WORDS, re.IGNORECASE)
BANK_CONTEXT: Final = re.compile(_BANK_WORDS, re.IGNORECASE)
PLATE_CONTEXT: Final = re.compile(_PLATE_WORDS, re.IGNORECASE)
POSTCODE_CONTEXT: Final = re.compile(_POSTCODE_WORDS, re.IGNORECASE)

_BEFORE: Final = 48
_AFTER: Final = 32


def has_context(text: str, start: int, end: int, words: re.Pattern[str]) -> bool:
    """Whether a context word stands within a few words before or after ``text[start:end]``."""
    return (
        words.search(text, max(0, start - _BEFORE), start) is not None
        or words.search(text, end, min(len(text), end + _AFTER)) is not None
    )


def is_bare(text: str, start: int, end: int) -> bool:
    """The message is this value and nothing that reads as prose (no letters outside it)."""
    return len(text) <= 96 and not any(c.isalpha() for c in text[:start]) and not any(c.isalpha() for c in text[end:])


def mask(value: str, keep: int = 2) -> str:
    """Star every alphanumeric except the last *keep*, keeping the layout (never the whole value)."""
    total = sum(ch.isalnum() for ch in value)
    keep = min(keep, max(0, total // 3))
    remaining = total
    out = []
    for ch in value:
        if ch.isalnum():
            remaining -= 1
            out.append(ch if remaining < keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def hit(start: int, end: int, kind: str, label: str, value: str, keep: int = 2) -> Hit:
    return Hit(start, end, kind, label, mask(value, keep))


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def valid_date(day: int, month: int) -> bool:
    """Day and month exist (29 February accepted for every year: the year is often unknown)."""
    return 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]
