#!/usr/bin/env python3
"""Generate ``chat_corpus.jsonl``: the project's own labelled corpus of realistic chat messages.

Every value is synthetic: names are combined at random from common first and last names, national
IDs, cards, IBANs and account numbers are random but checksum-valid (built and re-validated with
python-stdnum), phones are random but valid per ``phonenumbers``, secrets are random bodies with the
right prefix, length and alphabet. Negatives are built so that no checksum a detector might use
accepts their long numbers (see ``plain_number``), so a flag on a negative is a false alarm.

Deterministic (fixed seed); stdlib + python-stdnum + phonenumbers only::

    .venv/bin/python tests/data/privacy/make_chat_corpus.py

The file is long because it is mostly data (templates); sections: disguises, value builders,
positives by type, negatives by type, checks, writer.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import ipaddress
import json
import random
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import phonenumbers
from stdnum import bitcoin, ean, iban, luhn, mac, verhoeff
from stdnum.au import tfn
from stdnum.be import nn as be_nn
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.ch import ssn as ch_ssn
from stdnum.de import idnr
from stdnum.dk import cpr
from stdnum.ee import ik
from stdnum.es import dni, nie
from stdnum.fi import hetu
from stdnum.fr import nir
from stdnum.in_ import aadhaar, pan
from stdnum.is_ import kennitala
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.no import fodselsnummer, kontonr
from stdnum.pl import pesel
from stdnum.se import personnummer
from stdnum.us import rtn, ssn

T = TypeVar("T")
SEED = 20240612
R = random.Random(SEED)
OUT = Path(__file__).with_name("chat_corpus.jsonl")
POSITIVE_TYPES = (
    "person_name",
    "postal_address",
    "date_of_birth",
    "phone",
    "email",
    "card",
    "iban",
    "bank_account",
    "national_id",
    "ip_address",
    "mac_address",
    "crypto_wallet",
    "api_key",
    "private_key",
    "jwt",
    "password",
)
NEGATIVE_TYPES = ("negative_prose", "negative_numbers", "negative_code", "secret_lookalike", "public_figure")
ROWS: list[dict[str, object]] = []
_COUNTS: Counter[str] = Counter()
_SEEN: set[str] = set()


# --------------------------------------------------------------------------------------------------
# Writing cases and disguises
# --------------------------------------------------------------------------------------------------


def add(
    type_: str, form: str, lang: str, text: str = "", messages: Sequence[str] = (), value: str | None = None
) -> None:
    """Append one case. ``value`` (as it appears, disguised or not) must be in the text: label check."""
    assert type_ in POSITIVE_TYPES + NEGATIVE_TYPES, type_
    body = "\n".join(messages) if messages else text
    key = body
    if key in _SEEN:  # a duplicate adds nothing; random choices occasionally repeat
        return
    _SEEN.add(key)
    if value is not None:
        assert value in body, (type_, form, value, body)
        assert unmask(value).strip(), value
    _COUNTS[type_] += 1
    row: dict[str, object] = {
        "id": f"{type_}-{_COUNTS[type_]:04d}",
        "type": type_,
        "label": "positive" if type_ in POSITIVE_TYPES else "negative",
        "form": form,
        "lang": lang,
        "text": "" if messages else text,
    }
    if messages:
        row["messages"] = list(messages)
    ROWS.append(row)


CYRILLIC = {
    "a": "а",
    "e": "е",
    "o": "о",
    "p": "р",
    "c": "с",
    "x": "х",
    "i": "і",
    "y": "у",
    "A": "А",
    "E": "Е",
    "O": "О",
    "P": "Р",
    "C": "С",
    "H": "Н",
    "K": "К",
    "M": "М",
    "T": "Т",
    "B": "В",
}
_LATIN = {v: k for k, v in CYRILLIC.items()}


def fullwidth(s: str, chars: str = string.digits) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c in chars else c for c in s)


def arabic_indic(s: str) -> str:
    return "".join(chr(0x0660 + int(c)) if c in string.digits else c for c in s)


def zero_width(s: str) -> str:
    """Insert one or two zero-width characters strictly inside ``s``."""
    chars = list(s)
    for _ in range(R.choice((1, 2))):
        pos = R.randrange(1, len(chars))
        chars.insert(pos, R.choice(("\u200b", "\u200c", "\u2060", "\u00ad")))
    return "".join(chars)


def cyrillic(s: str, start: int = 0) -> str:
    """Swap one Latin letter (at or after ``start``) for its Cyrillic look-alike."""
    spots = [i for i, c in enumerate(s) if c in CYRILLIC and i >= start]
    i = R.choice(spots)
    return s[:i] + CYRILLIC[s[i]] + s[i + 1 :]


def unmask(s: str) -> str:
    """Undo the disguises above (used only to check labels, not shipped to the guard)."""
    s = unicodedata.normalize("NFKC", html.unescape(s))
    s = "".join(_LATIN.get(c, c) for c in s if unicodedata.category(c) != "Cf")
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in s)


def pick(seq: Sequence[T]) -> T:
    return R.choice(seq)


def rand_str(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(R.choice(alphabet) for _ in range(n))


HEX = "0123456789abcdef"
B64URL = string.ascii_letters + string.digits + "-_"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def group(s: str, sizes: Sequence[int], sep: str = " ") -> str:
    out, i = [], 0
    for n in sizes:
        out.append(s[i : i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return sep.join(p for p in out if p)


def digits_only(s: str) -> str:
    return re.sub(r"\D", "", s)


# --------------------------------------------------------------------------------------------------
# Names (private persons: random first + last combinations) and places
# --------------------------------------------------------------------------------------------------

NAMES: dict[str, tuple[list[str], list[str]]] = {
    "no": (
        [
            "Ingrid",
            "Ola",
            "Kari",
            "Lars",
            "Sigrid",
            "Magnus",
            "Hedda",
            "Eirik",
            "Solveig",
            "Torbjørn",
            "Astrid",
            "Håkon",
            "Marit",
            "Sindre",
            "Ragnhild",
            "Jørgen",
            "Tuva",
            "Øystein",
            "Vegard",
            "Synnøve",
            "Trond",
        ],
        [
            "Solberg",
            "Hansen",
            "Johansen",
            "Olsen",
            "Larsen",
            "Andersen",
            "Pedersen",
            "Nilsen",
            "Kristiansen",
            "Haugen",
            "Bakken",
            "Halvorsen",
            "Nygård",
            "Sæther",
            "Fjeldstad",
            "Aasen",
            "Lunde",
            "Brekke",
            "Myklebust",
        ],
    ),
    "en": (
        [
            "Emily",
            "James",
            "Olivia",
            "Daniel",
            "Charlotte",
            "Liam",
            "Hannah",
            "Oliver",
            "Chloe",
            "Ethan",
            "Samuel",
            "Rebecca",
            "Megan",
            "Connor",
        ],
        [
            "Whitaker",
            "Harrington",
            "Fletcher",
            "Brennan",
            "Holloway",
            "Caldwell",
            "Pritchard",
            "Langley",
            "Mercer",
            "Thornton",
            "Ashworth",
            "Doyle",
            "Sutherland",
        ],
    ),
    "de": (
        ["Lukas", "Anna", "Jonas", "Leonie", "Felix", "Johanna", "Maximilian", "Katrin", "Tobias", "Sabine"],
        ["Schneider", "Hoffmann", "Becker", "Wagner", "Krüger", "Neumann", "Schulz", "Zimmermann", "Vogel"],
    ),
    "in": (
        ["Priya", "Arjun", "Ananya", "Rohan", "Kavya", "Vikram", "Sneha", "Aditya", "Meera"],
        ["Sharma", "Iyer", "Reddy", "Nair", "Gupta", "Menon", "Chatterjee", "Kulkarni", "Deshpande"],
    ),
    "es": (
        ["Lucía", "Javier", "Carmen", "Alejandro", "Sofía", "Mateo", "Elena", "Diego", "Marta"],
        ["García", "Fernández", "López", "Martínez", "Romero", "Navarro", "Ortega", "Iglesias"],
    ),
    "ar": (
        ["Omar", "Layla", "Yusuf", "Fatima", "Karim", "Amira", "Tariq", "Samira", "Farah"],
        ["Haddad", "Al-Sayed", "Mansour", "Khalil", "Nasser", "Farouk", "Hamdan", "Aziz", "Qureshi"],
    ),
    "zh": (
        ["Wei", "Mei", "Jun", "Xiaoling", "Hao", "Yifan", "Lihua"],
        ["Chen", "Wang", "Liu", "Zhang", "Huang", "Zhou", "Lin"],
    ),
    "ja": (
        ["Haruto", "Yui", "Sota", "Aoi", "Hina", "Kenji", "Akiko"],
        ["Tanaka", "Sato", "Suzuki", "Takahashi", "Watanabe", "Yamamoto", "Kobayashi"],
    ),
    "ng": (["Chinedu", "Ngozi", "Emeka", "Adaeze", "Oluwaseun"], ["Okafor", "Adeyemi", "Nwosu", "Okonkwo", "Eze"]),
    "pl": (["Agnieszka", "Tomasz", "Katarzyna", "Piotr"], ["Kowalczyk", "Wiśniewska", "Zieliński", "Lewandowska"]),
}
FIRST_NAMES = sorted({f for firsts, _ in NAMES.values() for f in firsts})
FEMALE = {
    "Ingrid",
    "Kari",
    "Sigrid",
    "Hedda",
    "Solveig",
    "Astrid",
    "Marit",
    "Ragnhild",
    "Tuva",
    "Synnøve",
    "Emily",
    "Olivia",
    "Charlotte",
    "Hannah",
    "Chloe",
    "Rebecca",
    "Megan",
    "Anna",
    "Leonie",
    "Johanna",
    "Katrin",
    "Sabine",
    "Priya",
    "Ananya",
    "Kavya",
    "Sneha",
    "Meera",
    "Lucía",
    "Carmen",
    "Sofía",
    "Elena",
    "Marta",
    "Layla",
    "Fatima",
    "Amira",
    "Samira",
    "Farah",
    "Mei",
    "Xiaoling",
    "Lihua",
    "Yui",
    "Hina",
    "Akiko",
    "Ngozi",
    "Adaeze",
    "Agnieszka",
    "Katarzyna",
}
UNISEX = {"Aoi", "Yifan", "Oluwaseun", "Wei", "Jun"}


def person(culture: str | None = None, gender: str = "") -> tuple[str, str]:
    """(first, last); ``gender`` "f" or "m" when the template says she/he, daughter/son."""
    firsts, lasts = NAMES[culture or pick(sorted(NAMES))]
    pool = [f for f in firsts if not gender or (f in FEMALE) == (gender == "f") and f not in UNISEX]
    return pick(pool), pick(lasts)


def full_name(culture: str | None = None, gender: str = "") -> str:
    return " ".join(person(culture, gender))


def gendered(tpl: str) -> tuple[str, str]:
    """Templates that refer back with she/he start with "F:" or "M:"."""
    return (tpl[0].lower(), tpl[2:]) if tpl[:2] in ("F:", "M:") else ("", tpl)


def ascii_fold(s: str) -> str:
    s = s.replace("ø", "o").replace("Ø", "O").replace("æ", "ae").replace("å", "a").replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


# --------------------------------------------------------------------------------------------------
# Value builders (each re-validates what it builds)
# --------------------------------------------------------------------------------------------------


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(R.choice(string.digits) for _ in range(length - len(prefix) - 1))
    number = body + luhn.calc_check_digit(body)
    assert luhn.is_valid(number)
    return number


def card_number() -> str:
    brand = R.choice(("visa", "visa", "visa", "mc", "mc2", "amex", "discover", "jcb"))
    prefix, length = {
        "visa": ("4" + R.choice(string.digits), 16),
        "mc": (str(R.randint(51, 55)), 16),
        "mc2": (str(R.randint(2221, 2720)), 16),
        "amex": (R.choice(("34", "37")), 15),
        "discover": (R.choice(("6011", "65")), 16),
        "jcb": (str(R.randint(3528, 3589)), 16),
    }[brand]
    return luhn_complete(prefix, length)


def card_groups(number: str) -> list[int]:
    return [4, 6, 5] if len(number) == 15 else [4, 4, 4, 4]


_PHONE_PREFIXES = {
    "NO": ["4", "9"],
    "GB": ["74", "75", "77", "78", "79", "20", "161", "113", "131"],
    "US": ["212", "415", "617", "312", "206", "512", "303", "404", "646", "720"],
    "DE": ["151", "160", "170", "176", "30", "40", "89"],
    "FR": ["6", "7", "1", "4"],
    "IN": ["98", "97", "91", "88", "70"],
    "AU": ["4", "2", "3"],
    "SE": ["70", "72", "73", "76", "8"],
    "JP": ["90", "80", "70", "3"],
    "ES": ["6", "91"],
    "NL": ["6", "20"],
    "DK": ["2", "3"],
    "PL": ["5", "6"],
}


def phone(region: str) -> phonenumbers.PhoneNumber:
    """A random number valid for ``region`` (not the library's example number, not 555-01xx)."""
    prefix = pick(_PHONE_PREFIXES[region])
    types = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    examples = [phonenumbers.example_number_for_type(region, t) for t in types]
    lengths = sorted({len(str(e.national_number)) for e in examples if e is not None})
    for _ in range(5000):
        for length in lengths:
            national = prefix + "".join(R.choice(string.digits) for _ in range(length - len(prefix)))
            if region == "US" and national[3:6] in ("555", "000"):
                continue
            num = phonenumbers.parse(national if region != "GB" else "0" + national, region)
            if phonenumbers.is_valid_number(num) and phonenumbers.region_code_for_number(num) == region:
                return num
    raise AssertionError(region)


def fmt_phone(num: phonenumbers.PhoneNumber, style: str) -> str:
    f = phonenumbers.PhoneNumberFormat
    if style == "international":
        return phonenumbers.format_number(num, f.INTERNATIONAL)
    if style == "national":
        return phonenumbers.format_number(num, f.NATIONAL)
    if style == "e164":
        return phonenumbers.format_number(num, f.E164)
    if style == "double_zero":
        return "00" + phonenumbers.format_number(num, f.INTERNATIONAL)[1:]
    raise ValueError(style)


def dob() -> dt.date:
    return dt.date(1940, 1, 1) + dt.timedelta(days=R.randrange(0, 365 * 66))


def _no_fnr() -> str:
    d = dob()
    while not (1900 <= d.year <= 1999):
        d = dob()
    base = d.strftime("%d%m%y") + f"{R.randint(0, 499):03d}"
    base += fodselsnummer.calc_check_digit1(base)
    base += fodselsnummer.calc_check_digit2(base)
    return base


def _until_valid(make: Callable[[], str], check: Callable[[str], bool]) -> str:
    for _ in range(10000):
        value = make()
        if check(value):
            return value
    raise AssertionError(make)


def _digits(n: int) -> str:
    return "".join(R.choice(string.digits) for _ in range(n))


def _se_pnr() -> str:
    base = dob().strftime("%y%m%d") + _digits(3)
    return base + luhn.calc_check_digit(base)


def _fi_hetu() -> str:
    d = dob()
    century = "-" if d.year < 2000 else "A"
    serial = f"{R.randint(2, 899):03d}"
    check = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(d.strftime("%d%m%y") + serial) % 31]
    return d.strftime("%d%m%y") + century + serial + check


def _fr_nir() -> str:
    d = dob()
    base = f"{R.choice('12')}{d.strftime('%y%m')}{R.randint(1, 95):02d}{R.randint(1, 990):03d}{R.randint(1, 999):03d}"
    return base + nir.calc_check_digits(base)


def _it_cf() -> str:
    d = dob()
    cons = "BCDFGHJKLMNPRSTVZ"
    day = d.day + (40 if R.random() < 0.5 else 0)
    base = (
        rand_str(3, cons)
        + rand_str(3, cons)
        + d.strftime("%y")
        + "ABCDEHLMPRST"[d.month - 1]
        + f"{day:02d}"
        + R.choice("ABCDEFGHL")
        + f"{R.randint(1, 999):03d}"
    )
    return base + codicefiscale.calc_check_digit(base)


def _pl_pesel() -> str:
    d = dob()
    month = d.month + (20 if d.year >= 2000 else 0)
    base = f"{d.strftime('%y')}{month:02d}{d.day:02d}{_digits(4)}"
    return base + pesel.calc_check_digit(base)


def _gb_nino() -> str:
    """stdnum has no UK NINO module: HMRC's published prefix/suffix rules are applied here."""
    bad_pairs = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
    while True:
        a, b = R.choice("ABCEGHJKLMNPRSTWXYZ"), R.choice("ABCEGHJKLMNPRSTWXYZ")
        if a + b not in bad_pairs:
            return a + b + _digits(6) + R.choice("ABCD")


def _aadhaar() -> str:
    base = R.choice("23456789") + _digits(10)
    return base + verhoeff.calc_check_digit(base)


def _pan() -> str:
    return (
        rand_str(3, string.ascii_uppercase)
        + "P"
        + rand_str(1, string.ascii_uppercase)
        + _digits(4)
        + rand_str(1, string.ascii_uppercase)
    )


def _ee_ik() -> str:
    d = dob()
    base = ("3" if d.year < 2000 else "5") + d.strftime("%y%m%d") + _digits(3)
    return base + ik.calc_check_digit(base)


# (label, lang, make, validate, context words, display formats)
ID_SPECS: list[tuple[str, str, Callable[[], str], Callable[[str], bool], list[str], list[Callable[[str], str]]]] = [
    (
        "no_fnr",
        "no",
        lambda: _until_valid(_no_fnr, fodselsnummer.is_valid),
        fodselsnummer.is_valid,
        ["fødselsnummer", "fnr", "personnr", "f.nr."],
        [
            lambda v: v,
            lambda v: v[:6] + " " + v[6:],
            lambda v: v[:6] + "-" + v[6:],
            lambda v: f"{v[:2]}.{v[2:4]}.{v[4:6]} {v[6:]}",
            lambda v: v[:6] + "." + v[6:],
        ],
    ),
    (
        "se_pnr",
        "sv",
        lambda: _until_valid(_se_pnr, personnummer.is_valid),
        personnummer.is_valid,
        ["personnummer", "personnr"],
        [lambda v: v[:6] + "-" + v[6:], lambda v: v, lambda v: "19" + v[:6] + "-" + v[6:]],
    ),
    (
        "dk_cpr",
        "da",
        lambda: _until_valid(lambda: dob().strftime("%d%m%y") + _digits(4), cpr.is_valid),
        cpr.is_valid,
        ["CPR-nummer", "cpr nr.", "CPR"],
        [lambda v: v[:6] + "-" + v[6:], lambda v: v],
    ),
    (
        "fi_hetu",
        "fi",
        lambda: _until_valid(_fi_hetu, hetu.is_valid),
        hetu.is_valid,
        ["henkilötunnus", "HETU", "hetu"],
        [lambda v: v],
    ),
    (
        "de_idnr",
        "de",
        lambda: _until_valid(lambda: R.choice("123456789") + _digits(10), idnr.is_valid),
        idnr.is_valid,
        ["Steuer-ID", "Steueridentifikationsnummer", "Steuer-IdNr."],
        [lambda v: v, lambda v: group(v, [2, 3, 3, 3]), lambda v: group(v, [2, 3, 3, 3], "/")],
    ),
    (
        "fr_nir",
        "fr",
        lambda: _until_valid(_fr_nir, nir.is_valid),
        nir.is_valid,
        ["numéro de sécurité sociale", "NIR", "n° de sécu"],
        [lambda v: v, lambda v: group(v, [1, 2, 2, 2, 3, 3, 2])],
    ),
    (
        "es_dni",
        "es",
        lambda: (lambda b: b + dni.calc_check_digit(b))(_digits(8)),
        dni.is_valid,
        ["DNI", "NIF"],
        [lambda v: v, lambda v: v[:8] + "-" + v[8:]],
    ),
    (
        "es_nie",
        "es",
        lambda: (lambda b: b + nie.calc_check_digit(b))(R.choice("XYZ") + _digits(7)),
        nie.is_valid,
        ["NIE", "número de identidad de extranjero"],
        [lambda v: v, lambda v: f"{v[0]}-{v[1:8]}-{v[8]}"],
    ),
    (
        "it_cf",
        "it",
        lambda: _until_valid(_it_cf, codicefiscale.is_valid),
        codicefiscale.is_valid,
        ["codice fiscale", "CF"],
        [lambda v: v, lambda v: v.lower()],
    ),
    (
        "nl_bsn",
        "nl",
        lambda: _until_valid(lambda: _digits(9), bsn.is_valid),
        bsn.is_valid,
        ["BSN", "burgerservicenummer"],
        [lambda v: v, lambda v: group(v, [4, 2, 3], ".")],
    ),
    (
        "pl_pesel",
        "pl",
        lambda: _until_valid(_pl_pesel, pesel.is_valid),
        pesel.is_valid,
        ["PESEL", "numer PESEL"],
        [lambda v: v],
    ),
    (
        "gb_nino",
        "en",
        _gb_nino,
        lambda v: bool(re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", v)),
        ["National Insurance number", "NI number", "NINO"],
        [lambda v: v, lambda v: group(v, [2, 2, 2, 2, 1]), lambda v: v.lower()],
    ),
    (
        "us_ssn",
        "en",
        lambda: _until_valid(lambda: _digits(9), ssn.is_valid),
        ssn.is_valid,
        ["SSN", "social security number", "Social Security #"],
        [
            lambda v: f"{v[:3]}-{v[3:5]}-{v[5:]}",
            lambda v: f"{v[:3]} {v[3:5]} {v[5:]}",
            lambda v: f"{v[:3]}.{v[3:5]}.{v[5:]}",
            lambda v: v,
        ],
    ),
    (
        "ca_sin",
        "en",
        lambda: _until_valid(lambda: R.choice("1234567") + _digits(8), sin.is_valid),
        sin.is_valid,
        ["SIN", "social insurance number"],
        [lambda v: group(v, [3, 3, 3]), lambda v: group(v, [3, 3, 3], "-")],
    ),
    (
        "au_tfn",
        "en",
        lambda: _until_valid(lambda: _digits(9), tfn.is_valid),
        tfn.is_valid,
        ["TFN", "tax file number"],
        [lambda v: group(v, [3, 3, 3]), lambda v: v],
    ),
    (
        "in_aadhaar",
        "en",
        lambda: _until_valid(_aadhaar, aadhaar.is_valid),
        aadhaar.is_valid,
        ["Aadhaar", "Aadhaar number", "UID"],
        [lambda v: group(v, [4, 4, 4]), lambda v: v, lambda v: group(v, [4, 4, 4], "-")],
    ),
    ("in_pan", "en", _pan, pan.is_valid, ["PAN", "PAN card number"], [lambda v: v]),
    (
        "ch_ahv",
        "de",
        lambda: (lambda b: b + ean.calc_check_digit(b))("756" + _digits(9)),
        ch_ssn.is_valid,
        ["AHV-Nummer", "AHV-Nr."],
        [lambda v: f"{v[:3]}.{v[3:7]}.{v[7:11]}.{v[11:]}"],
    ),
    (
        "be_nn",
        "fr",
        lambda: _until_valid(lambda: dob().strftime("%y%m%d") + _digits(5), be_nn.is_valid),
        be_nn.is_valid,
        ["numéro de registre national", "rijksregisternummer"],
        [lambda v: f"{v[:2]}.{v[2:4]}.{v[4:6]}-{v[6:9]}.{v[9:]}"],
    ),
    (
        "br_cpf",
        "pt",
        lambda: _until_valid(lambda: _digits(11), cpf.is_valid),
        cpf.is_valid,
        ["CPF"],
        [lambda v: f"{v[:3]}.{v[3:6]}.{v[6:9]}-{v[9:]}"],
    ),
    (
        "is_kt",
        "en",
        lambda: _until_valid(lambda: dob().strftime("%d%m%y") + _digits(3) + "9", kennitala.is_valid),
        kennitala.is_valid,
        ["kennitala"],
        [lambda v: v[:6] + "-" + v[6:]],
    ),
    (
        "ee_ik",
        "en",
        lambda: _until_valid(_ee_ik, ik.is_valid),
        ik.is_valid,
        ["isikukood", "Estonian personal code"],
        [lambda v: v],
    ),
]


def national_id(label: str) -> str:
    for spec in ID_SPECS:
        if spec[0] == label:
            value = spec[2]()
            assert spec[3](value), (label, value)
            return value
    raise KeyError(label)


_IBAN_BBAN = {  # country: (BBAN pattern: n digit, a upper letter, c alnum)
    "NO": "nnnnnnnnnnn",
    "DE": "nnnnnnnnnnnnnnnnnn",
    "GB": "aaaannnnnnnnnnnnnn",
    "FR": "nnnnnnnnnnccccccccccc" + "nn",
    "ES": "nnnnnnnnnnnnnnnnnnnn",
    "NL": "aaaannnnnnnnnn",
    "SE": "nnnnnnnnnnnnnnnnnnnn",
    "DK": "nnnnnnnnnnnnnn",
    "FI": "nnnnnnnnnnnnnn",
    "BE": "nnnnnnnnnnnn",
    "CH": "nnnnncccccccccccc",
    "PL": "nnnnnnnnnnnnnnnnnnnnnnnn",
    "AT": "nnnnnnnnnnnnnnnn",
    "IE": "aaaannnnnnnnnnnnnn",
}
_BANK_CODES = {
    "GB": ["NWBK", "BARC", "MIDL", "LOYD", "HBUK"],
    "NL": ["ABNA", "INGB", "RABO", "TRIO"],
    "IE": ["AIBK", "BOFI"],
}


def _fill(pattern: str) -> str:
    alph = {"n": string.digits, "a": string.ascii_uppercase, "c": string.ascii_uppercase + string.digits}
    return "".join(R.choice(alph[p]) for p in pattern)


def iban_number(cc: str) -> str:
    def make() -> str:
        bban = _fill(_IBAN_BBAN[cc])
        if cc in _BANK_CODES:
            bban = pick(_BANK_CODES[cc]) + bban[4:]
        return cc + iban.calc_check_digits(cc + "00" + bban) + bban

    return _until_valid(make, iban.is_valid)


def bad_iban(cc: str) -> str:
    good = iban_number(cc)
    return good[:2] + f"{(int(good[2:4]) + R.randint(1, 9)) % 100:02d}" + good[4:]


def ip_v4() -> str:
    while True:
        ip = ipaddress.IPv4Address(R.randint(0x01000000, 0xDFFFFFFF))
        if ip.is_global and not ip.is_multicast and str(ip).split(".")[0] not in ("8", "1"):
            return str(ip)


def ip_v6() -> str:
    while True:
        prefix = R.choice((0x2A01, 0x2A02, 0x2001, 0x2A00, 0x2600, 0x2804))
        groups = [prefix] + [R.randint(0, 0xFFFF) for _ in range(7)]
        if R.random() < 0.5:
            groups[4:7] = [0, 0, 0]
        ip = ipaddress.IPv6Address(":".join(f"{g:x}" for g in groups))
        if ip.is_global and ip not in ipaddress.IPv6Network("2001:db8::/32"):
            return ip.compressed


# Assigned OUIs (Apple, Intel, TP-Link, Raspberry Pi, Cisco, Sonos, Samsung; from stdnum's IEEE registry copy):
# a random NIC part after a real vendor prefix looks like a burnt-in address. Random OUIs are mostly unassigned.
OUIS = [
    "000393",
    "000A95",
    "0010FA",
    "0012F0",
    "0013E8",
    "001517",
    "000AEB",
    "0019E0",
    "002127",
    "28CDC1",
    "DCA632",
    "E45F01",
    "00000C",
    "0001C7",
    "347E5C",
    "5CAAFD",
    "B8E937",
    "002119",
    "50CCF8",
    "A8CAB9",
]


def mac_bytes() -> list[int]:
    """A unicast, globally administered address whose OUI is assigned (stdnum checks the registry)."""
    b = list(bytes.fromhex(pick(OUIS))) + [R.randint(0, 255) for _ in range(3)]
    assert mac.is_valid(":".join(f"{x:02x}" for x in b)), b
    return b


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_RIPPLE = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"


def b58encode(data: bytes, alphabet: str = _B58) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return alphabet[0] * pad + out


def b58check(version: bytes, payload: bytes, alphabet: str = _B58) -> str:
    raw = version + payload
    return b58encode(raw + hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4], alphabet)


def _bech32_polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def bech32_address(hrp: str, witver: int, program: bytes) -> str:
    """BIP-173/350 segwit address (bech32 for v0, bech32m for v1+)."""
    acc, bits, data = 0, 0, [witver]
    for b in program:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    const = 1 if witver == 0 else 0x2BC830A3
    hrp_exp = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    poly = _bech32_polymod(hrp_exp + data + [0] * 6) ^ const
    data += [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join("qpzry9x8gf2tvdw0s3jn54khce6mua7l"[d] for d in data)


# BIP-173 / BIP-350 test vectors: the encoder above is right for v0 and v1 programs.
assert (
    bech32_address("bc", 0, bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6"))
    == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
)
assert (
    bech32_address("bc", 1, bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"))
    == "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
)


def wallet(kind: str) -> str:
    rb = R.randbytes
    value = {
        "btc_p2pkh": lambda: b58check(b"\x00", rb(20)),
        "btc_p2sh": lambda: b58check(b"\x05", rb(20)),
        "btc_bech32": lambda: bech32_address("bc", 0, rb(20)),
        "btc_taproot": lambda: bech32_address("bc", 1, rb(32)),
        "eth": lambda: "0x" + rb(20).hex(),
        "ltc": lambda: b58check(b"\x30", rb(20)),
        "ltc_bech32": lambda: bech32_address("ltc", 0, rb(20)),
        "doge": lambda: b58check(b"\x1e", rb(20)),
        "xrp": lambda: b58check(b"\x00", rb(20), _B58_RIPPLE),
        "trx": lambda: b58check(b"\x41", rb(20)),
        "sol": lambda: b58encode(rb(32)),
    }[kind]()
    if kind.startswith("btc") and kind != "btc_taproot":  # stdnum 2.2 knows bech32 but not bech32m
        assert bitcoin.is_valid(value), value
    return value


# --------------------------------------------------------------------------------------------------
# Positives: people, addresses, birth dates
# --------------------------------------------------------------------------------------------------

NAME_PROSE_EN = [
    "I had a meeting with {n} yesterday and promised to send the slides. Can you draft a short follow-up email?",
    "Can you help me write a reference letter for {n}? They worked in our warehouse for two years.",
    "My colleague {n} is leaving next month. Write a short, warm farewell message from the team.",
    "Summarise this call note: {n} rang about the delayed delivery and wants a refund by Friday.",
    "F:Write a birthday poem for my grandmother, {n}. She turns 85 on Sunday.",
    "We're offering {n} the junior developer role. Can you write a friendly offer letter?",
    "Please rewrite this more politely: '{n}, you still haven't returned the projector.'",
    "M:Remind me what to say to {n} at tomorrow's performance review. He missed three deadlines.",
    "I need to cancel the dentist appointment for {n} on Thursday, can you write the text message?",
    "My landlord {n} won't return the deposit. How do I write a formal complaint?",
    "Translate into Spanish: '{n} will pick up the children at three.'",
    "Can you make a seating plan? {n} shouldn't sit next to the speakers.",
    "Draft a LinkedIn recommendation for {n}, who managed our data migration last year.",
    "M:I'm writing a eulogy for my uncle {n}. He loved fishing and terrible jokes. Can you help?",
    "Our new tenant is {n}; write a welcome note with the bin collection days.",
]
NAME_PROSE_NO = [
    "F:Kan du skrive en gratulasjonshilsen til {n}? Hun fyller 40 i dag.",
    "Jeg hadde møte med {n} i går om budsjettet. Kan du lage et kort referat?",
    "Skriv en e-post til {n} om at vi må flytte møtet til torsdag.",
    "Naboen min, {n}, har parkert foran garasjen igjen. Hvordan sier jeg fra på en hyggelig måte?",
    "Lag en kort takketale til {n} som går av med pensjon etter 30 år hos oss.",
    "Hjelp meg å skrive en attest for {n}, som har vært lærling hos oss i to år.",
]
NAME_PROSE_OTHER = [
    ("de", "Bitte schreib eine kurze E-Mail an {n}, dass ich morgen später komme."),
    ("de", "F:Ich brauche ein Empfehlungsschreiben für {n}, sie war drei Jahre bei uns."),
    ("sv", "Kan du skriva ett tackkort till {n} som hjälpte oss med flytten?"),
    ("es", "¿Puedes escribir un correo a {n} para confirmar la reunión del lunes?"),
    ("fr", "Peux-tu rédiger un mot de remerciement pour {n}, qui a organisé la fête ?"),
]
FIRST_NAME_CUES = [
    ("en", "F:My daughter {f} has had a fever since Tuesday. When should I call the doctor?"),
    ("en", "M:My son {f} starts school in August; help me write a note to his teacher about his allergy."),
    ("en", "M:My husband {f} snores terribly. Any tips that actually work?"),
    ("en", "Hi, I'm {f}. I ordered a sofa three weeks ago and it still hasn't arrived."),
    ("en", "My name is {f} and I'd like to change my delivery slot."),
    ("en", "F:Write a bedtime story for my little girl {f}, she loves dinosaurs."),
    ("no", "Hei, jeg heter {f} og lurer på hvordan jeg klager på en faktura."),
    ("no", "Jeg heter {f} og trenger hjelp med søknaden til barnehagen."),
    ("no", "F:Datteren min {f} skal konfirmeres i mai. Kan du foreslå en tale?"),
    ("no", "M:Mannen min {f} har bursdag på lørdag, har du gaveideer?"),
    ("de", "Ich heiße {f} und habe eine Frage zu meiner Rechnung."),
    ("sv", "Jag heter {f} och behöver hjälp med min deklaration."),
]
SIGNATURES = ["Best regards", "Kind regards", "Thanks", "Cheers", "Med vennlig hilsen", "Mvh", "Hilsen", "Viele Grüße"]
TITLES = ["Mr.", "Ms.", "Mrs.", "Dr.", "Mr", "Ms"]


def gen_person_names() -> None:
    for tpl in NAME_PROSE_EN:
        gender, tpl = gendered(tpl)
        for _ in range(2):
            n = full_name(gender=gender)
            add("person_name", "in_prose", "en", tpl.format(n=n), value=n)
    for tpl in NAME_PROSE_NO:
        gender, tpl = gendered(tpl)
        for _ in range(2):
            n = full_name("no" if R.random() < 0.7 else None, gender)
            add("person_name", "norwegian", "no", tpl.format(n=n), value=n)
    for lang, tpl in NAME_PROSE_OTHER:
        gender, tpl = gendered(tpl)
        n = full_name(gender=gender)
        add("person_name", "in_prose", lang, tpl.format(n=n), value=n)
    for lang, tpl in FIRST_NAME_CUES:
        gender, tpl = gendered(tpl)
        for culture in ("no", "en") if lang in ("en", "no") else ("de",):
            f = person(culture, gender)[0]
            add("person_name", "first_name_with_cue", lang, tpl.format(f=f), value=f)
    for _ in range(10):
        first, last = person()
        title = pick(TITLES)
        body = pick(
            [
                "Thank you for your application for the warehouse position. We would like to invite you to an "
                "interview next week.",
                "I am writing regarding the invoice dated 3 March, which we believe was sent to us in error.",
                "Following our phone call, please find attached the signed lease. Let me know if anything is missing.",
            ]
        )
        text = f"Can you check the grammar in this letter?\n\nDear {title} {last},\n\n{body}"
        add("person_name", "letter_salutation", "en", text, value=f"{title} {last}")
    for _ in range(12):
        n = full_name()
        sig = pick(SIGNATURES)
        role = pick(["Project Coordinator", "Sales Manager", "Prosjektleder", "HR-rådgiver", "Team Lead"])
        text = (
            f"Please make this email sound more professional:\n\nhi all, report is attached, tell me if "
            f"something is missing\n\n{sig},\n{n}\n{role}"
        )
        add("person_name", "in_email_signature", "en", text, value=n)
    for _ in range(6):
        n = full_name()
        job = pick(["Senior accountant", "Registered nurse", "Backend developer", "Logistics coordinator"])
        text = (
            f"Improve the summary section of my CV:\n\n{n}\n{job}\n\nSummary: hard working person with "
            f"8 years experience, good with people and Excel."
        )
        add("person_name", "in_cv", "en", text, value=n)
    for _ in range(8):
        n = full_name(gender="f").lower()
        text = pick(
            [
                "can you write a thank you note to {n}, she helped me move last weekend",
                "remind me to call {n} about the car insurance tomorrow",
                "skriv en melding til {n} om at middagen er avlyst",
            ]
        ).format(n=n)
        add("person_name", "lowercase", "no" if "skriv" in text else "en", text, value=n)
    for _ in range(6):
        n = full_name()
        add(
            "person_name",
            "in_form",
            "en",
            f"Fill in the rest of this form for me:\nName: {n}\nDepartment: Finance\nReason for travel: client visit",
            value=n,
        )
    for _ in range(8):
        n = full_name()
        add(
            "person_name",
            "answer_in_later_message",
            "en",
            messages=[
                "Can you help me write a cover letter?",
                "Of course! What's your name, and which role are you applying for?",
                f"{n}, and it's the logistics coordinator job at a freight company.",
            ],
        )
    for _ in range(6):
        n = full_name()
        add(
            "person_name",
            "in_system_prompt_profile",
            "en",
            messages=[
                f"You are a helpful support assistant for Nordlys Energi. Customer profile: name={n}; plan=Spot; "
                "language=en; tier=standard.",
                "Why is my bill higher this month?",
            ],
        )
    for _ in range(3):
        n = cyrillic(full_name())
        add(
            "person_name",
            "cyrillic_homoglyph",
            "en",
            f"Please draft a reminder to {n} about the unpaid invoice.",
            value=n,
        )


NO_STREETS = [
    "Storgata",
    "Kirkeveien",
    "Thereses gate",
    "Bogstadveien",
    "Markveien",
    "Trondheimsveien",
    "Skogveien",
    "Fjellveien",
    "Strandgaten",
    "Kongens gate",
    "Løkkeveien",
    "Solliveien",
    "Bjørnstjerne Bjørnsons gate",
]
NO_PLACES = [
    ("0155", "Oslo"),
    ("0368", "Oslo"),
    ("0557", "Oslo"),
    ("5003", "Bergen"),
    ("7011", "Trondheim"),
    ("4006", "Stavanger"),
    ("9008", "Tromsø"),
    ("1366", "Lysaker"),
    ("3015", "Drammen"),
    ("4631", "Kristiansand"),
]
UK_STREETS = [
    "Elmwood Road",
    "Willow Lane",
    "Station Road",
    "Church Street",
    "Victoria Avenue",
    "Hawthorn Close",
    "Mill Lane",
    "Park Crescent",
    "Queens Drive",
]
UK_PLACES = [
    ("Leeds", "LS6"),
    ("Manchester", "M14"),
    ("Bristol", "BS7"),
    ("London", "N16"),
    ("Edinburgh", "EH9"),
    ("Cardiff", "CF24"),
    ("York", "YO10"),
    ("Norwich", "NR2"),
]
US_STREETS = [
    "Maple Avenue",
    "Oak Street",
    "Cedar Lane",
    "Lakeview Drive",
    "Pine Ridge Road",
    "Elm Court",
    "Sunset Boulevard",
    "Washington Avenue",
    "Hillcrest Drive",
]
US_PLACES = [
    ("Springfield", "IL", "62704"),
    ("Austin", "TX", "78745"),
    ("Portland", "OR", "97214"),
    ("Columbus", "OH", "43215"),
    ("Madison", "WI", "53703"),
    ("Boise", "ID", "83702"),
    ("Tampa", "FL", "33606"),
]
DE_STREETS = ["Lindenstraße", "Hauptstraße", "Goethestraße", "Bahnhofstraße", "Schillerstraße", "Gartenstraße"]
DE_PLACES = [("10115", "Berlin"), ("80331", "München"), ("50667", "Köln"), ("20095", "Hamburg"), ("04109", "Leipzig")]
SE_STREETS = ["Drottninggatan", "Storgatan", "Kungsgatan", "Vasagatan", "Björkvägen"]
SE_PLACES = [("111 51", "Stockholm"), ("411 03", "Göteborg"), ("211 22", "Malmö"), ("753 20", "Uppsala")]
FR_STREETS = ["rue des Lilas", "avenue Jean Jaurès", "boulevard Voltaire", "rue de la République", "impasse des Roses"]
FR_PLACES = [("75011", "Paris"), ("69003", "Lyon"), ("13006", "Marseille"), ("31000", "Toulouse")]
ES_STREETS = ["Calle Mayor", "Calle de Alcalá", "Avenida de la Constitución", "Calle del Sol", "Paseo de Gracia"]
ES_PLACES = [("28013", "Madrid"), ("08008", "Barcelona"), ("41001", "Sevilla"), ("46002", "Valencia")]


def _uk_postcode(district: str) -> str:
    return f"{district} {R.randint(1, 9)}{rand_str(2, 'ABDEFGHJLNPQRSTUWXYZ')}"


def address(country: str, multiline: bool = False) -> str:
    sep = "\n" if multiline else ", "
    num = R.randint(1, 180)
    if country == "NO":
        code, city = pick(NO_PLACES)
        return f"{pick(NO_STREETS)} {num}{R.choice(['', '', 'B', 'A'])}{sep}{code} {city}"
    if country == "UK":
        city, district = pick(UK_PLACES)
        return f"{num} {pick(UK_STREETS)}{sep}{city} {_uk_postcode(district)}"
    if country == "US":
        city, state, zipc = pick(US_PLACES)
        apt = R.choice(["", "", f" Apt {R.randint(1, 40)}"])
        return f"{R.randint(100, 9999)} {pick(US_STREETS)}{apt}{sep}{city}, {state} {zipc}"
    if country == "DE":
        code, city = pick(DE_PLACES)
        return f"{pick(DE_STREETS)} {num}{sep}{code} {city}"
    if country == "SE":
        code, city = pick(SE_PLACES)
        return f"{pick(SE_STREETS)} {num}{sep}{code} {city}"
    if country == "FR":
        code, city = pick(FR_PLACES)
        return f"{num} {pick(FR_STREETS)}{sep}{code} {city}"
    code, city = pick(ES_PLACES)
    return f"{pick(ES_STREETS)} {num}, {R.randint(1, 8)}º {R.choice('ABCD')}{sep}{code} {city}"


ADDRESS_TPLS = [
    ("en", "Please send the replacement part to {a}. I'm home after 4 pm."),
    ("en", "My new address is {a}. Can you help me write a change-of-address notice for my bank?"),
    ("en", "Can you write a complaint to the council about the potholes outside {a}?"),
    ("en", "Ship to: {a}. Leave it with the neighbour if nobody answers."),
    ("en", "Write an invitation for my housewarming party at {a} on Saturday at 7."),
    ("en", "Is {a} inside the delivery zone for same-day shipping?"),
    ("no", "Jeg har flyttet til {a}. Kan du skrive en melding om adresseendring til utleieren?"),
    ("no", "Pakken skal leveres til {a}, ring på hos meg."),
    ("de", "Bitte schick die Unterlagen an {a}. Danke!"),
    ("sv", "Skicka fakturan till {a}, tack."),
    ("fr", "Merci d'envoyer le colis à {a}."),
    ("es", "Por favor, envía el paquete a {a}."),
]
_ADDR_LANG_COUNTRY = {
    "no": ["NO"],
    "de": ["DE"],
    "sv": ["SE"],
    "fr": ["FR"],
    "es": ["ES"],
    "en": ["US", "UK", "NO", "DE", "SE", "FR", "ES"],
}


def gen_addresses() -> None:
    for lang, tpl in ADDRESS_TPLS:
        for country in _ADDR_LANG_COUNTRY[lang] * (1 if lang == "en" else 3):
            a = address(country)
            add("postal_address", "in_prose" if lang != "no" else "norwegian", lang, tpl.format(a=a), value=a)
    for country in ["NO", "UK", "US", "DE", "SE", "FR"] * 2:
        n, a = full_name(), address(country, multiline=True)
        add(
            "postal_address",
            "multiline_letter_header",
            "en",
            f"Format this as a proper letter header:\n{n}\n{a}\n\nRe: termination of contract",
            value=a,
        )
    for street, lang, tpl in [
        (NO_STREETS, "no", "Jeg bor i {s} {n}, tredje etasje."),
        (UK_STREETS, "en", "I live at {n} {s}, the blue door next to the bakery."),
        (US_STREETS, "en", "We're at {n} {s} now, so update the school records."),
        (DE_STREETS, "de", "Ich wohne jetzt in der {s} {n}."),
    ]:
        for _ in range(3):
            num = str(R.randint(2, 120))
            street_name = pick(street)
            text = tpl.format(s=street_name, n=num)
            value = f"{num} {street_name}" if "{n} {s}" in tpl else f"{street_name} {num}"
            add("postal_address", "street_only_with_cue", lang, text, value=value)
    for _ in range(5):
        a = address(pick(["US", "UK", "NO"])).lower()
        add("postal_address", "lowercase", "en", f"can u check if {a} is in the catchment area for the school", value=a)
    for _ in range(5):
        a = address(pick(["NO", "UK", "US"]))
        add("postal_address", "in_form", "en", f"Billing details:\nAddress: {a}\nCountry: see above\nVAT: no", value=a)
    for _ in range(4):
        a = address(pick(["NO", "US"]))
        add(
            "postal_address",
            "in_system_prompt_profile",
            "en",
            messages=[
                f"System: you help customers of a furniture shop. Customer record: address={a}; "
                "loyalty=silver; preferred_contact=email.",
                "When will my table be delivered?",
            ],
        )
    for _ in range(3):
        parts = address("NO").split(", ")
        add(
            "postal_address",
            "split_across_messages",
            "no",
            messages=[f"Adressen min er {parts[0]}", "Takk! Og postnummer?", parts[1]],
        )


MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "no": [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}


def gen_birth_dates() -> None:
    fmts: list[tuple[str, str, Callable[[dt.date], str], str]] = [
        (
            "en",
            "dd_month_yyyy",
            lambda d: f"{d.day} {MONTHS['en'][d.month - 1]} {d.year}",
            "I was born on {d}. How many days old am I?",
        ),
        ("en", "us_slashes", lambda d: d.strftime("%m/%d/%Y"), "DOB: {d} - please fill that into the form below."),
        ("en", "iso", lambda d: d.isoformat(), "date of birth {d}, need the passport renewal checklist"),
        (
            "en",
            "month_dd_yyyy",
            lambda d: f"{MONTHS['en'][d.month - 1]} {d.day}, {d.year}",
            "My birthday is {d}. Which zodiac sign am I?",
        ),
        ("en", "dd_mm_yy", lambda d: d.strftime("%d/%m/%y"), "d.o.b. {d} — is that enough for the insurance quote?"),
        (
            "en",
            "ordinal",
            lambda d: (
                f"the {d.day}{'th' if 10 < d.day < 14 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d.day % 10, 'th')} "
                f"of {MONTHS['en'][d.month - 1]}, {d.year}"
            ),
            "I was born on {d}, so what's my age in the application?",
        ),
        ("no", "dots", lambda d: d.strftime("%d.%m.%Y"), "Jeg er født {d}. Når kan jeg ta ut pensjon?"),
        (
            "no",
            "norwegian_month",
            lambda d: f"{d.day}. {MONTHS['no'][d.month - 1]} {d.year}",
            "Fødselsdato: {d}. Kan du fylle ut resten av skjemaet?",
        ),
        (
            "no",
            "dots_short",
            lambda d: d.strftime("%d.%m.%y"),
            "født {d} - hvilke vaksiner anbefales for min aldersgruppe?",
        ),
        ("de", "dots", lambda d: d.strftime("%d.%m.%Y"), "Ich bin am {d} geboren. Wann kann ich in Rente gehen?"),
        ("de", "german_month", lambda d: f"{d.day}. {MONTHS['de'][d.month - 1]} {d.year}", "Geburtsdatum: {d}"),
        (
            "fr",
            "french_month",
            lambda d: f"{d.day} {MONTHS['fr'][d.month - 1]} {d.year}",
            "Je suis né le {d}, à quel âge puis-je partir à la retraite ?",
        ),
        ("sv", "iso", lambda d: d.isoformat(), "Jag är född {d}."),
        ("es", "slashes", lambda d: d.strftime("%d/%m/%Y"), "Fecha de nacimiento: {d}"),
    ]
    for lang, form, fmt, tpl in fmts:
        for _ in range(3 if lang in ("en", "no") else 2):
            d = fmt(dob())
            add("date_of_birth", form, lang, tpl.format(d=d), value=d)
    for _ in range(5):
        n, d = full_name(), dob().strftime("%d.%m.%Y")
        add("date_of_birth", "in_form", "en", f"Passenger 1: {n}, born {d}, seat preference aisle.", value=d)
    for _ in range(4):
        d = f"{R.randint(1, 28)} {MONTHS['en'][R.randrange(12)]} {R.randint(1938, 1960)}"
        add(
            "date_of_birth",
            "answer_in_later_message",
            "en",
            messages=["I need to book the vaccine appointment for my mother", "Sure - what's her date of birth?", d],
        )
    for _ in range(2):
        d = dob().strftime("%d.%m.%Y")
        add(
            "date_of_birth",
            "in_system_prompt_profile",
            "en",
            messages=[
                f"You are a pension advisor bot. User: birth_date={d}; employer=municipality.",
                "When can I retire?",
            ],
        )


# --------------------------------------------------------------------------------------------------
# Positives: phones, e-mail, cards, IBANs, bank accounts, national IDs
# --------------------------------------------------------------------------------------------------

PHONE_TPLS = {
    "en": [
        "You can reach me on {p} after 5 pm if the courier needs directions.",
        "Please call me back at {p}, I couldn't hear the last part of the voicemail.",
        "Write a text to the plumber saying my number is {p} and I'm free Tuesday.",
        "My mobile is {p} - add it to the contact sheet for the school trip.",
        "Can you format this for the flyer: 'Dog walking, call {p}'",
    ],
    "no": [
        "Du kan ringe meg på {p} etter klokka fire.",
        "Mobilnummeret mitt er {p}, send SMS når pakken kommer.",
        "Tlf: {p}. Kan du skrive en annonse for sofaen jeg selger?",
        "Ring meg på {p} hvis det er noe.",
    ],
    "de": ["Meine Handynummer ist {p}, bitte ruf mich zurück."],
    "fr": ["Mon numéro de portable est le {p}, rappelle-moi demain."],
    "sv": ["Mitt mobilnummer är {p}."],
    "es": ["Mi número es {p}, llámame cuando llegues."],
    "ja": ["My number in Tokyo is {p}, call me when you land."],
}
_REGION_LANG = {"NO": "no", "DE": "de", "FR": "fr", "SE": "sv", "ES": "es", "JP": "ja"}


def _phone_text(region: str, value: str) -> tuple[str, str]:
    lang = _REGION_LANG.get(region, "en") if R.random() < 0.6 else "en"
    return lang, pick(PHONE_TPLS[lang]).format(p=value)


def gen_phones() -> None:
    regions = ["NO", "GB", "US", "DE", "FR", "IN", "AU", "SE", "JP", "ES", "NL", "DK", "PL"]
    for region in regions:
        for style in ("international", "national", "e164", "double_zero"):
            if style == "e164" and region not in ("NO", "GB", "US", "DE", "IN", "SE"):
                continue
            value = fmt_phone(phone(region), style)
            lang, text = _phone_text(region, value)
            add("phone", style, lang, text, value=value)
    for region in ["NO", "NO", "NO", "GB", "US", "DE", "SE", "DK"]:
        num = phone(region)
        value = digits_only(fmt_phone(num, "national"))
        word = pick(["mobil", "tlf", "ring meg på"] if region == "NO" else ["phone", "cell", "mobile", "number"])
        add(
            "phone",
            "compact_with_context",
            "no" if word in ("mobil", "tlf", "ring meg på") else "en",
            f"{word} {value} - send meg bekreftelsen dit"
            if word in ("mobil", "tlf", "ring meg på")
            else f"my {word} is {value}, text me when you're outside",
            value=value,
        )
    for region, sep, form in [
        ("NO", "-", "dashes"),
        ("NO", ".", "dots"),
        ("GB", "-", "dashes"),
        ("DE", "/", "slashes"),
        ("FR", ".", "dots"),
        ("US", ".", "dots"),
        ("AU", "-", "dashes"),
        ("IN", "-", "dashes"),
        ("SE", "-", "dashes"),
        ("ES", ".", "dots"),
    ]:
        national = fmt_phone(phone(region), "national").replace("(", "").replace(")", "")
        value = national.replace(" ", sep).replace("-", sep)
        lang, text = _phone_text(region, value)
        add("phone", form, lang, text, value=value)
    for prefix in ["+47 ", "0047 ", "", "+47 ", "(+47) "]:
        n = digits_only(fmt_phone(phone("NO"), "national"))
        if n[0] in "49":  # mobiles are written 3-2-3 in Norway, landlines 2-2-2-2
            value = f"{prefix}{n[:3]} {n[3:5]} {n[5:]}"
            add("phone", "norwegian_3_2_3", "no", pick(PHONE_TPLS["no"]).format(p=value), value=value)
    for region in ["NO", "GB", "US"]:
        value = " ".join(digits_only(fmt_phone(phone(region), "national")))
        add("phone", "one_digit_at_a_time", "en", f"ok my number is {value} (sorry my keyboard is weird)", value=value)
    for region, disguise, form in [
        ("NO", fullwidth, "fullwidth"),
        ("GB", fullwidth, "fullwidth"),
        ("IN", arabic_indic, "arabic_indic_digits"),
        ("NO", arabic_indic, "arabic_indic_digits"),
        ("US", zero_width, "zero_width"),
        ("NO", zero_width, "zero_width"),
    ]:
        value = disguise(fmt_phone(phone(region), "international"))
        lang, text = _phone_text(region, value)
        add("phone", form, lang, text, value=value)
    for region in ["NO", "GB", "US", "DE", "SE", "NO"]:
        n, value = full_name(), fmt_phone(phone(region), pick(["international", "national"]))
        add(
            "phone",
            "in_email_signature",
            "en",
            f"Shorten this email please:\n\nHi, just checking whether the quote "
            f"is ready, we'd like to start in May.\n\nBest,\n{n}\nMob: {value}",
            value=value,
        )
    for region in ["NO", "NO", "GB", "US", "DE", "SE", "FR", "IN"]:
        value = fmt_phone(phone(region), pick(["international", "national"]))
        cut = R.randrange(len(value) // 3, 2 * len(value) // 3)
        while value[cut - 1] == " " or value[cut] == " ":
            cut += 1
        first, second = value[:cut].rstrip(), value[cut:].lstrip()
        msgs = (
            [f"my number is {first}", f"{second} sorry, hit enter too early"]
            if R.random() < 0.5
            else [f"call me on {first}", "It looks like the number got cut off. Could you send the rest?", second]
        )
        add("phone", "split_across_messages", "en", messages=msgs)
    for region in ["NO", "US", "GB", "DE"]:
        value = fmt_phone(phone(region), "international")
        add(
            "phone",
            "in_system_prompt_profile",
            "en",
            messages=[
                f"You are the booking assistant for a hair salon. Client profile: phone={value}; stylist=any; "
                "notes=prefers mornings.",
                "Can I move my appointment to Friday?",
            ],
        )


MAIL_DOMAINS = [
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "icloud.com",
    "proton.me",
    "online.no",
    "hotmail.no",
    "live.no",
    "gmx.de",
    "web.de",
    "orange.fr",
    "nordlys-regnskap.no",
    "brightpath-consulting.co.uk",
    "harbourline-logistics.com",
    "fjordtech.no",
    "example.com",
]


def email_address(first: str | None = None, last: str | None = None) -> str:
    if first is None or last is None:
        first, last = person()
    f, l_ = ascii_fold(first).lower(), ascii_fold(last).lower().replace("-", "")
    local = pick(
        [
            f"{f}.{l_}",
            f"{f}{l_}",
            f"{f[0]}.{l_}",
            f"{f}_{l_}{R.randint(1, 99)}",
            f"{f}{R.randint(70, 99)}",
            f"{f}.{l_}+shop",
            f"{l_}.{f}",
        ]
    )
    return f"{local}@{pick(MAIL_DOMAINS)}"


EMAIL_TPLS = [
    ("en", "Send the invoice to {e} and copy me in, please."),
    ("en", "My email is {e}, can you write a short message to support saying I never got the reset link?"),
    ("en", "Update my contact details: email {e}, everything else stays the same."),
    ("en", "Can you check this for typos? 'For questions, contact me at {e}.'"),
    ("no", "E-postadressen min er {e}, send kvitteringen dit."),
    ("no", "Kan du skrive en svarmail? Mottakeren er {e}."),
    ("de", "Meine E-Mail-Adresse ist {e}."),
]


def _spelled(e: str, at: str, dot: str) -> str:
    local, domain = e.split("@")
    return local.replace(".", dot) + at + domain.replace(".", dot)


def gen_emails() -> None:
    for lang, tpl in EMAIL_TPLS:
        for _ in range(3):
            e = email_address()
            add("email", "in_prose" if lang != "no" else "norwegian", lang, tpl.format(e=e), value=e)
    disguises: list[tuple[str, Callable[[str], str]]] = [
        ("spelled_out_at_dot", lambda e: _spelled(e, " at ", " dot ")),
        ("spelled_out_at_dot", lambda e: _spelled(e, " AT ", " DOT ")),
        ("bracket_at", lambda e: e.replace("@", " [at] ")),
        ("bracket_at", lambda e: e.replace("@", "[at]")),
        ("bracket_at", lambda e: e.replace("@", "(at)")),
        ("bracket_at", lambda e: _spelled(e, " (at) ", " (dot) ")),
        ("bracket_at", lambda e: _spelled(e, "{at}", "[dot]")),
        ("fullwidth", lambda e: e.replace("@", "＠")),
        ("fullwidth", lambda e: fullwidth(e, string.ascii_letters + string.digits + "@.")),
        ("zero_width", zero_width),
        ("cyrillic_homoglyph", lambda e: cyrillic(e, e.index("@") + 1)),
        ("cyrillic_homoglyph", lambda e: cyrillic(e)),
        ("html_entity", lambda e: e.replace("@", "&#64;")),
        ("html_entity", lambda e: e.replace("@", "&commat;").replace(".", "&period;", 1)),
        ("percent_encoded", lambda e: e.replace("@", "%40")),
        ("uppercase", str.upper),
        ("norwegian_spelled", lambda e: _spelled(e, " krøllalfa ", " punktum ")),
    ]
    for form, disguise in disguises:
        for _ in range(3):
            value = disguise(email_address())
            text = pick(
                [
                    "write to me at {e} so the spam bots don't get it",
                    "contact: {e} (typed it like that on purpose)",
                    "you can email {e} with the signed form",
                    "Min e-post: {e}",
                ]
            ).format(e=value)
            add("email", form, "no" if text.startswith("Min") else "en", text, value=value)
    for _ in range(6):
        first, last = person()
        e = email_address(first, last)
        add(
            "email",
            "in_email_signature",
            "en",
            f"Make this friendlier:\n\nPlease confirm the dates by Monday.\n\n"
            f"Regards,\n{first} {last}\n{e} | www.example-company.test",
            value=e,
        )
    for _ in range(4):
        e = email_address()
        add(
            "email",
            "in_code",
            "en",
            f"git keeps using the wrong identity, here's my config:\n[user]\n  name = dev\n"
            f"  email = {e}\nhow do I fix it per repo?",
            value=e,
        )
    for _ in range(3):
        e = email_address()
        add("email", "mailto_link", "en", f'Is this HTML right? <a href="mailto:{e}">Contact me</a>', value=e)
    for _ in range(4):
        e = email_address()
        local, domain = e.split("@")
        add("email", "split_across_messages", "en", messages=[f"my email is {local}", f"@{domain}"])
    for _ in range(3):
        e = email_address()
        add(
            "email",
            "in_system_prompt_profile",
            "en",
            messages=[
                f"You are a helpful assistant. Known user facts: email: {e}; timezone: Europe/Oslo; units: metric.",
                "Draft a reply to the last newsletter",
            ],
        )


CARD_CONTEXT = [
    ("en", "My card number is {c}, exp {x}. Why was the payment declined?"),
    ("en", "I was charged twice on card {c}. Can you write a dispute letter to the bank?"),
    ("en", "Use {c} for the hotel deposit, expiry {x}, CVC {v}."),
    ("en", "is {c} a visa or a mastercard? it's the one I used for the flight"),
    ("no", "Kortnummeret mitt er {c}, gyldig til {x}. Hvorfor ble betalingen avvist?"),
    ("no", "Jeg har sperret kortet {c}, kan du skrive en melding til banken?"),
    ("de", "Meine Kreditkartennummer ist {c}, gültig bis {x}."),
]


def _card_format(number: str, form: str) -> str:
    g = card_groups(number)
    return {
        "plain": lambda: number,
        "spaced": lambda: group(number, g),
        "dashes": lambda: group(number, g, "-"),
        "dots": lambda: group(number, g, "."),
        "slashes": lambda: group(number, g, "/"),
        "mixed_separators": lambda: "".join(
            part + (R.choice(" -./") if i < len(g) - 1 else "") for i, part in enumerate(group(number, g).split())
        ),
        "one_digit_at_a_time": lambda: " ".join(number),
        "fullwidth": lambda: fullwidth(group(number, g)),
        "arabic_indic_digits": lambda: arabic_indic(group(number, g)),
        "zero_width": lambda: zero_width(number),
        "html_entity": lambda: "".join(f"&#{ord(c)};" if i % 3 == 0 else c for i, c in enumerate(group(number, g))),
        "double_spaced": lambda: group(number, g, "  "),
    }[form]()


def gen_cards() -> None:
    forms = [
        "plain",
        "spaced",
        "dashes",
        "dots",
        "slashes",
        "mixed_separators",
        "one_digit_at_a_time",
        "fullwidth",
        "arabic_indic_digits",
        "zero_width",
        "html_entity",
        "double_spaced",
    ]
    for i, form in enumerate(forms * 4):
        number = card_number()
        value = _card_format(number, form)
        assert digits_only(unmask(value)) == number, (value, number)
        lang, tpl = CARD_CONTEXT[i % len(CARD_CONTEXT)]
        text = tpl.format(c=value, x=f"{R.randint(1, 12):02d}/{R.randint(26, 31)}", v=f"{R.randint(100, 999)}")
        add("card", form, lang, text, value=value)
    for _ in range(4):
        number = card_number()
        value = group(number, card_groups(number))
        add(
            "card",
            "in_form",
            "en",
            f"Checkout form:\nName on card: as passport\nCard: {value}\n"
            f"Expiry: {R.randint(1, 12):02d}/{R.randint(26, 31)}",
            value=value,
        )
    for i in range(10):
        number = card_number()
        parts = group(number, card_groups(number)).split()
        half = len(parts) // 2
        a, b = " ".join(parts[:half]), " ".join(parts[half:])
        if i % 3 == 0:
            msgs = [f"my card is {a}", f"sorry, continued: {b}"]
        elif i % 3 == 1:
            msgs = [f"kortnummer {a}", "Det ser ut som nummeret ble kuttet. Kan du sende resten?", b]
        else:
            msgs = [f"here's the card for the booking: {a}", f"{b} exp 09/28"]
        add("card", "split_across_messages", "no" if "kortnummer" in msgs[0] else "en", messages=msgs)


IBAN_TPLS = [
    ("en", "Please transfer the deposit to {i}. Reference: flat 2B."),
    ("en", "My IBAN is {i} - can you write the payment instructions for my tenant?"),
    ("en", "Refund to {i} please, the original card has expired."),
    ("no", "Kan du sende pengene til {i}? Merk betalingen med 'hytteleie'."),
    ("de", "Bitte überweisen Sie den Betrag auf mein Konto {i}."),
    ("fr", "Voici mon IBAN : {i}"),
    ("es", "Mi IBAN es {i}, gracias."),
]


def gen_ibans() -> None:
    countries = sorted(_IBAN_BBAN)
    forms: list[tuple[str, Callable[[str], str]]] = [
        ("plain", lambda v: v),
        ("spaced", iban.format),
        ("lowercase", lambda v: iban.format(v).lower()),
        ("lowercase", str.lower),
        ("dashes", lambda v: iban.format(v).replace(" ", "-")),
        ("fullwidth", lambda v: fullwidth(iban.format(v), string.digits + string.ascii_uppercase)),
        ("zero_width", zero_width),
    ]
    for i, (form, fmt) in enumerate(forms * 6):
        cc = countries[i % len(countries)]
        value = fmt(iban_number(cc))
        lang, tpl = IBAN_TPLS[i % len(IBAN_TPLS)]
        add("iban", form, lang, tpl.format(i=value), value=value)
    for _ in range(4):
        value = iban.format(iban_number(pick(["NO", "DE", "GB"])))
        add(
            "iban",
            "in_email_signature",
            "en",
            f"Proofread my invoice footer:\n\nPayment within 14 days.\n"
            f"IBAN: {value}  BIC: DNBANOKKXXX\nThank you for your business!",
            value=value,
        )
    for _ in range(4):
        groups = iban.format(iban_number(pick(["NO", "DE", "NL", "FR"]))).split()
        add(
            "iban",
            "split_across_messages",
            "en",
            messages=[f"iban: {' '.join(groups[:3])}", f"{' '.join(groups[3:])}  (sorry, it got cut)"],
        )


def gen_bank_accounts() -> None:
    for i in range(16):
        number = _until_valid(lambda: _digits(11), kontonr.is_valid)
        value = [kontonr.format(number), number, f"{number[:4]} {number[4:6]} {number[6:]}"][i % 3]
        text = pick(
            [
                "Kontonummeret mitt er {k}, kan du sette opp en fast overføring?",
                "Betal til konto {k}, merk med fakturanummer.",
                "my Norwegian account number is {k}, is that enough for a wire from the UK?",
                "Lønna skal inn på {k} fra neste måned. Skriv en e-post til lønningskontoret.",
            ]
        ).format(k=value)
        add(
            "bank_account",
            "norwegian" if "konto" in text.lower() else "in_prose",
            "en" if text.startswith("my") else "no",
            text,
            value=value,
        )
    for _ in range(8):
        routing = _until_valid(lambda: R.choice("0123") + _digits(7), lambda v: len(v) == 8)
        routing = routing + rtn.calc_check_digit(routing)
        assert rtn.is_valid(routing)
        acct = _digits(R.randint(9, 12))
        text = pick(
            [
                "Set up direct deposit: routing number {r}, account number {a}.",
                "For the wire use ABA {r} and checking account {a}.",
                "routing {r} / acct {a} - write the payment instructions for my landlord",
            ]
        ).format(r=routing, a=acct)
        add("bank_account", "us_routing_account", "en", text, value=acct)
    for _ in range(6):
        sort, acct = f"{R.randint(10, 99)}-{_digits(2)}-{_digits(2)}", _digits(8)
        text = pick(
            [
                "My sort code is {s} and account number {a}. Please refund there.",
                "Bank details for the invoice: sort code {s}, account {a}.",
            ]
        ).format(s=sort, a=acct)
        add("bank_account", "uk_sort_code", "en", text, value=acct)
    others: list[tuple[str, str, Callable[[], tuple[str, str]]]] = [
        (
            "sv",
            "Clearingnummer {c}, kontonummer {a} – kan du skriva betalningsinstruktionen?",
            lambda: (str(R.randint(3300, 8999)), group(_digits(10), [3, 3, 3, 1], " ")),
        ),
        ("da", "Reg.nr. {c} kontonr. {a} - overfør venligst depositum dertil.", lambda: (_digits(4), _digits(10))),
        ("en", "Australian account: BSB {c}, account number {a}.", lambda: (f"{_digits(3)}-{_digits(3)}", _digits(8))),
        ("en", "For the Indian transfer: A/C No. {a}, IFSC {c}.", lambda: ("SBIN0" + _digits(6), _digits(12))),
        (
            "de",
            "Kontonummer {a}, BLZ {c} (altes Konto, bitte noch einmal dorthin).",
            lambda: (group(_digits(8), [3, 3, 2]), _digits(10)),
        ),
        ("en", "Canadian direct deposit: transit {c}, institution 004, account {a}.", lambda: (_digits(5), _digits(7))),
    ]
    for lang, tpl, make in others:
        for _ in range(3):
            c, a = make()
            add("bank_account", "in_prose", lang, tpl.format(c=c, a=a), value=a)
    for _ in range(3):
        number = kontonr.format(_until_valid(lambda: _digits(11), kontonr.is_valid))
        add(
            "bank_account",
            "split_across_messages",
            "no",
            messages=[f"kontonummer {number[:7]}", f"{number[7:]} (ble kuttet)"],
        )


NATIONAL_TPLS = {
    "en": [
        "My {w} is {v}, can you fill in the rest of the tax form?",
        "{w}: {v} - what else does the bank need?",
        "The clinic asked for my {w}; it's {v}. Is it safe to email it?",
    ],
    "no": ["Mitt {w} er {v}. Kan du fylle ut skjemaet for barnetrygd?", "{w}: {v}, trenger jeg noe mer for NAV?"],
    "sv": ["Mitt {w} är {v}, vad behöver Försäkringskassan mer?"],
    "da": ["{w}: {v}. Hvad mangler jeg til SKAT?"],
    "fi": ["Minun {w} on {v}."],
    "de": ["Meine {w} lautet {v}, reicht das für das Finanzamt?"],
    "fr": ["Mon {w} est le {v}, c'est pour la mutuelle."],
    "es": ["{w}: {v}, ¿qué más necesito para el trámite?"],
    "it": ["Il mio {w} è {v}."],
    "nl": ["Mijn {w} is {v}, wat heeft de gemeente nog meer nodig?"],
    "pl": ["Mój {w} to {v}."],
    "pt": ["Meu {w} é {v}, o que mais preciso para abrir a conta?"],
}


def gen_national_ids() -> None:
    for label, lang, _make, check, words, fmts in ID_SPECS:
        reps = 3 if label in ("no_fnr", "us_ssn", "se_pnr", "gb_nino", "de_idnr", "dk_cpr", "nl_bsn") else 2
        for fi, fmt in enumerate(fmts):
            for _ in range(reps if fi < 2 else 1):
                raw = national_id(label)
                value = fmt(raw)
                assert check(raw)
                tpls = NATIONAL_TPLS[lang] if R.random() < 0.7 else NATIONAL_TPLS["en"]
                text = pick(tpls).format(w=pick(words), v=value)
                form = (
                    "plain"
                    if value == raw
                    else (
                        "spaced"
                        if " " in value
                        else "dashes"
                        if "-" in value
                        else "dots"
                        if "." in value
                        else "lowercase"
                        if value.islower()
                        else "slashes"
                        if "/" in value
                        else "formatted"
                    )
                )
                add("national_id", f"{label}:{form}", lang, text, value=value)
    for label in ["no_fnr", "no_fnr", "us_ssn", "se_pnr", "dk_cpr", "fi_hetu"]:
        value = national_id(label)
        add(
            "national_id",
            f"{label}:in_form_no_context",
            "en",
            f"Here's the row from the spreadsheet, fix the columns:\n{full_name()};{value};active",
            value=value,
        )
    for label, disguise, form in [
        ("no_fnr", fullwidth, "fullwidth"),
        ("us_ssn", arabic_indic, "arabic_indic_digits"),
        ("no_fnr", zero_width, "zero_width"),
        ("se_pnr", fullwidth, "fullwidth"),
    ]:
        value = disguise(national_id(label))
        add("national_id", f"{label}:{form}", "en", f"my ID number is {value}, is it stored safely?", value=value)
    for label, word in [
        ("no_fnr", "fødselsnummer"),
        ("us_ssn", "SSN"),
        ("no_fnr", "fnr"),
        ("se_pnr", "personnummer"),
        ("dk_cpr", "CPR"),
    ]:
        value = national_id(label)
        cut = 6 if label != "us_ssn" else 5
        add(
            "national_id",
            f"{label}:split_across_messages",
            "en",
            messages=[f"{word} {value[:cut]}", "Could you send the remaining digits?", value[cut:]],
        )
    for label in ["no_fnr", "us_ssn", "gb_nino", "de_idnr"]:
        value = national_id(label)
        add(
            "national_id",
            f"{label}:in_system_prompt_profile",
            "en",
            messages=[
                f"You are a tax helper. User profile: national_id={value}; country={label[:2].upper()}; filing=single.",
                "What deductions can I claim?",
            ],
        )


# --------------------------------------------------------------------------------------------------
# Positives: network identifiers and wallets
# --------------------------------------------------------------------------------------------------


def gen_ips() -> None:
    tpls = [
        ("en", "prose", "My home IP is {ip}, can you write the firewall rule to whitelist it?"),
        ("en", "prose", "The bank blocked me, they say logins came from {ip}, which is my flat. What do I tell them?"),
        (
            "en",
            "in_log",
            "Why do I get this? sshd[2231]: Failed password for invalid user admin from {ip} port 51234 ssh2",
        ),
        (
            "en",
            "in_log",
            '{ip} - - [12/Mar/2024:10:15:32 +0000] "GET /login HTTP/1.1" 401 512 - is this someone trying to break in?',
        ),
        ("en", "in_code", "nginx config for my home server:\nlocation /admin {{\n  allow {ip};\n  deny all;\n}}"),
        ("no", "norwegian", "IP-adressen min er {ip}, hvorfor får jeg ikke logget inn på jobb-VPN?"),
        ("en", "with_port", "I'm hosting Minecraft for friends, they connect to {ip}:25565, is it safe?"),
        ("en", "in_form", "Support ticket:\nCustomer IP: {ip}\nIssue: can't reach the router admin page"),
    ]
    for lang, form, tpl in tpls:
        for _ in range(4):
            ip = ip_v4()
            add("ip_address", form, lang, tpl.format(ip=ip), value=ip)
    for _ in range(6):
        ip = ip_v6()
        add(
            "ip_address",
            "ipv6",
            "en",
            pick(
                ["my IPv6 from whatismyip is {ip}, is that traceable to me?", "Allow list entry for my laptop: {ip}"]
            ).format(ip=ip),
            value=ip,
        )
    for _ in range(3):
        ip = ip_v4()
        value = ip.replace(".", " dot ")
        add("ip_address", "spelled_out_dots", "en", f"the address is {value}, can you ping it for me?", value=value)
    for _ in range(2):
        ip = fullwidth(ip_v4(), string.digits + ".")
        add("ip_address", "fullwidth", "en", f"my public ip: {ip}", value=ip)


def gen_macs() -> None:
    forms: list[tuple[str, Callable[[list[int]], str]]] = [
        ("colons_lower", lambda b: ":".join(f"{x:02x}" for x in b)),
        ("colons_upper", lambda b: ":".join(f"{x:02X}" for x in b)),
        ("dashes", lambda b: "-".join(f"{x:02X}" for x in b)),
        ("cisco_dots", lambda b: ".".join(bytes(b).hex()[i : i + 4] for i in (0, 4, 8))),
        ("compact", lambda b: bytes(b).hex().upper()),
    ]
    tpls = [
        ("en", "My laptop's MAC address is {m}, how do I reserve an IP for it on the router?"),
        ("en", "ipconfig /all says Physical Address. . . : {m} - is that my wifi card?"),
        ("en", "dhcpd.conf: host printer {{ hardware ethernet {m}; fixed-address 10.0.0.50; }} why is it ignored?"),
        ("no", "MAC-adressen til TV-en min er {m}, hvordan blokkerer jeg den i ruteren?"),
        ("en", "The school network asks for my device MAC: {m}. What else do they need?"),
    ]
    for i in range(40):
        form, fmt = forms[i % len(forms)]
        b = mac_bytes()
        value = fmt(b)
        assert mac.is_valid(":".join(f"{x:02x}" for x in b))
        lang, tpl = tpls[(i // len(forms) + i) % len(tpls)]
        add("mac_address", form, lang, tpl.format(m=value), value=value)


WALLET_TPLS = [
    ("en", "Send my share of the pizza money to my {c} wallet: {w}"),
    ("en", "Is this the right format for a {c} address? {w} - I want to receive a payment from my brother."),
    ("en", "Please refund to {w} ({c}), not to the card."),
    ("no", "Min {c}-lommebok er {w}, kan du skrive en kvittering?"),
    ("en", "payout address ({c}): {w}"),
]
WALLET_KINDS = [
    ("btc_p2pkh", "Bitcoin"),
    ("btc_p2sh", "BTC"),
    ("btc_bech32", "bitcoin"),
    ("btc_taproot", "Bitcoin"),
    ("eth", "Ethereum"),
    ("eth", "ETH"),
    ("ltc", "Litecoin"),
    ("ltc_bech32", "LTC"),
    ("doge", "Dogecoin"),
    ("xrp", "XRP"),
    ("trx", "TRON"),
    ("sol", "Solana"),
]


def gen_wallets() -> None:
    for i in range(44):
        kind, coin = WALLET_KINDS[i % len(WALLET_KINDS)]
        w = wallet(kind)
        lang, tpl = WALLET_TPLS[i % len(WALLET_TPLS)]
        add("crypto_wallet", kind, lang, tpl.format(c=coin, w=w), value=w)
    w = wallet("btc_bech32")
    add("crypto_wallet", "split_across_messages", "en", messages=[f"my btc address is {w[:20]}", f"{w[20:]} (cont.)"])


# --------------------------------------------------------------------------------------------------
# Positives: secrets
# --------------------------------------------------------------------------------------------------

UPPER_DIG = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"


def api_keys() -> list[tuple[str, str, str]]:
    """(provider, env var name, random key) for one key of each provider."""
    discord_id = str(R.randint(10**17, 10**18 - 1)).encode()
    return [
        ("aws_access_key_id", "AWS_ACCESS_KEY_ID", "AKIA" + rand_str(16, UPPER_DIG)),
        ("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", rand_str(40, B64)),
        ("github_pat", "GITHUB_TOKEN", "ghp_" + rand_str(36)),
        ("github_fine_grained", "GH_TOKEN", "github_pat_" + rand_str(22) + "_" + rand_str(59)),
        ("github_oauth", "GITHUB_OAUTH_TOKEN", "gho_" + rand_str(36)),
        ("gitlab_pat", "GITLAB_TOKEN", "glpat-" + rand_str(20, ALNUM + "-_")),
        ("slack_bot", "SLACK_BOT_TOKEN", f"xoxb-{_digits(12)}-{_digits(13)}-{rand_str(24)}"),
        ("slack_user", "SLACK_USER_TOKEN", f"xoxp-{_digits(12)}-{_digits(12)}-{_digits(13)}-{rand_str(32, HEX)}"),
        (
            "slack_webhook",
            "SLACK_WEBHOOK_URL",
            f"https://hooks.slack.com/services/T{rand_str(10, UPPER_DIG)}/B{rand_str(10, UPPER_DIG)}/{rand_str(24)}",
        ),
        ("stripe_live", "STRIPE_SECRET_KEY", "sk_live_" + rand_str(24)),
        ("stripe_restricted", "STRIPE_RESTRICTED_KEY", "rk_live_" + rand_str(99)),
        (
            "openai_project",
            "OPENAI_API_KEY",
            "sk-proj-" + rand_str(74, ALNUM + "-_") + "T3BlbkFJ" + rand_str(74, ALNUM + "-_"),
        ),
        ("openai_legacy", "OPENAI_API_KEY", "sk-" + rand_str(20) + "T3BlbkFJ" + rand_str(20)),
        ("anthropic", "ANTHROPIC_API_KEY", "sk-ant-api03-" + rand_str(93, ALNUM + "-_") + "AA"),
        ("google", "GOOGLE_API_KEY", "AIza" + rand_str(35, ALNUM + "-_")),
        ("huggingface", "HF_TOKEN", "hf_" + rand_str(34, string.ascii_letters)),
        ("npm", "NPM_TOKEN", "npm_" + rand_str(36)),
        ("pypi", "PYPI_TOKEN", "pypi-AgEIcHlwaS5vcmc" + rand_str(50 + R.randint(0, 80), ALNUM + "-_")),
        ("sendgrid", "SENDGRID_API_KEY", f"SG.{rand_str(22, ALNUM + '-_')}.{rand_str(43, ALNUM + '-_')}"),
        ("twilio_api_key", "TWILIO_API_KEY", "SK" + rand_str(32, HEX)),
        ("twilio_auth_token", "TWILIO_AUTH_TOKEN", rand_str(32, HEX)),
        (
            "discord_bot",
            "DISCORD_TOKEN",
            f"{b64url(discord_id)}.{rand_str(6, ALNUM + '-_')}.{rand_str(38, ALNUM + '-_')}",
        ),
        ("telegram_bot", "TELEGRAM_BOT_TOKEN", f"{R.randint(10**8, 10**10)}:AA{rand_str(33, ALNUM + '-_')}"),
        (
            "azure_storage",
            "AZURE_STORAGE_CONNECTION_STRING",
            f"DefaultEndpointsProtocol=https;AccountName=st{rand_str(8, string.ascii_lowercase)}01;"
            f"AccountKey={base64.b64encode(R.randbytes(64)).decode()};EndpointSuffix=core.windows.net",
        ),
        ("azure_openai", "AZURE_OPENAI_API_KEY", rand_str(32, HEX)),
        ("mailgun", "MAILGUN_API_KEY", "key-" + rand_str(32, HEX)),
        ("mailchimp", "MAILCHIMP_API_KEY", rand_str(32, HEX) + f"-us{R.randint(1, 21)}"),
        ("shopify", "SHOPIFY_ACCESS_TOKEN", "shpat_" + rand_str(32, HEX)),
        ("digitalocean", "DIGITALOCEAN_TOKEN", "dop_v1_" + rand_str(64, HEX)),
        ("generic_hex", "API_KEY", rand_str(40, HEX)),
    ]


def _key_text(provider: str, var: str, key: str, style: int) -> tuple[str, str, str]:
    """(form, lang, text) for one of several realistic ways a key is pasted."""
    host = pick(["api.example-saas.test", "api.internal.acme.test"])
    styles: list[tuple[str, str, str]] = [
        ("in_env", "en", f"my app won't start, here's my .env:\nPORT=8080\n{var}={key}\nDEBUG=true"),
        ("in_prose", "en", f"I think my {provider.replace('_', ' ')} key {key} got revoked, how do I check?"),
        (
            "in_code",
            "en",
            f'why does this fail?\n\nimport os\nclient = Client(api_key="{key}")\nprint(client.models.list())',
        ),
        ("in_curl", "en", f"curl -H 'Authorization: Bearer {key}' https://{host}/v1/status returns 401, why?"),
        ("in_yaml", "en", f"GitHub Actions step:\n  env:\n    {var}: {key}\n  run: npm publish\nis this right?"),
        ("norwegian", "no", f"Kan du se hva som er feil? Jeg bruker nøkkelen {key} i appen, men får 403."),
        ("in_json", "en", f'config.json:\n{{"endpoint": "https://{host}", "{var.lower()}": "{key}", "retries": 3}}'),
        ("export", "en", f'export {var}="{key}"\nthen python main.py says unauthorized'),
    ]
    return styles[style % len(styles)]


def gen_api_keys() -> None:
    style = 0
    for round_ in range(3):
        for provider, var, key in api_keys():
            if round_ == 2 and provider.startswith(("generic", "twilio_auth", "azure_openai", "mailgun")):
                continue
            form, lang, text = _key_text(provider, var, key, style)
            style += 1
            add("api_key", f"{provider}:{form}", lang, text, value=key)
    for _ in range(4):
        key_id, secret = "AKIA" + rand_str(16, UPPER_DIG), rand_str(40, B64)
        add(
            "api_key",
            "aws_secret_access_key:in_prose",
            "en",
            f"ok so my access key id is {key_id} and the secret access key is {secret}, "
            "why does the CLI say SignatureDoesNotMatch?",
            value=secret,
        )
        add(
            "api_key",
            "aws_credentials_file",
            "en",
            f"~/.aws/credentials:\n[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
            "region = eu-north-1",
            value=secret,
        )
    for _ in range(3):
        key = "ghp_" + rand_str(36)
        add(
            "api_key",
            "split_across_messages",
            "en",
            messages=[f"token is {key[:20]}", f"{key[20:]} - sorry, it wrapped"],
        )
    for _ in range(2):
        key = "sk-proj-" + rand_str(40, ALNUM + "-_") + "T3BlbkFJ" + rand_str(40, ALNUM + "-_")
        add(
            "api_key",
            "in_system_prompt_profile",
            "en",
            messages=[
                f"You are a coding agent. Tools config: openai_api_key={key}; model=gpt-4o; temperature=0.2.",
                "List the files in the repo",
            ],
        )


def _der_rsa() -> bytes:
    return bytes.fromhex("308204a40201000282010100") + R.randbytes(1180)


def _der_pkcs8() -> bytes:
    return bytes.fromhex("308204be020100300d06092a864886f70d0101010500048204a8308204a40201000282010100") + R.randbytes(
        1180
    )


def _der_ec() -> bytes:
    return (
        bytes.fromhex("30770201010420")
        + R.randbytes(32)
        + bytes.fromhex("a00a06082a8648ce3d030107a144034200")
        + b"\x04"
        + R.randbytes(64)
    )


def _openssh() -> bytes:
    return b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01" + R.randbytes(
        330
    )


def _pem(label: str, der: bytes, width: int = 64) -> tuple[str, str, str]:
    body = base64.b64encode(der).decode()
    lines = "\n".join(body[i : i + width] for i in range(0, len(body), width))
    return f"-----BEGIN {label}-----", lines, f"-----END {label}-----"


def gen_private_keys() -> None:
    kinds = [
        ("RSA PRIVATE KEY", _der_rsa, 64),
        ("PRIVATE KEY", _der_pkcs8, 64),
        ("EC PRIVATE KEY", _der_ec, 64),
        ("OPENSSH PRIVATE KEY", _openssh, 70),
    ]
    intros = [
        "My deploy fails with 'invalid format', here is the key file:\n",
        "Is this key in the right format for Paramiko?\n\n",
        "Kan du sjekke om denne nøkkelen er gyldig?\n",
        "```\n",
    ]
    for i in range(16):
        label, make, width = kinds[i % len(kinds)]
        head, body, tail = _pem(label, make(), width)
        intro = intros[i % len(intros)]
        text = intro + f"{head}\n{body}\n{tail}" + ("\n```" if intro == "```\n" else "")
        add("private_key", "pem_full", "no" if "Kan du" in intro else "en", text, value=body.splitlines()[0])
    for i in range(6):
        label, make, width = kinds[i % len(kinds)]
        head, body, tail = _pem(label, make(), width)
        add(
            "private_key",
            "lowercase_header",
            "en",
            f"{head.lower()}\n{body}\n{tail.lower()}\nwhy won't ssh accept it",
            value=body,
        )
    for i in range(8):
        label, make, width = kinds[i % 3]
        _, body, _ = _pem(label, make(), width)
        if i % 2:
            body = "\n".join(body.splitlines()[:6]) + "\n..."
        add(
            "private_key",
            "body_only",
            "en",
            f"I copied only the middle part of the key, is this enough?\n{body}",
            value=body.splitlines()[0],
        )
    for _ in range(4):
        head, body, tail = _pem("PRIVATE KEY", _der_pkcs8())
        escaped = f"{head}\\n{body.replace(chr(10), chr(92) + 'n')}\\n{tail}\\n"
        add(
            "private_key",
            "in_json_service_account",
            "en",
            '{"type": "service_account", "project_id": "billing-prod-4411", '
            f'"private_key_id": "{rand_str(40, HEX)}", "private_key": "{escaped}", '
            '"client_email": "svc-billing@billing-prod-4411.iam.gserviceaccount.com"}  <- gcloud rejects this, why?',
            value=escaped,
        )
    for _ in range(4):
        key = base64.b64encode(R.randbytes(32)).decode()
        add(
            "private_key",
            "wireguard_config",
            "en",
            f"my wg0.conf:\n[Interface]\nPrivateKey = {key}\nAddress = 10.8.0.2/24\nDNS = 1.1.1.1\nwhy no handshake?",
            value=key,
        )
    for _ in range(3):
        key = R.randbytes(32).hex()
        add(
            "private_key",
            "crypto_private_key_hex",
            "en",
            f"I exported my MetaMask private key: {key} - how do I import it into another wallet?",
            value=key,
        )
    for _ in range(3):
        head, body, tail = _pem("PGP PRIVATE KEY BLOCK", b"\x95\x03\xc6\x04" + R.randbytes(700))
        add(
            "private_key",
            "pgp",
            "en",
            f"{head}\n\n{body}\n{tail}\nhow do I import this into Thunderbird?",
            value=body.splitlines()[0],
        )
    head, body, tail = _pem("RSA PRIVATE KEY", _der_rsa())
    lines = body.splitlines()
    add(
        "private_key",
        "split_across_messages",
        "en",
        messages=[f"{head}\n" + "\n".join(lines[:10]), "\n".join(lines[10:]) + f"\n{tail}"],
    )


def jwt_token() -> str:
    header = R.choice(
        [
            {"alg": "HS256", "typ": "JWT"},
            {"alg": "RS256", "typ": "JWT", "kid": rand_str(16, HEX)},
            {"typ": "JWT", "alg": "ES256"},
            {"alg": "HS512"},
        ]
    )
    now = R.randint(1_700_000_000, 1_730_000_000)
    payload: dict[str, object] = {
        "sub": R.choice([str(R.randint(1000, 99999999)), rand_str(24, HEX)]),
        "iat": now,
        "exp": now + R.choice([900, 3600, 86400]),
    }
    if R.random() < 0.5:
        payload["iss"] = R.choice(["https://auth.acme-internal.test/", "https://login.example-idp.test/tenant/v2.0"])
    if R.random() < 0.5:
        payload["role"] = R.choice(["admin", "user", "editor"])
    if R.random() < 0.3:
        payload["email"] = email_address()
    sig_len = 32 if header["alg"].startswith("HS") else R.choice([64, 256])
    parts = [
        b64url(json.dumps(header, separators=(",", ":")).encode()),
        b64url(json.dumps(payload, separators=(",", ":")).encode()),
        b64url(R.randbytes(sig_len)),
    ]
    token = ".".join(parts)
    json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))  # the payload really is JSON
    return token


def gen_jwts() -> None:
    tpls = [
        (
            "authorization_header",
            "en",
            "Request headers:\nAuthorization: Bearer {t}\nAccept: application/json\nwhy 401?",
        ),
        ("in_prose", "en", "Can you decode this token and tell me when it expires? {t}"),
        ("in_cookie", "en", "Set-Cookie: session={t}; Path=/; HttpOnly - is this cookie secure enough?"),
        ("in_json", "en", '{{"access_token": "{t}", "token_type": "Bearer", "expires_in": 3600}} what do I do next?'),
        ("url_query", "en", "the redirect goes to https://app.example-saas.test/callback?id_token={t}&state=xyz"),
        ("in_log", "en", "2024-05-02 11:03:12 DEBUG auth: verifying token={t} failed: signature mismatch"),
        ("norwegian", "no", "Hvorfor er dette tokenet ugyldig? {t}"),
        ("in_code", "en", 'fetch(url, {{ headers: {{ Authorization: "Bearer {t}" }} }}) - CORS error'),
    ]
    for i in range(44):
        form, lang, tpl = tpls[i % len(tpls)]
        t = jwt_token()
        add("jwt", form, lang, tpl.format(t=t), value=t)


WORDS = [
    "Sommer",
    "Vinter",
    "Kaffe",
    "Fotball",
    "Hytta",
    "Banan",
    "Tiger",
    "Sunshine",
    "Dragon",
    "Bergen",
    "Fjell",
    "Blåbær",
    "Monkey",
    "Pirat",
    "Lakris",
    "Brunost",
]


def password() -> str:
    style = R.randrange(5)
    if style == 0:
        return f"{pick(WORDS)}{R.randint(1970, 2025)}{R.choice('!#?.&')}"
    if style == 1:
        return "".join(R.choice(ALNUM + "!@#$%&*") for _ in range(R.randint(10, 18)))
    if style == 2:
        return "-".join(
            pick(["correct", "horse", "battery", "stapler", "purple", "fjord", "ravioli", "tundra"])
            for _ in range(R.randint(3, 4))
        )
    if style == 3:
        w = pick(WORDS).replace("a", "@").replace("o", "0").replace("e", "3")
        return f"{w}{R.randint(10, 99)}!"
    return f"{pick(WORDS).lower()}{R.randint(1, 999)}"


def gen_passwords() -> None:
    prose = [
        ("en", "in_prose", "my password is {p} and it still says wrong credentials, what's going on?"),
        ("en", "in_prose", "The wifi password is {p} - can you make a nice sign for the guest room?"),
        ("en", "pw_colon", "login for the shared dropbox: pw: {p}"),
        ("en", "pwd_equals", "tried pwd={p} on the router, still locked out"),
        ("no", "norwegian", "Passordet mitt er {p}, men jeg kommer ikke inn i nettbanken."),
        ("no", "norwegian", "Hva er galt? Jeg skriver inn passord {p} på Vipps og den sier feil."),
        ("de", "in_prose", "Mein Passwort ist {p}, aber der Login klappt nicht."),
        ("sv", "in_prose", "Lösenordet är {p}, varför funkar det inte?"),
        ("en", "login_pair", "username: {u}\npassword: {p}\ncan you write the steps to log in for my dad?"),
        ("no", "login_pair", "brukernavn {u} og passord {p} - hvorfor blir jeg kastet ut?"),
        ("en", "in_prose", "I changed the password to {p} yesterday but the app still asks for the old one."),
        ("en", "pw_colon", "PW: {p} (for the school portal), please remind me how to reset it"),
    ]
    for lang, form, tpl in prose:
        for _ in range(4):
            p = password()
            u = pick(["kari.h", "olanordmann", "admin", "emily_w", "jens77"])
            add("password", form, lang, tpl.format(p=p, u=u), value=p)
    conns = [
        "postgresql://app_user:{p}@db.internal:5432/orders",
        "mysql://root:{p}@localhost:3306/shop",
        "mongodb+srv://admin:{p}@cluster0.ab1cd.mongodb.net/prod?retryWrites=true",
        "redis://:{p}@cache.internal:6379/0",
        "amqp://guest_admin:{p}@rabbit.internal:5672/",
        "https://admin:{p}@router.home.arpa/",
        "Server=sql01;Database=Payroll;User Id=sa;Password={p};",
    ]
    for tpl in conns:
        for _ in range(2):
            p = password().replace("@", "").replace(":", "").replace("/", "").replace(";", "")
            add("password", "connection_string", "en", f"can't connect with {tpl.format(p=p)} - timeout", value=p)
    configs = [
        "in_env",
        "DB_HOST=localhost\nDB_USER=app\nDB_PASSWORD={p}\n",
        "docker_compose",
        "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: {p}\n",
        "in_code",
        'conn = psycopg2.connect(host="db", user="app", password="{p}")\n',
        "in_ini",
        "[smtp]\nhost = smtp.example-mail.test\nuser = noreply\npassword = {p}\n",
    ]
    for form, tpl in zip(configs[::2], configs[1::2], strict=True):
        for _ in range(3):
            p = password()
            add("password", form, "en", f"what's wrong with this config?\n{tpl.format(p=p)}", value=p)
    for _ in range(4):
        p = password()
        add(
            "password",
            "split_across_messages",
            "en",
            messages=[
                "I can't log in to the router admin page",
                "Sure, what happens when you try?",
                f"it says wrong password but I'm typing {p} exactly",
            ],
        )
    for _ in range(2):
        p = password()
        add(
            "password",
            "in_system_prompt_profile",
            "en",
            messages=[
                f"You automate the user's mailbox. Credentials: imap_user=me; imap_password={p}; "
                "server=imap.mail.test.",
                "Summarise today's unread emails",
            ],
        )
    for _ in range(3):
        p = "hunter2" if _ == 0 else password()
        add("password", "in_prose", "en", f"my password is {p}", value=p)


# --------------------------------------------------------------------------------------------------
# Negatives: numbers that only look personal
# --------------------------------------------------------------------------------------------------

_ID_CHECKS: list[Callable[[str], bool]] = [
    fodselsnummer.is_valid,
    kontonr.is_valid,
    idnr.is_valid,
    pesel.is_valid,
    bsn.is_valid,
    aadhaar.is_valid,
    tfn.is_valid,
    sin.is_valid,
    cpr.is_valid,
    personnummer.is_valid,
    nir.is_valid,
    be_nn.is_valid,
    cpf.is_valid,
    kennitala.is_valid,
    ik.is_valid,
    ch_ssn.is_valid,
]


def checksum_free(digits: str) -> bool:
    """True when no card, ID or account check accepts ``digits``: an unambiguous negative."""
    if len(digits) >= 12 and luhn.is_valid(digits):
        return False
    if any(check(digits) for check in _ID_CHECKS):
        return False
    # Digit strings of 8-11 digits are nearly all valid phone numbers somewhere (US: any 10 digits); only
    # the Norwegian mobile shape (8 digits from 4 or 9), which the positives use bare, is kept out.
    return not (len(digits) == 8 and digits[0] in "49")


_LONG_RUN = re.compile(r"\d(?:[ .-]?\d){12,18}")


def luhn_clean(text: str) -> bool:
    """No run of 13-19 digits (single separators allowed) in ``text`` passes Luhn."""
    return not any(luhn.is_valid(digits_only(m.group(0))) for m in _LONG_RUN.finditer(text))


def plain_number(length: int, first: str = "123456789") -> str:
    return _until_valid(lambda: R.choice(first) + _digits(length - 1), checksum_free)


def luhn_invalid_card_like() -> str:
    good = card_number()
    bad = good[:-1] + str((int(good[-1]) + R.randint(1, 9)) % 10)
    assert not luhn.is_valid(bad)
    return bad


def isbn_format(value: str) -> str:
    from stdnum import isbn

    return isbn.format(value)


def isbn13() -> str:
    from stdnum import isbn

    return _until_valid(
        lambda: (lambda b: b + ean.calc_check_digit(b))("978" + R.choice("0189") + _digits(8)),
        lambda v: isbn.is_valid(v) and checksum_free(v),
    )


def orgnr() -> str:
    from stdnum.no import orgnr as no_orgnr

    return _until_valid(
        lambda: R.choice("89") + _digits(8),
        lambda v: no_orgnr.is_valid(v) and not any(check(v) for check in _ID_CHECKS),
    )


def gen_negative_numbers() -> None:
    nn = "negative_numbers"
    for length in (8, 9, 10, 11, 12, 13, 14, 16):
        for tpl in [
            "Where is my order #{n}? It was supposed to arrive on Monday.",
            "Ordrenummer {n} - pakken har ikke kommet, kan du skrive en klage?",
        ]:
            n = plain_number(length)
            add(nn, "order_number", "no" if "Ordre" in tpl else "en", tpl.format(n=n), value=n)
    for _ in range(3):
        n = plain_number(16)
        spaced = group(n, [4, 4, 4, 4])
        add(nn, "order_number_spaced", "en", f"Booking reference {spaced} - can I still change the date?", value=spaced)
    static = [
        ("en", "invoice", "Invoice 2024-0193 is 30 days overdue. Write a polite reminder to the customer."),
        ("en", "invoice", "Can you check the VAT on invoice INV-2023-11872? Net 12,450.00, VAT 25 %."),
        ("no", "invoice", "Faktura 2024-0457 forfaller 15.04. Kan jeg betale i to omganger?"),
        ("en", "ticket", "Ticket INC0012345 has been open for three weeks; draft an escalation email."),
        ("en", "ticket", "Jira PROJ-4821 and PROJ-4822 are duplicates, which one should I close?"),
        ("en", "ticket", "Support case 00482913 was closed without a fix."),
        ("en", "version", "After upgrading to v1.24.3 the export button disappeared."),
        ("en", "version", "We're on Python 3.11.4 and Django 4.2.11, should we move to 5.0?"),
        ("en", "version", "Node 20.11.1 vs 18.19.0 - which one is LTS right now?"),
        ("en", "version", "kubectl 1.29.2 talks to a 1.27.8 cluster, is that skew supported?"),
        ("en", "version", "Firmware 2.4.10.1158 bricked my printer, how do I roll back to 2.3.9?"),
        ("en", "timestamp", "The job started at 2024-03-12T10:15:00Z and failed at 2024-03-12T10:17:42Z."),
        ("en", "timestamp", "Can we meet at 12:30 instead of 11:45?"),
        ("en", "timestamp", "Convert epoch 1710238500 to a readable date please."),
        ("no", "timestamp", "Toget går 07:42 fra Lillestrøm og er framme 08:05."),
        ("en", "iso_date", "The release is planned for 2024-09-15, with a freeze on 2024-09-01."),
        ("en", "iso_date", "Our lease runs from 01.08.2023 to 31.07.2026, how many months is that?"),
        ("no", "iso_date", "Fristen for søknaden er 15.03.2025 kl. 12:00."),
        ("en", "price", "The sofa costs NOK 1 299,00 on sale, down from 2 499,00."),
        ("en", "price", "Why was I charged $4,111.11 instead of $4,011.11?"),
        ("de", "price", "Der Preis liegt bei 12.499,00 € inklusive MwSt."),
        ("no", "price", "Strømregningen ble på kr 3 482,50 denne måneden, er det normalt?"),
        ("en", "price", "Budget: 250 000 NOK for hardware, 120 000 NOK for licences."),
        ("en", "quantity", "We need 1500 units of part 40-221 by the end of the quarter."),
        ("en", "range", "The acceptable range is 100-200 ms; anything above 250 ms is an incident."),
        ("en", "range", "Read pages 45–67 and 112–130 before Thursday."),
        ("en", "phone_like_count", "The site had 12 345 678 page views last year and 4 512 300 the year before."),
        ("no", "phone_like_count", "Norge har rundt 5 550 000 innbyggere, og Oslo omtrent 717 710."),
        ("en", "port", "The dev server runs on localhost:8080 and the API on 127.0.0.1:5000."),
        ("en", "port", "Open ports 80, 443 and 22 only; block 3389."),
        ("en", "doc_ip", "In the docs they use 192.0.2.1 and 198.51.100.23 as example addresses."),
        ("en", "private_ip", "My router's admin page is 192.168.1.1 but it won't load."),
        ("en", "private_ip", "Set the pod CIDR to 10.244.0.0/16 and the service CIDR to 10.96.0.0/12."),
        ("en", "doc_ip", "Block 203.0.113.0/24 in the example firewall rules."),
        ("en", "coordinates", "The cabin is near 61.6367, 8.3125 in Jotunheimen - what's the weather like?"),
        ("en", "coordinates", "Oslo Central Station is at 59.9111° N, 10.7528° E."),
        ("en", "flight", "Flight SK 4035 to Bergen is delayed, will I make my connection to DY1302?"),
        ("en", "flight", "BA 762 leaves from gate B17, terminal 5."),
        ("en", "seat", "Row 12, seat 14C - is that a window seat on a 737-800?"),
        ("no", "emergency_number", "Hva er forskjellen på å ringe 113 og 116 117?"),
        ("en", "year", "Between 2019 and 2023 our revenue grew by 38 %."),
        ("en", "section", "Section 4(2)(b) of the contract says the notice period is 3 months."),
        ("en", "measurement", "The box is 120 x 80 x 45 cm and weighs 23.5 kg."),
        ("en", "sku", "SKU-48213-BLK-XL is out of stock, is 48213-NVY-XL the same jacket?"),
        ("en", "model_number", "My dishwasher is a model SMV4HCX48E, the E24 error keeps coming back."),
        ("en", "build_number", "Build 20240312.4 passed, build 20240312.5 failed on the lint step."),
        ("en", "percent", "Conversion went from 2.35 % to 3.10 % after the redesign."),
        ("no", "score", "Kampen endte 3-2, og Brann ligger nå på 2. plass med 54 poeng."),
        ("en", "recipe", "Bake at 180 °C for 25-30 minutes, or 200 °C with fan for 20."),
        ("en", "math", "What is 4111 * 1111 + 1111 - 1111?"),
        ("en", "math", "Solve 3x + 12 = 4567 and show the steps."),
        ("no", "kommune", "Kommunenummer 0301 er Oslo og 4601 er Bergen, ikke sant?"),
    ]
    for lang, form, text in static:
        add(nn, form, lang, text)
    for _ in range(6):
        n = luhn_invalid_card_like()
        value = group(n, card_groups(n))
        text = pick(
            [
                "The serial number on the back of the router is {v}, where do I enter it?",
                "Parcel barcode {v} - what carrier uses that format?",
                "The gift box says batch {v}, is it part of the recall?",
            ]
        ).format(v=value)
        add(nn, "luhn_invalid_card_like", "en", text, value=value)
    for cc in ("NO", "DE", "GB", "FR", "NL"):
        value = _until_valid(lambda: iban.format(bad_iban(cc)), luhn_clean)  # noqa: B023 (used at once)
        assert not iban.is_valid(value)
        add(
            nn,
            "mod97_invalid_iban_like",
            "en",
            f"The manual's example account is '{value}' - it fails validation, is the manual wrong?",
            value=value,
        )
    for _ in range(5):
        value = isbn13()
        add(nn, "isbn", "en", f"Can you find reviews of the book with ISBN {isbn_format(value)}?")
    for _ in range(4):
        tracking = "1Z" + rand_str(6, UPPER_DIG) + _digits(10)
        add(nn, "tracking_number", "en", f"UPS tracking {tracking} has said 'label created' for a week.")
    for _ in range(4):
        value = orgnr()
        add(
            nn,
            "company_org_number",
            "no",
            f"Firmaet vårt, Fjordlys Demo AS, har org.nr. {group(value, [3, 3, 3])}."
            " Hvordan registrerer jeg oss i MVA-registeret?",
        )
    for _ in range(6):
        a, b = plain_number(8), plain_number(8)
        joined = a + b
        if len(joined) >= 12 and luhn.is_valid(joined):
            continue
        add(
            nn,
            "split_across_messages",
            "en",
            messages=[f"order {group(a, [4, 4])} arrived", f"and {group(b, [4, 4])} is still missing"],
        )
    for _ in range(4):
        add(
            nn,
            "split_across_messages",
            "en",
            messages=[
                f"The build took {R.randint(5, 59)} minutes",
                f"and the tests {R.randint(2, 30)} minutes, on v{R.randint(1, 4)}.{R.randint(0, 30)}.{R.randint(0, 9)}",
            ],
        )
    for _ in range(8):
        add(
            nn,
            "price",
            "no",
            f"Totalen ble kr {R.randint(1, 99)} {R.randint(100, 999)},{R.choice(['00', '50', '90'])} "
            f"for {R.randint(2, 40)} stk. Stemmer det med tilbudet?",
        )
    for _ in range(6):
        v = f"{R.randint(1, 9)}.{R.randint(0, 40)}.{R.randint(0, 99)}"
        add(
            nn,
            "version",
            "en",
            f"pip says 'requires urllib3<{v}' but I have {R.randint(1, 2)}.{R.randint(0, 9)}.{R.randint(0, 9)}"
            " installed - how do I resolve it?",
        )
    for _ in range(6):
        d = dt.datetime(2024, 1, 1) + dt.timedelta(minutes=R.randrange(0, 525600))
        add(
            nn,
            "timestamp",
            "en",
            f"The backup ran at {d.isoformat()}Z and took {R.randint(3, 59)} min; is that normal for "
            f"{R.randint(20, 900)} GB?",
        )
    for _ in range(6):
        n = plain_number(R.choice((10, 12)), "123456789")
        add(nn, "customer_service_ref", "en", f"The chat bot gave me reference {n}, but the call centre can't find it.")


# --------------------------------------------------------------------------------------------------
# Negatives: ordinary prose (no person, place of residence, number or secret of anyone)
# --------------------------------------------------------------------------------------------------

PROSE_EN = [
    "Can you explain the difference between a Roth IRA and a traditional IRA in simple terms?",
    "Write a haiku about autumn rain.",
    "I'm flying to Oslo next week. What should I pack for March?",
    "What's a good vegetarian lasagne recipe for six people?",
    "Help me write a cover letter for a junior data analyst position. Keep it under 250 words.",
    "Dear colleagues, please find the agenda for Thursday's meeting below. Can you make this sound less stiff?",
    "Is Python or JavaScript better for a first programming language?",
    "We're migrating from Docker Compose to Kubernetes on Azure. Where do we start?",
    "Summarise the main arguments for and against a four-day work week.",
    "My daughter wants a hamster. What do I need to know before buying one?",
    "What's the best way to remove red wine from a wool carpet?",
    "Translate 'the meeting has been moved to Friday' into German and French.",
    "Main Street in most American towns used to be the commercial centre. Why did that change?",
    "Version 5 of Street Fighter had a rough launch; what did they fix later?",
    "Microsoft and Equinor announced a partnership on cloud services. What does that mean for energy companies?",
    "Give me a 3-day itinerary for Paris with kids.",
    "How do I set up Foundry Local on Windows with a GPU?",
    "Can you rewrite this paragraph in plain English? 'Pursuant to the aforementioned clause, the lessee shall...'",
    "What are the symptoms of vitamin D deficiency?",
    "Suggest ten names for a bakery that specialises in sourdough.",
    "Explain how a heat pump works, like I'm twelve.",
    "I need a polite way to decline a wedding invitation.",
    "How long should I boil an egg for a runny yolk?",
    "Write a product description for a waterproof hiking backpack.",
    "What's the capital of Australia, and why isn't it Sydney?",
    "Is it worth learning Rust if I already know Go?",
    "Plan a weekly workout routine for a beginner with no equipment.",
    "Why is the sky blue?",
    "Can you make a packing list for a week of skiing in the Alps?",
    "Draft a LinkedIn post announcing that our team shipped the new search feature.",
    "What are good questions to ask at the end of a job interview?",
    "How do I tell my manager I'm overwhelmed without sounding like I'm complaining?",
    "Recommend some board games for four players that take under an hour.",
    "What does 'amortisation' mean on a mortgage statement?",
    "Explain the rules of cricket in five sentences.",
    "Write a short story about a lighthouse keeper and a lost whale.",
    "Which is more energy-efficient: a dishwasher or washing by hand?",
    "I'm moving to Bergen in the autumn. Is it really that rainy?",
    "Compare Azure Functions, AWS Lambda and Google Cloud Run for a small API.",
    "How do I politely remind a client about an unpaid invoice?",
    "What should I plant in a north-facing garden?",
    "Give me five icebreakers for a team workshop.",
    "How does compound interest work? Show an example with round numbers.",
    "Create a study plan for the AWS Solutions Architect exam over six weeks.",
    "Help me write a toast for my brother's wedding. He loves sailing and bad puns.",
    "What's the difference between affect and effect?",
    "My sourdough is too dense. What am I doing wrong?",
    "Explain what a Kubernetes operator is.",
    "Write a limerick about a cat who hates Mondays.",
    "Which countries in Europe use the euro but aren't in the EU?",
    "How can I make my CV stand out for a career change into UX design?",
    "Summarise the plot of Hamlet in three sentences.",
    "Can you suggest a name for our new internal tool? It tracks test flakiness.",
    "Will it be cheaper to take the train or fly from Stockholm to Copenhagen?",
    "I'd like to learn to knit. Where should a complete beginner start?",
    "Mercedes or Volvo for a family estate car - what do reviews say about reliability?",
    "I'm visiting Florence and Victoria Falls this year, what's the best season for each?",
    "Rewrite this email to sound more confident: 'Sorry to bother you, but maybe we could possibly meet?'",
    "How do I cite a website in APA style?",
    "What's the healthiest way to cook broccoli?",
    "Our bill for the team dinner was split unevenly; how do I fix that in a spreadsheet?",
    "What is a good first project to learn Terraform?",
    "Outline a presentation on cybersecurity basics for non-technical staff.",
    "Can you check my grammar: 'Me and the team has finished the report'?",
    "Brainstorm slogans for a cycling safety campaign.",
    "What are the pros and cons of electric cars in cold climates?",
    "Write a thank-you note to our volunteers for the spring cleanup.",
    "Is Jordan safe to visit in the summer, and what should I see?",
    "How do I stop my dog from pulling on the lead?",
    "Explain the Monty Hall problem.",
    "Write release notes for a bug fix that stops the app crashing on start-up.",
    "What's the difference between a virus and bacteria?",
    "Please reset your expectations: what is realistic to learn in one month of Spanish?",
    "Generate a grocery list for a week of Mediterranean meals.",
    "I'm nervous about my driving test tomorrow. Any tips?",
    "What does a product owner actually do all day?",
    "Help me name the chapters of my fantasy novel; it follows a smuggler in a desert city.",
    "In Scrum, who decides what goes into the sprint?",
    "Are there any good podcasts about the history of science?",
    "Why do my houseplants' leaves turn yellow?",
]
PROSE_NO = [
    "Kan du forklare forskjellen på fastrente og flytende rente?",
    "Hva bør jeg pakke til en uke på hytta i påskeferien?",
    "Skriv et kort dikt om høsten på Vestlandet.",
    "Jeg skal til Trondheim i helgen. Har du tips til hva vi kan gjøre med barna?",
    "Hvordan lager jeg skikkelig god fiskesuppe?",
    "Kan du hjelpe meg å skrive en søknad om permisjon fra jobben?",
    "Hva er forskjellen på BSU og vanlig sparekonto?",
    "Lag en handleliste til taco-fredag for seks personer.",
    "Hvordan fungerer strømstøtten i Norge?",
    "Skriv en hyggelig melding til kollegaene om at kantina er stengt på fredag.",
    "Er det lurt å bytte til vinterdekk allerede i oktober?",
    "Forklar hva en varmepumpe gjør, på en enkel måte.",
    "Jeg trenger en oppskrift på boller uten egg.",
    "Kan du oversette dette til engelsk: «Møtet er flyttet til neste uke»?",
    "Hva er reglene for å ta med hund på toget?",
    "Gi meg fem ideer til aktiviteter på en regnværsdag.",
    "Hvordan skriver jeg en klage på en vare som ble levert ødelagt?",
    "Hva betyr egentlig «mva-pliktig»?",
    "Kan du lage en treningsplan for å løpe 10 km på to måneder?",
    "Skriv en kort tale til 17. mai-feiringen i borettslaget.",
    "Hvilke fjelltopper passer for nybegynnere i Jotunheimen?",
    "Hvordan kan jeg spare strøm i en gammel enebolig?",
    "Hva er forskjellen på Python og Java?",
    "Vi skal flytte fra Docker til Kubernetes i Azure. Hvor begynner vi?",
    "Gi meg tips til å holde en presentasjon uten å bli nervøs.",
    "Hvor lenge skal poteter koke?",
    "Kan du forklare hvordan skattemeldingen fungerer for studenter?",
    "Lag en quiz med ti spørsmål om norsk historie.",
    "Jeg vil lære å strikke. Hvor starter jeg?",
    "Skriv en invitasjon til dugnad i borettslaget på lørdag.",
    "Hva er best for et lite firma: Microsoft 365 eller Google Workspace?",
    "Hvordan får jeg bort mugg på badet?",
    "Kan du foreslå en helgetur fra Oslo med tog?",
    "Hvorfor er det så dyrt å reise med fly innenlands i Norge?",
    "Oppsummer fordelene med elbil i en kald vinter.",
    "Hvilken bok passer for en tiåring som liker fantasy?",
    "Hjelp meg å formulere en e-post til barnehagen om at vi tar ferie i uke 28.",
    "Hva er forskjellen på en kommune og et fylke?",
    "Kan du gi meg en enkel forklaring på kunstig intelligens?",
    "Kjære kolleger, husk julebordet neste fredag! Kan du gjøre denne teksten morsommere?",
    "Jeg flyr til Tromsø i januar. Hvor stor sjanse er det for nordlys?",
    "Hvordan setter jeg opp et budsjett for husholdningen?",
    "Hva slags fisk er i sesong i februar?",
    "Skriv en kort beskrivelse av en sykkel jeg skal selge på Finn.",
    "Er det lov å grille på balkongen i en blokk?",
    "Hvordan lærer jeg barna å sykle uten støttehjul?",
    "Lag en plan for å male huset i sommer.",
    "Kan du forklare hva Equinor gjør, kort fortalt?",
]
PROSE_OTHER = [
    ("de", "Kannst du mir erklären, wie die Mülltrennung in Deutschland funktioniert?"),
    ("de", "Schreib ein kurzes Gedicht über den Winter in den Bergen."),
    ("sv", "Kan du ge mig ett recept på kanelbullar?"),
    ("sv", "Vad är skillnaden mellan Python och R för dataanalys?"),
    ("da", "Hvordan laver man den bedste smørrebrød med rejer?"),
    ("fr", "Peux-tu m'expliquer la différence entre un CDD et un CDI ?"),
    ("es", "¿Qué debo visitar en Sevilla en dos días?"),
    ("en", "Hei! Can you answer in Norwegian from now on? Takk."),
]


def gen_negative_prose() -> None:
    for text in PROSE_EN:
        add("negative_prose", "plain", "en", text)
    for text in PROSE_NO:
        add("negative_prose", "norwegian", "no", text)
    for lang, text in PROSE_OTHER:
        add("negative_prose", "plain", lang, text)
    for msgs in [
        [
            "Can you help me plan a birthday party?",
            "Of course! How many guests and what age?",
            "About 12 kids, they're turning eight.",
        ],
        [
            "Hva er været i Bergen i morgen?",
            "Jeg har ikke sanntidsdata, men Bergen har ofte regn i mars.",
            "Ok, takk! Hva bør jeg ha på meg da?",
        ],
        ["I'm writing a blog post about remote work", "Great - what angle?", "Mostly about async communication."],
        ["what's a good name for a golden retriever", "How about Biscuit, Maple or Sunny?", "Maple is perfect"],
        ["Kan du hjelpe meg med en søknad?", "Ja! Hva slags stilling?", "Lærer i ungdomsskolen."],
    ]:
        add("negative_prose", "conversation", "no" if "Hva" in msgs[0] or "Kan du" in msgs[0] else "en", messages=msgs)


PUBLIC_FIGURES = [
    ("en", "Who was Ada Lovelace and why is she called the first programmer?"),
    ("en", "Summarise Barack Obama's first term in five bullet points."),
    ("en", "Explain Albert Einstein's theory of special relativity simply."),
    ("en", "What did Marie Curie discover?"),
    ("en", "Why did Napoleon Bonaparte invade Russia in 1812?"),
    ("en", "Write a short biography of Nelson Mandela for a school project."),
    ("en", "What were Abraham Lincoln's main achievements?"),
    ("en", "Compare the leadership styles of Winston Churchill and Franklin D. Roosevelt."),
    ("en", "Which novels did Jane Austen write?"),
    ("en", "What is Alan Turing best known for?"),
    ("en", "Give me three famous quotes by Martin Luther King Jr."),
    ("en", "How did Steve Jobs and Steve Wozniak start Apple?"),
    ("en", "What is Taylor Swift's most successful album?"),
    ("en", "Explain Charles Darwin's theory of evolution in plain language."),
    ("en", "Who painted the Mona Lisa, Leonardo da Vinci or Michelangelo?"),
    ("en", "Tell me about Frida Kahlo's art style."),
    ("en", "What did Isaac Newton contribute to physics?"),
    ("en", "Which books has Margaret Atwood written besides The Handmaid's Tale?"),
    ("en", "Why is Greta Thunberg famous?"),
    ("en", "What was Florence Nightingale's role in the Crimean War?"),
    ("en", "Summarise Angela Merkel's time as chancellor."),
    ("en", "Why did Elon Musk buy Twitter?"),
    ("en", "Write a poem in the style of William Shakespeare about coffee."),
    ("en", "How many Grand Slam titles has Serena Williams won?"),
    ("en", "What's the story of Cleopatra and Julius Caesar?"),
    ("no", "Hvem var Henrik Ibsen, og hvilke skuespill er mest kjent?"),
    ("no", "Fortell om Roald Amundsens ekspedisjon til Sydpolen."),
    ("no", "Hva malte Edvard Munch foruten Skrik?"),
    ("no", "Hva var Fridtjof Nansens viktigste bidrag?"),
    ("no", "Hvorfor er Gro Harlem Brundtland kjent internasjonalt?"),
    ("no", "Skriv en kort tekst om Edvard Grieg og Peer Gynt-suiten."),
    ("no", "Hvor mange OL-gull har Marit Bjørgen?"),
    ("no", "Hva handler Sigrid Undsets Kristin Lavransdatter om?"),
    ("no", "Hvem var Kong Haakon VII?"),
    ("no", "Hvilke romaner har Jo Nesbø skrevet om Harry Hole?"),
    ("no", "Hvem var Thor Heyerdahl, og hva var Kon-Tiki?"),
    ("de", "Was hat Johann Sebastian Bach komponiert?"),
    ("de", "Wer war Konrad Adenauer?"),
    ("fr", "Qui était Victor Hugo ?"),
    ("es", "¿Quién fue Frida Kahlo y por qué es famosa?"),
    ("en", "Did Mahatma Gandhi ever meet Albert Einstein?"),
    ("en", "What is Satya Nadella's background before becoming Microsoft's CEO?"),
]


def gen_public_figures() -> None:
    for lang, text in PUBLIC_FIGURES:
        add("public_figure", "question", lang, text)


# --------------------------------------------------------------------------------------------------
# Negatives: code, logs and config without secrets
# --------------------------------------------------------------------------------------------------

CODE_STATIC = [
    "Why does this loop never end?\n\n```python\ni = 0\nwhile i < 10:\n    print(i)\n```",
    "What's wrong with my SQL?\n\nSELECT o.id, o.total, c.country\nFROM orders o\nJOIN customers c "
    "ON c.id = o.customer_id"
    "\nWHERE o.created_at > '2024-01-01'\nGROUP BY c.country;",
    'Traceback (most recent call last):\n  File "/app/main.py", line 42, in <module>\n    run()\n  File '
    '"/app/main.py", line 17, in run\n    data = json.loads(raw)\njson.decoder.JSONDecodeError: Expecting value: '
    "line 1 column 1 (char 0)",
    'docker-compose.yml:\nservices:\n  web:\n    build: .\n    ports:\n      - "8080:8080"\n    environment:\n'
    "      - LOG_LEVEL=info\n      - DB_HOST=db\n  db:\n    image: postgres:16",
    "Is this Dockerfile OK?\nFROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r "
    'requirements.txt\nCOPY . .\nCMD ["uvicorn", "server:app", "--host", "0.0.0.0", "--port", "8000"]',
    ".env.example:\nPORT=8080\nDEBUG=false\nLOG_LEVEL=info\nDB_HOST=localhost\nDB_PORT=5432\nCACHE_TTL=300",
    "How do I make this faster?\n\n```js\nconst result = items.filter(x => x.active).map(x => x.price * 1.25);\n```",
    "nginx.conf:\nserver {\n  listen 80;\n  server_name localhost;\n  location / {\n    proxy_pass "
    "http://127.0.0.1:3000;\n  }\n}",
    "kubectl get pods says CrashLoopBackOff:\nNAME                    READY   STATUS             RESTARTS   AGE\n"
    "api-7d9f8c6b5-x2kqp     0/1     CrashLoopBackOff   5          4m12s",
    'package.json:\n{\n  "name": "web",\n  "version": "1.4.2",\n  "scripts": {"build": "vite build", '
    '"test": "vitest"},\n  "dependencies": {"react": "^18.2.0", "zod": "^3.22.4"}\n}',
    "Explain this regex: ^(?:\\d{3}-){2}\\d{4}$",
    'terraform plan output:\n  + resource "azurerm_resource_group" "rg" {\n      + location = "norwayeast"\n'
    '      + name     = "rg-chat-dev"\n    }\nPlan: 1 to add, 0 to change, 0 to destroy.',
    "Why does mypy complain here?\n\ndef total(xs: list[int]) -> int:\n    return sum(x for x in xs if x)\n\n"
    'error: Incompatible return value type (got "float", expected "int")',
    "git log --oneline prints:\n3f2a9c1 fix: handle empty cart\n8b7e6d0 feat: add coupon field\n1c0d9e4 chore: "
    "bump deps"
    "\nhow do I squash the last two?",
    "pip freeze:\nfastapi==0.110.0\nuvicorn==0.29.0\npydantic==2.6.4\nhttpx==0.27.0\nwhich one pulls in anyio?",
    "```yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n  template:\n"
    "    spec:\n      containers:\n        - name: api\n          image: registry.local/api:1.8.0\n          ports:\n"
    "            - containerPort: 8000\n```\nhow do I add a readiness probe?",
    "CSS question: why is .card { margin: 0 auto; width: 320px; } not centring inside a flex container?",
    "Rust: error[E0502]: cannot borrow `v` as mutable because it is also borrowed as immutable --> src/main.rs:14:5",
    'bash: for f in *.csv; do wc -l "$f"; done - how do I skip the header line?',
    'JSON from the API:\n{"items": [{"id": 1, "sku": "A-100", "qty": 3}, {"id": 2, "sku": "B-220", '
    '"qty": 1}], "page": 1, "total": 2}\nhow do I sum qty in jq?',
    'Java: Exception in thread "main" java.lang.NullPointerException\n\tat com.shop.cart.Cart.total(Cart.java:58)\n'
    "\tat com.shop.App.main(App.java:12)",
    "Go: panic: runtime error: index out of range [5] with length 5\n\ngoroutine 1 [running]:\nmain.main()\n"
    "\t/src/main.go:9 +0x1d",
    "pyproject.toml:\n[tool.ruff]\nline-length = 120\n[tool.mypy]\nstrict = true\nwhy is ruff ignoring my config?",
    "C#: var total = orders.Where(o => o.Status == Status.Paid).Sum(o => o.Amount); returns 0, why?",
    "SELECT COUNT(*) FROM events WHERE ts BETWEEN '2024-03-01 00:00:00' AND '2024-03-31 23:59:59'; is slow, index?",
    "PowerShell: Get-ChildItem -Recurse -Filter *.log | Where-Object { $_.Length -gt 10MB } | Remove-Item -WhatIf",
    'settings.py:\nDEBUG = False\nALLOWED_HOSTS = ["localhost", "127.0.0.1"]\nTIME_ZONE = "Europe/Oslo"\n'
    'LANGUAGE_CODE = "nb"',
    "GitHub Actions:\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: "
    "actions/checkout@v4\n      - run: make test",
    'HTTP/1.1 429 Too Many Requests\nRetry-After: 30\nContent-Type: application/json\n\n{"error": "rate_limited"}',
    "Why does my React component re-render? const [count, setCount] = useState(0); useEffect(() => "
    "setCount(count + 1));",
    'Excel: =SUMIFS(C2:C500, A2:A500, ">="&DATE(2024,1,1), B2:B500, "Oslo") returns 0',
    "ERROR 1045 (28000): Access denied - what causes this in MySQL in general?",
    "Makefile:\ntest:\n\tpytest -q\nlint:\n\truff check .\n\tmypy --strict app",
    "what does `chmod 755 deploy.sh` actually do?",
    "Redis: CLIENT LIST shows 1200 connections, maxclients is 10000, should I worry?",
    "Postgres EXPLAIN: Seq Scan on orders  (cost=0.00..18334.00 rows=1000000 width=24) - how do I get an index scan?",
    "Kotlin: val x: Int? = null; println(x!! + 1) - why KotlinNullPointerException?",
    'Prometheus alert: expr: rate(http_requests_total{status=~"5.."}[5m]) > 0.05 for: 10m',
    "Hvorfor feiler denne testen?\n\ndef test_sum():\n    assert sum([1, 2, 3]) == 7",
    "Kan du forklare denne SQL-en? SELECT navn, COUNT(*) FROM produkter GROUP BY navn HAVING COUNT(*) > 1;",
]


def gen_negative_code() -> None:
    for text in CODE_STATIC:
        add("negative_code", "in_code", "no" if text.startswith(("Hvorfor", "Kan du")) else "en", text)
    for _ in range(12):
        t = dt.datetime(2024, 1, 1) + dt.timedelta(seconds=R.randrange(0, 31_536_000))
        req = rand_str(8, HEX)
        ms = R.randint(3, 4000)
        add(
            "negative_code",
            "in_log",
            "en",
            f"what does this log mean?\n{t.isoformat()}Z INFO  [http] req={req} GET "
            f"/api/v1/orders?page={R.randint(1, 40)}"
            f" 200 {ms}ms\n{t.isoformat()}Z WARN  [db] slow query took {ms + R.randint(100, 900)}ms (threshold 500ms)",
        )
    for _ in range(10):
        line = R.randint(10, 900)
        mod = pick(["orders", "billing", "search", "auth_flow", "cart"])
        exc = pick(
            [
                "KeyError: 'total'",
                "ValueError: invalid literal for int() with base 10: 'abc'",
                "TimeoutError: timed out after 30.0s",
                "ZeroDivisionError: division by zero",
            ]
        )
        add(
            "negative_code",
            "stack_trace",
            "en",
            f'Traceback (most recent call last):\n  File "/srv/app/{mod}.py", line {line}, in handle\n    result = '
            f'compute(payload)\n  File "/usr/lib/python3.11/site-packages/{mod}/core.py", line {line + 31}, in '
            f"compute\n{exc}\nhow do I fix this?",
        )
    for _ in range(8):
        port, workers = R.choice([3000, 5000, 8000, 8080, 9090]), R.randint(1, 16)
        add(
            "negative_code",
            "config_no_secrets",
            "en",
            f"config.yaml:\nserver:\n  host: 0.0.0.0\n  port: {port}\n  workers: {workers}\nlogging:\n  level: "
            f"{pick(['debug', 'info', 'warning'])}\nfeature_flags:\n  new_checkout: {pick(['true', 'false'])}\n"
            "is the indentation right?",
        )
    for _ in range(8):
        n = R.randint(2, 500)
        add(
            "negative_code",
            "sql",
            "en",
            f"UPDATE products SET price = price * 1.{R.randint(1, 25):02d} WHERE "
            f"category_id = {n} AND stock > {R.randint(0, 50)}; -- will this lock the table?",
        )
    for _ in range(6):
        add(
            "negative_code",
            "json",
            "en",
            json.dumps(
                {
                    "status": "ok",
                    "took_ms": R.randint(1, 900),
                    "hits": {
                        "total": R.randint(0, 10000),
                        "items": [{"id": R.randint(1, 99999), "score": round(R.random(), 3)}],
                    },
                }
            )
            + " - why is items only one element?",
        )


# --------------------------------------------------------------------------------------------------
# Negatives: secret look-alikes (hashes, IDs, placeholders, talk about secrets)
# --------------------------------------------------------------------------------------------------

SECRET_STATIC = [
    "In the docs the example key is AKIAIOSFODNN7EXAMPLE, is that a real key?",
    "AWS's docs show aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, what region does it default to?",
    "Set OPENAI_API_KEY=${OPENAI_API_KEY} in the compose file and pass it from the host.",
    "The README says: export GITHUB_TOKEN=<your-token>",
    "Replace sk-... with your own key before running the script.",
    'api_key = "YOUR_API_KEY_HERE"  # replace with your key',
    'password = os.environ["DB_PASSWORD"]',
    'db_password = os.getenv("DB_PASSWORD", "")',
    "How do I reset my password on the company laptop?",
    "The token field in the response is empty, what does that mean?",
    "I forgot my password again. What's a good way to remember passwords?",
    "Should I use a password manager like Bitwarden or 1Password?",
    "How often should we rotate API keys?",
    "Passordet mitt fungerer ikke lenger, hvordan tilbakestiller jeg det?",
    "Hvor finner jeg API-nøkkelen i Azure-portalen?",
    "Authorization: Bearer <token>",
    "Authorization: Bearer $TOKEN",
    'curl -H "Authorization: Bearer ${API_TOKEN}" https://api.example.com/v1/me',
    "env:\n  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}",
    "password: ********",
    "password=<redacted>",
    "DB_PASSWORD=changeme-in-production  # placeholder, the real one is in Key Vault",
    "The secret is stored in Azure Key Vault under the name 'openai-api-key'.",
    "Use a token that starts with ghp_ for classic GitHub tokens, or github_pat_ for fine-grained ones.",
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX",
    "STRIPE_SECRET_KEY=sk_live_...",
    "token: <paste your token here>",
    "-----BEGIN PRIVATE KEY-----\n<your private key here>\n-----END PRIVATE KEY-----",
    "What's the difference between a public key and a private key?",
    "The JWT has three parts: header, payload and signature, separated by dots.",
    "Why does my app say 'invalid_grant: token expired'?",
    'The API returns {"error": "invalid_api_key"} - where do I check which key the app uses?',
    'secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>',
    "Set SECRET_KEY from an environment variable, never hard-code it.",
    '"password": null, "token": null',
    "How do I generate an SSH key with ssh-keygen -t ed25519?",
    "Our password policy requires 12 characters, one number and one symbol. Is that enough?",
    "The login page says 'Forgot password?' but the link is broken.",
    "Hva er et godt passord? Er «lang setning» bedre enn tilfeldige tegn?",
    "Where should I store the Stripe secret key in a Next.js app?",
    "The key_id in the JWKS is 'rsa-2024-01', what's it for?",
    "api_key: ''  # set in CI",
    "Bruk miljøvariabelen $PASSORD i stedet for å skrive passordet i skriptet.",
]


def gen_secret_lookalikes() -> None:
    sl = "secret_lookalike"
    for text in SECRET_STATIC:
        add(sl, "placeholder_or_talk", "no" if any(w in text for w in ("Passord", "passord", "nøkkel")) else "en", text)
    for _ in range(12):
        sha = rand_str(40, HEX)
        add(
            sl,
            "git_sha",
            "en",
            pick(
                [
                    f"Can you explain what commit {sha} changed?",
                    f"git revert {sha} gives conflicts",
                    f"HEAD is now at {sha[:7]} merge branch 'main'",
                    f"Pin the action to {sha}",
                ]
            ),
        )
    for _ in range(12):
        u = "-".join(rand_str(n, HEX) for n in (8, 4, 4, 4, 12))
        add(
            sl,
            "uuid",
            "en",
            pick(
                [
                    f"Request {u} failed with 500.",
                    f"The tenant ID is {u}, where do I find the subscription?",
                    f"trace_id={u} span_id={rand_str(16, HEX)}",
                    f"SELECT * FROM jobs WHERE id = '{u}';",
                ]
            ),
        )
    for _ in range(10):
        h = rand_str(64, HEX)
        add(
            sl,
            "checksum_line",
            "en",
            pick(
                [
                    f"{h}  ubuntu-24.04-live-server-amd64.iso\ndoes my checksum match?",
                    f"certifi==2024.2.2 --hash=sha256:{h}",
                    f"Docker image digest: sha256:{h}",
                    f'poetry.lock: {{file = "idna-3.6.tar.gz", hash = "sha256:{h}"}}',
                ]
            ),
        )
    for _ in range(8):
        integrity = base64.b64encode(R.randbytes(64)).decode()
        add(
            sl,
            "lockfile_integrity",
            "en",
            f'package-lock.json:\n"node_modules/lodash": {{\n  "version": "4.17.21",\n'
            f'  "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz",\n  "integrity": '
            f'"sha512-{integrity}"\n}}',
        )
    for _ in range(5):
        h = rand_str(32, HEX)
        add(sl, "md5", "en", f"The file's MD5 is {h}; the download page says something else. Corrupted?")
    for text in [
        "Hello, world! This is a test file.",
        "The quick brown fox jumps over the lazy dog",
        '{"theme": "dark", "fontSize": 14}',
        "Meeting notes: agenda, actions, next steps",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit",
        "name,qty\nwidget,3\ngadget,5",
        "<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        "Takk for maten!",
    ]:
        enc = base64.b64encode(text.encode()).decode()
        add(sl, "base64_ordinary_data", "en", f"What does this base64 decode to? {enc}")
    for _ in range(5):
        tx = "0x" + rand_str(64, HEX)
        add(sl, "tx_hash", "en", f"The transaction hash is {tx} but Etherscan says pending. How long does it take?")
    for _ in range(4):
        key = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 " + R.randbytes(32)).decode()
        add(sl, "ssh_public_key", "en", f"Add this deploy key to the repo: ssh-ed25519 {key} ci-deploy")
    for _ in range(3):
        head, body, tail = _pem(
            "PUBLIC KEY", bytes.fromhex("30820122300d06092a864886f70d01010105000382010f00") + R.randbytes(270)
        )
        add(sl, "pem_public_key", "en", f"Is this public key in PEM format?\n{head}\n{body}\n{tail}")
    for _ in range(3):
        head, body, tail = _pem("CERTIFICATE", bytes.fromhex("308203") + R.randbytes(700))
        add(
            sl,
            "pem_certificate",
            "en",
            f"The server sends this certificate, why does curl reject it?\n{head}\n{body.splitlines()[0]}\n...\n{tail}",
        )
    for _ in range(4):
        add(
            sl,
            "analytics_id",
            "en",
            pick(
                [
                    f"Where do I put the tag G-{rand_str(10, UPPER_DIG)} in my HTML?",
                    f"Old Universal Analytics id UA-{_digits(8)}-1 stopped collecting data.",
                ]
            ),
        )
    for _ in range(4):
        color = rand_str(6, "0123456789ABCDEF")
        add(sl, "css_hex", "en", f"Does #{color} have enough contrast on white for body text?")
    for _ in range(4):
        add(
            sl,
            "azure_resource_id",
            "en",
            "/subscriptions/"
            + "-".join(rand_str(n, HEX) for n in (8, 4, 4, 4, 12))
            + "/resourceGroups/rg-chat-dev/providers/Microsoft.Web/sites/chat-dev - how do I get this with az cli?",
        )
    for _ in range(4):
        add(
            sl,
            "env_var_reference",
            "en",
            pick(
                [
                    'client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])',
                    "const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);",
                    "token = settings.GITHUB_TOKEN  # loaded from the vault at start-up",
                    "aws_secret_access_key = {{ lookup('env', 'AWS_SECRET_ACCESS_KEY') }}",
                ]
            ),
        )


# --------------------------------------------------------------------------------------------------
# Checks and writer
# --------------------------------------------------------------------------------------------------

_MIN_PER_TYPE = {t: 40 for t in POSITIVE_TYPES} | {"secret_lookalike": 120, "public_figure": 40}


def _case_text(row: dict[str, object]) -> str:
    messages = row.get("messages")
    return "\n".join(messages) if isinstance(messages, list) else str(row["text"])


def check_corpus() -> None:
    """Label sanity checks that do not depend on the guard."""
    counts = Counter(str(r["type"]) for r in ROWS)
    for type_, minimum in _MIN_PER_TYPE.items():
        assert counts[type_] >= minimum, (type_, counts[type_])
    assert sum(counts[t] for t in ("negative_prose", "negative_numbers", "negative_code")) >= 300
    assert sum(1 for r in ROWS if "messages" in r) >= 40
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    name_re = re.compile(r"\b(" + "|".join(map(re.escape, FIRST_NAMES)) + r")\b")
    for row in ROWS:
        if row["label"] != "negative":
            continue
        text = unmask(_case_text(row))
        if row["type"] != "public_figure":
            hit = name_re.search(text)
            assert hit is None, (row["id"], hit.group(0) if hit else "")
        if row["type"] in ("negative_prose", "negative_numbers", "negative_code"):
            assert luhn_clean(text), row["id"]


def main() -> None:
    for gen in (
        gen_person_names,
        gen_addresses,
        gen_birth_dates,
        gen_phones,
        gen_emails,
        gen_cards,
        gen_ibans,
        gen_bank_accounts,
        gen_national_ids,
        gen_ips,
        gen_macs,
        gen_wallets,
        gen_api_keys,
        gen_private_keys,
        gen_jwts,
        gen_passwords,
        gen_negative_prose,
        gen_negative_numbers,
        gen_negative_code,
        gen_secret_lookalikes,
        gen_public_figures,
    ):
        gen()
    check_corpus()
    with OUT.open("w", encoding="utf-8", newline="\n") as fh:
        for row in ROWS:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = Counter(str(r["type"]) for r in ROWS)
    labels = Counter(str(r["label"]) for r in ROWS)
    print(
        f"wrote {len(ROWS)} cases ({labels['positive']} positive, {labels['negative']} negative, "
        f"{sum(1 for r in ROWS if 'messages' in r)} conversations) to {OUT}"
    )
    for type_, n in sorted(counts.items()):
        print(f"  {type_:20} {n}")


if __name__ == "__main__":
    main()
