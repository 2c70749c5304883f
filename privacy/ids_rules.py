"""The table of number rules the identifier engine (:mod:`privacy.ids_numbers`) tries on each candidate.

A rule is a compact-form pattern, a checksum (mostly `python-stdnum`) and a strength:

* ``STRONG`` fires wherever the value stands: a date inside plus a checksum (fødselsnummer, henkilötunnus,
  Rentenversicherungsnummer), a letter format that prose never has (codice fiscale, GSTIN, NIE, MBI,
  NINO), a country prefix with a checksum (VAT IDs), a card number (Luhn + IIN, 14+ digits);
* ``shape`` (optional) fires when the separators stand where the issuer prints them (``078-05-1120``,
  ``3222-7162-7``) — a random number rarely has both the grouping and the checksum;
* otherwise the rule is weak: a plain mod-10/mod-11 over a digit run, or a letter+digits format with no
  checksum, and fires only with a context word near it or when the message is the number alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, NamedTuple

from stdnum import iban as std_iban
from stdnum.au import abn, acn, tfn
from stdnum.be import nn as be_nn
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.de import idnr as de_idnr
from stdnum.de import vat as de_vat
from stdnum.ee import ik as ee_ik
from stdnum.es import nie, nif
from stdnum.eu import vat as eu_vat
from stdnum.fi import hetu
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.in_ import aadhaar
from stdnum.it import codicefiscale, iva
from stdnum.nl import bsn
from stdnum.no import fodselsnummer, kontonr
from stdnum.pl import pesel
from stdnum.se import orgnr, personnummer
from stdnum.sg import uen
from stdnum.th import pin
from stdnum.tr import tckimlik
from stdnum.us import rtn
from stdnum.za import idnr as za_idnr

from ._types import KIND_BANK_ACCOUNT, KIND_CARD, KIND_NATIONAL_ID, KIND_VEHICLE
from .ids_common import BANK_CONTEXT, ID_CONTEXT, PLATE_CONTEXT, luhn, valid_date

__all__ = ["CARD_CONTEXT", "RULES", "Rule"]

CARD_CONTEXT: Final = re.compile(r"card|kort|karte|tarjeta|carte|carta|visa|mastercard|amex|cvv|expir", re.I)


class Rule(NamedTuple):
    label: str
    kind: str
    form: re.Pattern[str]  #: full match on the compact, upper-case value
    check: Callable[[str], bool]
    strong: bool = False
    shape: re.Pattern[str] | None = None  #: full match on the value as written
    contexts: tuple[re.Pattern[str], ...] = (ID_CONTEXT,)
    bare_ok: bool = True
    keep: int = 2  #: characters the preview keeps (cards and SSNs: the customary last four)
    bare_shape: re.Pattern[str] | None = None  #: grouping accepted when the message is the value alone


def _safe(fn: Callable[[str], bool]) -> Callable[[str], bool]:
    def run(value: str) -> bool:
        try:
            return bool(fn(value))
        except Exception:  # stdnum raises on odd input; for us that is "not this kind"
            return False

    return run


def _card(d: str) -> bool:
    if len(set(d)) == 1 or not luhn(d):
        return False
    if d[0] == "1" or d[:4] == "2131":
        return len(d) == 15  # UATP, and JCB's old 15-digit "1800"/"2131" ranges
    return d[0] in "3456" or 2221 <= int(d[:4]) <= 2720


def _ssn(d: str) -> bool:
    # The issuing rules only (stdnum also refuses famous published numbers, which still mean an SSN here).
    return d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"


_ITIN_GROUPS: Final = frozenset(f"{g:02d}" for g in (*range(50, 66), *range(70, 89), 90, 91, 92, *range(94, 100)))


def _itin(d: str) -> bool:
    # The IRS ranges since 2011 (stdnum still knows only 70-99).
    return d[0] == "9" and d[3:5] in _ITIN_GROUPS


def _hetu_dashed(v: str) -> bool:
    # The century sign was a separator: the checksum does not depend on it.
    return _safe(lambda x: hetu.is_valid(x, allow_temporary=True))(v[:6] + "-" + v[6:])


def _se_pnr(d: str) -> bool:
    return _safe(personnummer.is_valid)(d) and (len(d) == 10 or d[:2] in ("18", "19", "20"))


def _dk_cpr(d: str) -> bool:
    return valid_date(int(d[:2]), int(d[2:4]))


def _lanr(d: str) -> bool:
    total = sum(int(c) * w for c, w in zip(d[:6], (4, 9, 4, 9, 4, 9), strict=True))
    return (10 - total % 10) % 10 == int(d[6])


_KV_REGIONS: Final = frozenset(
    "01 02 03 17 20 21 24 25 27 31 35 36 37 38 46 47 48 49 50 51 52 55 60 61 62 71 72 73 78 79 80 81 82 83 "
    "85 86 87 88 93 94 95 96 97 98 99".split()
)


def _bsnr(d: str) -> bool:
    return d[:2] in _KV_REGIONS and len(set(d)) > 2  # no checksum: the region code is all there is


def _npi(d: str) -> bool:
    return d[0] in "12" and luhn("80840" + d)


def _medicare(d: str) -> bool:
    weights = (1, 3, 7, 9, 1, 3, 7, 9)
    return d[0] in "23456" and sum(int(c) * w for c, w in zip(d, weights, strict=False)) % 10 == int(d[8])


def _kr_rrn(d: str) -> bool:
    return d[6] in "12345678" and valid_date(int(d[4:6]), int(d[2:4]))


def _kr_rrn_checksum(d: str) -> bool:
    total = sum(int(c) * w for c, w in zip(d, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=False))
    return _kr_rrn(d) and (11 - total % 11) % 10 == int(d[12])


def _kr_brn(d: str) -> bool:
    w = (1, 3, 7, 1, 3, 7, 1, 3, 5)
    total = sum(int(c) * x for c, x in zip(d, w, strict=False)) + int(d[8]) * 5 // 10
    return (10 - total % 10) % 10 == int(d[9])


def _letter_digits(v: str) -> str:
    return "".join(str(ord(c) - 64).zfill(2) if c.isalpha() else c for c in v)


def _de_svnr(v: str) -> bool:
    if not valid_date(int(v[2:4]) % 50 or 1, int(v[4:6])) or int(v[2:4]) > 81:
        return False
    digits = v[:8] + _letter_digits(v[8]) + v[9:11]
    total = sum(sum(divmod(int(c) * w, 10)) for c, w in zip(digits, (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1), strict=True))
    return total % 10 == int(v[11])


def _de_kvnr(v: str) -> bool:
    digits = _letter_digits(v[0]) + v[1:9]
    total = sum(sum(divmod(int(c) * (1 + i % 2), 10)) for i, c in enumerate(digits))
    return total % 10 == int(v[9])


_ICAO: Final = {c: (ord(c) - 55 if c.isalpha() else int(c)) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def _icao(v: str) -> bool:
    total = sum(_ICAO[c] * (7, 3, 1)[i % 3] for i, c in enumerate(v[:-1]))
    return total % 10 == int(v[-1])


def _dea(v: str) -> bool:
    d = [int(c) for c in v[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


def _uk_dl(v: str) -> bool:
    month = int(v[6:8]) % 50
    return valid_date(int(v[8:10]), month)


def _iban(v: str) -> bool:
    return _safe(std_iban.is_valid)(v)


def _any(_: str) -> bool:
    return True


def _not_repeated(v: str) -> bool:
    return len(set(v)) > 2


_IN_STATES: Final = (
    "AN|AP|AR|AS|BR|CG|CH|DD|DL|DN|GA|GJ|HP|HR|JH|JK|KA|KL|LA|LD|MH|ML|MN|MP|MZ|NL|OD|OR|PB|PY|RJ|SK|TN|TR|TS|UK|UP|WB"
)


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_D9: Final = _r(r"\d{9}")
_D10: Final = _r(r"\d{10}")
_D11: Final = _r(r"\d{11}")
_D12: Final = _r(r"\d{12}")
_D13: Final = _r(r"\d{13}")
_SEP = r"[ .\-/]"
_G333: Final = _r(r"\d{3}([ -])\d{3}\1\d{3}")
_N = KIND_NATIONAL_ID

# Order matters inside one candidate: the first rule that accepts it names it.
RULES: Final[tuple[Rule, ...]] = (
    Rule("payment card number", KIND_CARD, _r(r"\d{14,19}|1\d{14}"), _card, strong=True, keep=4),
    Rule("payment card number", KIND_CARD, _r(r"\d{12,13}"), _card, contexts=(CARD_CONTEXT,), keep=4),
    Rule("IBAN", "iban", _r(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}"), _iban, strong=True),
    Rule("Norwegian national ID number", _N, _D11, _safe(fodselsnummer.is_valid), strong=True),
    Rule(
        "Finnish personal identity code",
        _N,
        _r(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]"),
        _safe(lambda v: hetu.is_valid(v, allow_temporary=True)),
        strong=True,
    ),
    Rule(
        "Finnish personal identity code",
        _N,
        _r(r"\d{9}[0-9A-Y]"),
        _hetu_dashed,
        shape=_r(r"\d{6}[-+]\d{3}[0-9A-Y]"),
        bare_ok=False,
    ),
    Rule("Turkish identity number", _N, _D11, _safe(tckimlik.is_valid), strong=True),
    Rule("German pension insurance number", _N, _r(r"\d{8}[A-Z]\d{3}"), _de_svnr, strong=True),
    Rule(
        "Italian fiscal code",
        _N,
        _r(r"[A-Z]{6}\d\d[A-Z]\d\d[A-Z]\d{3}[A-Z]"),
        _safe(codicefiscale.is_valid),
        strong=True,
    ),
    Rule("UK driving licence number", _N, _r(r"[A-Z9]{5}\d[0156]\d[0-3]\d\d[A-Z9]{2}\d[A-Z]{2}"), _uk_dl, strong=True),
    Rule(
        "UK National Insurance number",
        _N,
        _r(r"(?!BG|GB|NK|KN|TN|NT)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]"),
        _any,
        strong=True,
    ),
    Rule("Spanish NIE", _N, _r(r"[XYZ]\d{7}[A-Z]"), _safe(nie.is_valid), strong=True),
    Rule("Spanish NIF/DNI", _N, _r(r"\d{7,8}[A-Z]"), lambda v: _safe(nif.is_valid)(v.zfill(9)), strong=True),
    Rule("Indian GSTIN", _N, _r(r"(?:0[1-9]|[12]\d|3[0-7])[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]"), _any, strong=True),
    Rule("Indian PAN", _N, _r(r"[A-Z]{3}[ABCFGHLJPTK][A-Z]\d{4}[A-Z]"), _any, strong=True),
    Rule(
        "US Medicare beneficiary ID",
        _N,
        _r(r"[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y]{2}\d\d"),
        _any,
        strong=True,
    ),
    Rule("German commercial register number", _N, _r(r"HR[AB]\d{1,6}"), _any, strong=True),
    Rule("VAT number", _N, _r(r"DE\d{9}"), _safe(de_vat.is_valid), strong=True),
    Rule(
        "VAT number",
        _N,
        _r(r"(?:AT|BE|BG|CY|CZ|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK)[0-9A-Z]{8,12}"),
        _safe(eu_vat.is_valid),
        strong=True,
    ),
    Rule(
        "Indian vehicle registration",
        KIND_VEHICLE,
        _r(rf"(?:{_IN_STATES})\d{{1,2}}[A-Z]{{1,3}}\d{{4}}"),
        _any,
        strong=True,
    ),
    Rule(
        "French social security number (NIR)",
        _N,
        _r(r"[12378]\d{4}(?:\d\d|2A|2B)\d{8}"),
        _safe(nir.is_valid),
        shape=_r(r"[12378] ?\d\d ?\d\d ?(?:\d\d|2[AB]) ?\d{3} ?\d{3} ?\d\d"),
    ),
    Rule(
        "Brazilian CPF",
        _N,
        _D11,
        _safe(cpf.is_valid),
        shape=_r(r"\d{3}\.\d{3}\.\d{3}-\d\d"),
        bare_ok=False,  # two check digits only: a bare 11-digit number passes once in a hundred
    ),
    Rule(
        "Belgian national number",
        _N,
        _D11,
        _safe(be_nn.is_valid),
        shape=_r(r"\d\d[.]?\d\d[.]?\d\d[-. ]\d{3}[-. ]?\d\d"),
        bare_ok=False,
    ),
    Rule("Estonian personal identification code", _N, _r(r"[1-6]\d{10}"), _safe(ee_ik.is_valid)),
    Rule("Korean resident registration number", _N, _D13, _kr_rrn_checksum),
    # Numbers issued since October 2020 carry no checksum: the date and the sex/century digit are all there is.
    Rule("Korean resident registration number", _N, _D13, _kr_rrn, shape=_r(r"\d{6}-\d{7}")),
    Rule(
        "Swedish personal identity number",
        _N,
        _r(r"(?:18|19|20)?\d{10}"),
        _se_pnr,
        strong=False,
        shape=_r(r"(?:\d\d)?\d{6}[-+]\d{4}|(?:18|19|20)\d{10}"),
    ),
    Rule("Danish CPR number", _N, _D10, _dk_cpr, shape=_r(r"\d{6}-\d{4}"), bare_ok=False),
    Rule(
        "US Social Security number",
        _N,
        _D9,
        _ssn,
        shape=_r(rf"\d{{3}}({_SEP})\d\d\1\d{{4}}"),  # one separator throughout: "693-09.4444" is not printed so
        bare_ok=False,
        keep=4,
    ),
    Rule("US ITIN", _N, _D9, _itin, shape=_r(rf"9\d\d{_SEP}\d\d{_SEP}\d{{4}}")),
    Rule(
        "US bank routing number",
        KIND_BANK_ACCOUNT,
        _D9,
        _safe(rtn.is_valid),
        shape=_r(r"\d{4}-\d{4}-\d"),
        contexts=(BANK_CONTEXT, ID_CONTEXT),
    ),
    Rule(
        "Norwegian bank account number",
        KIND_BANK_ACCOUNT,
        _D11,
        _safe(kontonr.is_valid),
        shape=_r(r"\d{4}[ .]\d\d[ .]\d{5}"),
        contexts=(BANK_CONTEXT,),
    ),
    Rule("Australian business number", _N, _D11, _safe(abn.is_valid), shape=_r(r"\d\d \d{3} \d{3} \d{3}")),
    Rule("Korean business registration number", _N, _D10, _kr_brn, shape=_r(r"\d{3}-\d\d-\d{5}")),
    Rule(
        "Korean driving licence number",
        _N,
        _D12,
        lambda d: 11 <= int(d[:2]) <= 28,
        shape=_r(rf"\d\d{_SEP}\d\d{_SEP}\d{{6}}{_SEP}\d\d"),
        bare_ok=False,
    ),
    Rule("Indian Aadhaar number", _N, _D12, _safe(aadhaar.is_valid), shape=_r(r"\d{4}([ \-:])\d{4}\1\d{4}")),
    Rule("UK NHS number", _N, _D10, _safe(nhs.is_valid), shape=_r(r"\d{3}([ -])\d{3}\1\d{4}")),
    Rule("German tax number", _N, _r(r"\d{9,11}"), _not_repeated, shape=_r(r"\d{2,3}/\d{3,4}/\d{4,5}"), bare_ok=False),
    Rule("German tax number", _N, _D13, lambda d: 1 <= int(d[:2]) <= 16, bare_ok=False),
    Rule("Canadian social insurance number", _N, _D9, _safe(sin.is_valid), bare_shape=_G333),
    Rule("Australian tax file number", _N, _r(r"\d{8,9}"), _safe(tfn.is_valid), bare_shape=_G333),
    Rule("Australian company number", _N, _D9, _safe(acn.is_valid), bare_shape=_G333),
    Rule("Australian Medicare number", _N, _r(r"\d{10,11}"), _medicare, bare_shape=_r(r"\d{4}([ -])\d{5}\1\d{1,2}")),
    Rule("US National Provider Identifier", _N, _D10, _npi, bare_shape=_r(r"\d{4}([ -])\d{3}\1\d{3}")),
    Rule("German doctor number (LANR)", _N, _D9, _lanr),
    Rule("German practice number (BSNR)", _N, _D9, _bsnr),
    Rule("Dutch citizen service number", _N, _D9, _safe(bsn.is_valid), shape=_r(r"\d{4}\.\d\d\.\d{3}")),
    Rule("German tax ID", _N, _D11, _safe(de_idnr.is_valid)),
    Rule("Polish PESEL", _N, _D11, _safe(pesel.is_valid)),
    Rule("Italian VAT number", _N, _D11, _safe(iva.is_valid)),
    Rule("Swedish organisation number", _N, _D10, _safe(orgnr.is_valid), shape=_r(r"\d{6}-\d{4}")),
    Rule("Thai national ID", _N, _D13, _safe(pin.is_valid)),
    Rule("South African ID number", _N, _D13, _safe(za_idnr.is_valid)),
    Rule("Philippine tax identification number", _N, _r(r"\d{9}|\d{12}"), _not_repeated, bare_ok=False),
    Rule("German health insurance number", _N, _r(r"[A-Z]\d{9}"), _de_kvnr),
    Rule("Singapore NRIC/FIN", _N, _r(r"[STFGM]\d{7}[A-Z]"), _any),
    Rule("Singapore UEN", _N, _r(r"\d{8,9}[A-Z]|[RST]\d\d[A-Z]{2}\d{4}[A-Z]"), _safe(uen.is_valid)),
    Rule("German identity card/passport", _N, _r(r"[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{7}\d"), _icao),
    Rule("US DEA registration", _N, _r(r"[A-Z]{2}\d{7}"), _dea),
    Rule("passport number", _N, _r(r"[A-Z]{2}\d{7}|[A-Z]{3}\d{6}|[MSRDO]\d{3}[A-Z]\d{4}"), _not_repeated),
    Rule("passport number", _N, _r(r"[A-Z]\d{8}"), _not_repeated),
    Rule("Indian passport number", _N, _r(r"[A-PR-WY][1-9]\d{5}[1-9]"), _any),
    Rule("Indian voter ID", _N, _r(r"[A-Z]{3}\d{7}"), _any),
    Rule("Indian PAN", _N, _r(r"[A-Z]{5}\d{4}[A-Z]"), _any),
    Rule("driving licence number", _N, _r(r"[A-Z]{2}\d{8}[A-Z0-9]|[A-Z]{2}\d{7}[A-Z]|U1[A-Z0-9]{7}[A-Z]"), _any),
    Rule("identity card number", _N, _r(r"[A-Z]{2}\d{5}[A-Z]{2}|\d{7}[A-Z]{2}"), _any),
    Rule("US passport number", _N, _D9, _not_repeated, bare_ok=False),
    Rule(
        "bank account number",
        KIND_BANK_ACCOUNT,
        _r(r"\d{7,17}"),
        _not_repeated,
        contexts=(BANK_CONTEXT,),
        bare_ok=False,
    ),
    Rule(
        "Nigerian vehicle registration",
        KIND_VEHICLE,
        _r(r"[A-Z]{3}\d{3}[A-Z]{2}"),
        _any,
        contexts=(PLATE_CONTEXT,),
        bare_shape=_r(r"[A-Za-z]{3}[ -]\d{3}[A-Za-z]{2}"),
    ),
)
