"""Identifiers: cards, IBANs, bank accounts, wallets, national IDs, vehicles, e-mail, phones, network addresses.

Every detector reads text already normalised by :mod:`privacy.normalize` (ASCII digits, folded
look-alikes); separators inside numbers, case and spelled-out forms are handled here. Where to look:

* :mod:`privacy.ids_numbers` + :mod:`privacy.ids_rules` — cards (Luhn + IIN), IBANs (all countries, any
  case and separators), bank numbers (ABA, Norwegian kontonummer, accounts with context), and national
  identity, tax, passport, driving-licence, health-insurance, professional and company numbers for
  EU/EEA, UK, US, CA, AU, IN, KR, SG, TH, TR, ZA, PH and more, with their checksums (`python-stdnum`);
* :mod:`privacy.ids_phones` — phone numbers of every country (`phonenumbers`);
* :mod:`privacy.ids_network` — e-mail (also "jane dot doe at example dot com"), IPv4/IPv6, MAC;
* :mod:`privacy.ids_wallets` — crypto wallets (Base58Check, XRP, bech32, Ethereum, Solana with context);
* :mod:`privacy.ids_formats` — vehicle registrations and postcodes;
* :mod:`privacy.ids_context` — member/patient/policy/employee/customer/licence numbers after their
  phrase (no checksum, any layout) and VINs.

Out of scope on purpose (Presidio types this module does not flag):

* DATE_TIME — a date is not personal data; dates of birth in context are a colleague's detector;
* PERSON, street addresses — the people/NER detectors;
* URL — a URL is not personal data; URLs with credentials belong to the secrets detectors;
* bare numbers with no checksum, no context word and no distinctive format (a 9-digit US passport or
  bank account number alone, a bare 5-digit German PLZ): indistinguishable from order numbers;
* loopback, unspecified, documentation-range and well-known resolver IP addresses: they identify no one;
* Indian old-style vehicle marks (``MCX1243``) and Nigerian NIN without context (no checksum).
"""

from __future__ import annotations

from typing import Final

from ._types import Detector
from .ids_context import detect_context_ids, detect_plates, detect_vins
from .ids_formats import detect_formats
from .ids_network import detect_emails, detect_ips, detect_macs
from .ids_numbers import detect_ibans, detect_numbers
from .ids_phones import detect_phones
from .ids_wallets import detect_wallets

__all__ = ["DETECTORS"]

# Cheapest and most decisive first: `has_hit` stops at the first hit.
DETECTORS: Final[tuple[Detector, ...]] = (
    detect_emails,
    detect_ibans,
    detect_numbers,
    detect_wallets,
    detect_phones,
    detect_ips,
    detect_macs,
    detect_formats,
    detect_vins,
    detect_context_ids,
    detect_plates,
)
