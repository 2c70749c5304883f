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
    "BUSINESS_BEFORE",
    "NOT_PERSONAL_CONTEXT",
    "ID_CONTEXT",
    "PHONE_CONTEXT",
    "PLATE_CONTEXT",
    "POSTCODE_CONTEXT",
    "business_before",
    "has_context",
    "hit",
    "in_name_row",
    "is_alone",
    "is_bare",
    "not_personal_near",
    "luhn",
    "mask",
    "valid_date",
]

_DAYS_IN_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Word stems, matched case-insensitively at a word start; one alternation per family.
_ID_WORDS: Final = (
    r"ssn|social[ -]security|social[ -]insurance|sin\b|nas\b|itin|\btin\b|tax|steuer|st\.?-?nr|idnr|ust|vat|"
    r"nif\b|nie\b|dni\b|nir\b|bsn\b|cpr\b|pesel|aadhaar|aadhar|uidai|pan\b|gstin|gst\b|voter|vote\b|epic\b|"
    r"passport|pasaporte|passeport|reisepass|pass-?nr|pass(?:nummer|number)|travel document|"
    r"licen[cs]e|driver|driving|führerschein|fahrerlaubnis|patente|"
    r"personnummer|personnr|pnr\b|fødselsnummer|fodselsnummer|f\.?nr|personal (?:identity|id|code|number)|"
    r"henkilötunnus|hetu\b|identity|identifica|identifier|identit|ausweis|personalausweis|"
    r"nhs\b|nino\b|national (?:insurance|id|identity|number|register)|national-id|registre national|"
    r"rijksregister|numéro national|insee|sécurité sociale|securite sociale|sécu\b|numéro|cpf\b|isikukood|"
    r"kennitala|ahv\b|avs\b|kimlik|tckn|t\.?c\.? no|nric|fin\b|uen\b|"
    r"brn\b|rrn\b|frn\b|registration|resident|주민|외국인|여권|면허|사업자|"
    r"tfn\b|abn\b|acn\b|medicare|mbi\b|npi\b|provider|lanr|arztnummer|bsnr|betriebsstätte|kvnr|"
    r"krankenvers|versicherten|rvnr|sozialvers|rentenvers|codice fiscale|fiscal|partita iva|carta d|"
    r"dea\b|certificate|tnin|เลข|rsa id|id (?:number|no|nr|card|code)|id#|id ?:|"
    r"(?:my|his|her|your|their) id\b|número|numero|nummer|número de|nr\.|no\.:"
)
_PHONE_WORDS: Final = (
    r"phone|tel\b|tel\.|tel:|tlf\b|tlf\.|mob\b|mob\.|mob:|telephone|telefon|telefoon|téléphone|telepono|teléfono|telefono|mobile|mobil|"
    r"cell|handy|call|ring|nummer|number|numero|número|numara|whatsapp|sms|text me|fax|contact|reach|"
    r"dial|cep\b|gsm|puhelin|numer|zadzwo|電話|携帯"
)
_BANK_WORDS: Final = (
    r"account|acct|a/c|konto|kontonummer|kontonr|routing|aba\b|sort ?code|bank|iban|bic\b|swift|"
    r"rekening|cuenta|compte|conto|transit|institution|direct deposit|depósito|virement"
)
_PLATE_WORDS: Final = (
    r"plate|registration|\breg\b|reg\.|number plate|licen[cs]e plate|vehicle|car\b|bike|kennzeichen|"
    r"fahrzeug|plaka|araç|targa|matrícula|matricula|immatriculation|registreringsnummer|kenteken"
)
_POSTCODE_WORDS: Final = r"postcode|post code|postal|zip|plz\b|postleitzahl|address|adresse|deliver|send to"

# Words that name ordinary business numbers, in several languages. A context word *inside* one of these
# ("Ordrenummer", "Bestellnummer", "order number") is not context, and one standing right before a
# number makes it a business number: weak rules and national phone forms do not fire on it.
_BUSINESS_WORDS: Final = (
    r"order|ordre|ordrenr|ordernr|bestilling|bestellung|bestell|beställning|commande|pedido|ordine|zamówieni|"
    r"invoice|inv\b|faktura|rechnung|factur|fattura|receipt|kvittering|quittung|booking|reservation|"
    r"ticket|case|sak\b|saksnummer|ref\b|ref\.|reference|referanse|po\b|sku|isbn|item|artikkel|artikel|"
    r"tracking|sporing|sendung|parcel|package|pakke|shipment|consignment|barcode|strekkode|ean\b|upc\b|"
    r"serial|serie|s/n\b|sn\b|imei|model|part|batch|lot\b|build|version|firmware|license key|product key"
)
#: Serial numbers, barcodes and tracking codes: these even suppress Luhn-only card hits (no card word near).
_NOT_PERSONAL_WORDS: Final = (
    r"tracking|sporing|sendung|parcel|package|pakke|shipment|consignment|barcode|strekkode|ean\b|upc\b|gtin|"
    r"serial|serienummer|seriennummer|s/n\b|imei|product key|license key|lisens"
)
BUSINESS_BEFORE: Final = re.compile(
    rf"(?:^|[^A-Za-zÀ-ÿ])(?:{_BUSINESS_WORDS})[A-Za-zÀ-ÿ.]*(?:\s+(?:no|nr|number|nummer|numéro|numero|id|code|de|commande|#))?"
    r"\.?[\s:#.-]*$",
    re.IGNORECASE,
)
NOT_PERSONAL_CONTEXT: Final = re.compile(rf"\b(?:{_NOT_PERSONAL_WORDS})", re.IGNORECASE)
_BUSINESS_WORD_RE: Final = re.compile(rf"(?:{_BUSINESS_WORDS})", re.IGNORECASE)

# At a word start only: "ust" in "Customer", "tax" in "syntax", "ring" in "during" are no context.
# Compounds ("Mitgliedsnummer", "kundenummer") still count through their "nummer"/"nr" tail.
_START: Final = r"(?<![A-Za-zÀ-ÿ])"
_COMPOUND: Final = r"|[A-Za-zÀ-ÿ]+(?:nummer|nummeret|nr\b|nr\.)"
ID_CONTEXT: Final = re.compile(rf"{_START}(?:{_ID_WORDS}{_COMPOUND})", re.IGNORECASE)
PHONE_CONTEXT: Final = re.compile(rf"{_START}(?:{_PHONE_WORDS}{_COMPOUND})", re.IGNORECASE)
BANK_CONTEXT: Final = re.compile(rf"{_START}(?:{_BANK_WORDS}{_COMPOUND})", re.IGNORECASE)
PLATE_CONTEXT: Final = re.compile(_PLATE_WORDS, re.IGNORECASE)
POSTCODE_CONTEXT: Final = re.compile(_POSTCODE_WORDS, re.IGNORECASE)

_BEFORE: Final = 48
_AFTER: Final = 32


def _word_at(text: str, at: int) -> str:
    lo = at
    while lo > 0 and (text[lo - 1].isalpha() or text[lo - 1] == "-"):
        lo -= 1
    return text[lo : at + 1]


def _real_context(text: str, m: re.Match[str]) -> bool:
    # "Ordrenummer", "Bestellnummer", "order-nr": the context word is part of a business word.
    if _BUSINESS_WORD_RE.match(_word_at(text, m.start())) is not None:
        return False
    compound = m.group().lower().rstrip(".").endswith(("nummer", "nummeret", "nr"))
    return not (compound and _BUSINESS_WORD_RE.match(text, m.start()) is not None)


def has_context(text: str, start: int, end: int, words: re.Pattern[str]) -> bool:
    """Whether a context word stands within a few words before or after ``text[start:end]``."""
    for lo, hi in ((max(0, start - _BEFORE), start), (end, min(len(text), end + _AFTER))):
        for m in words.finditer(text, lo, hi):
            if _real_context(text, m):
                return True
    return False


def business_before(text: str, start: int) -> bool:
    """An order/invoice/ticket/tracking word stands right before the value ("Ordrenummer 2713...")."""
    return BUSINESS_BEFORE.search(text[max(0, start - 40) : start]) is not None


def not_personal_near(text: str, start: int, end: int) -> bool:
    """A serial/barcode/tracking word stands near the value."""
    return has_context(text, start, end, NOT_PERSONAL_CONTEXT)


_ROW_SEPARATORS: Final = ";|\t"
_NAME_FIELD_RE: Final = re.compile(r"[A-ZÀ-Þ][a-zà-ÿ'-]+(?: [A-ZÀ-Þ][a-zà-ÿ'-]+){1,3}")


def in_name_row(text: str, start: int, end: int) -> bool:
    """The value is a whole field of a delimited row (``;``, ``|``, tab) that also holds a person's name.

    A spreadsheet row pasted into chat ("Sneha Nair;064677247;active") is a person record: its bare
    number is that person's identifier even with no context word.
    """
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi == -1 else hi
    line = text[lo:hi]
    sep = next((c for c in _ROW_SEPARATORS if c in line), None)
    if sep is None:
        return False
    fields = [f.strip() for f in line.split(sep)]
    value = text[start:end].strip()
    return value in fields and any(_NAME_FIELD_RE.fullmatch(f) for f in fields if f != value)


def is_alone(text: str, start: int, end: int) -> bool:
    """Stricter than :func:`is_bare`: nothing but spaces and sentence punctuation around the value."""
    return not text[:start].strip(" \t\n\"'([{:") and not text[end:].strip(" \t\n\"')]}.,;!?")


def is_bare(text: str, start: int, end: int) -> bool:
    """The message is this value and nothing that reads as prose.

    Other identifier-like tokens may stand beside it ("GL0285191 EU4488929": a pasted list of codes),
    but no word without a digit.
    """
    if len(text) > 96:
        return False
    rest = text[:start] + " " + text[end:]
    return not any(c.isalpha() for c in rest) or all(
        any(c.isdigit() for c in word) for word in rest.split() if any(c.isalpha() for c in word)
    )


def mask(value: str, keep: int = 2) -> str:
    """Star every alphanumeric except the last *keep*, keeping the layout (never the whole value)."""
    total = sum(ch.isalnum() for ch in value)
    keep = min(keep, max(0, (total - 1) // 2))  # never half the value or more
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
