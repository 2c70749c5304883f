"""Identifier detectors: formats, separators, casing and disguises they catch; look-alikes they pass."""

from __future__ import annotations

import pytest

from privacy import identifiers
from privacy._types import (
    KIND_BANK_ACCOUNT,
    KIND_CARD,
    KIND_CRYPTO_WALLET,
    KIND_EMAIL,
    KIND_IBAN,
    KIND_IP_ADDRESS,
    KIND_MAC_ADDRESS,
    KIND_NATIONAL_ID,
    KIND_PHONE,
    KIND_POSTAL_ADDRESS,
    KIND_VEHICLE,
    Hit,
)


def _hits(text: str) -> list[Hit]:
    return [h for detect in identifiers.DETECTORS for h in detect(text)]


def _kinds(text: str) -> set[str]:
    return {h.kind for h in _hits(text)}


POSITIVES = [
    # cards, any separators
    ("card 4111111111111111", KIND_CARD),
    ("4111.1111.1111.1111", KIND_CARD),
    ("4111/1111/1111/1111", KIND_CARD),
    ("pay with 4111-1111 1111.1111 please", KIND_CARD),
    ("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", KIND_CARD),
    ("amex 3714 496353 98431", KIND_CARD),
    # IBAN, any case
    ("konto NO93 8601 1117 947", KIND_IBAN),
    ("no93-8601-1117-947", KIND_IBAN),
    ("send to gb29 nwbk 6016 1331 9268 19 today", KIND_IBAN),
    ("DE89370400440532013000", KIND_IBAN),
    # bank numbers
    ("routing number 121000358", KIND_BANK_ACCOUNT),
    ("kontonummer 8601.11.17947", KIND_BANK_ACCOUNT),
    ("account number 12345678, sort code 12-34-56", KIND_BANK_ACCOUNT),
    # national IDs with checksums
    ("SSN 078-05-1120", KIND_NATIONAL_ID),
    ("078 05 1120", KIND_NATIONAL_ID),
    ("my ssn is 078.05.1120", KIND_NATIONAL_ID),
    ("fødselsnummer 010190-12345".replace("010190-12345", "01019012345"), KIND_NATIONAL_ID),
    ("hetu 131052-308T", KIND_NATIONAL_ID),
    ("personnummer 19910924-2397", KIND_NATIONAL_ID),
    ("Steuer-ID: 12345678903", KIND_NATIONAL_ID),
    ("my pesel is 44051401458.", KIND_NATIONAL_ID),
    ("TC Kimlik No: 10000000146", KIND_NATIONAL_ID),
    ("Mi NIE es X9613851N", KIND_NATIONAL_ID),
    ("dni 12345678z", KIND_NATIONAL_ID),
    ("codice fiscale RSSMRA85T10A562S", KIND_NATIONAL_ID),
    ("NI number AB 12 34 56 C", KIND_NATIONAL_ID),
    ("USt-IdNr. DE 136.695-976", KIND_NATIONAL_ID),
    ("GSTIN 27ABCDE1234F1Z5", KIND_NATIONAL_ID),
    ("aadhaar 3123 4567 8909", KIND_NATIONAL_ID),
    ("my SIN is 130-692-544", KIND_NATIONAL_ID),
    ("Medicare ID: 1EG4-TE5-MK73", KIND_NATIONAL_ID),
    ("RVNR 15070649C103", KIND_NATIONAL_ID),
    ("Handelsregister HRB 123456", KIND_NATIONAL_ID),
    ("My passport number is CD7654321", KIND_NATIONAL_ID),
    ("8001015009087", KIND_NATIONAL_ID),
    # phones
    ("+47 912 34 567", KIND_PHONE),
    ("0047 912 34 567", KIND_PHONE),
    ("ring meg på 91234567", KIND_PHONE),
    ("call 020 7946 0958", KIND_PHONE),
    ("090-1234-5678", KIND_PHONE),
    ("(555) 123-4567", KIND_PHONE),
    ("tel: 415.555.0132", KIND_PHONE),
    ("+44 (20) 7123 4567", KIND_PHONE),
    ("Cep no: 05321234567", KIND_PHONE),
    # e-mail, plain and spelled out
    ("jane.doe@example.com", KIND_EMAIL),
    ("jane dot doe at example dot com", KIND_EMAIL),
    ("jane[at]example[dot]com", KIND_EMAIL),
    ("jane (at) example.com", KIND_EMAIL),
    ("write to jane at example.com", KIND_EMAIL),
    # network
    ("server 10.1.2.3", KIND_IP_ADDRESS),
    ("2400:c401::5054:ff:fe1b:b031", KIND_IP_ADDRESS),
    ("::ffff:10.0.0.1", KIND_IP_ADDRESS),
    ("MAC 00:1A:2B:3C:4D:5E", KIND_MAC_ADDRESS),
    ("mac 01-b3-4a-67-d9-cf", KIND_MAC_ADDRESS),
    ("0012.3456.789a", KIND_MAC_ADDRESS),
    # wallets
    ("16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ", KIND_CRYPTO_WALLET),
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", KIND_CRYPTO_WALLET),
    ("eth wallet 0x52908400098527886e0f7030069857d2e4169ee7", KIND_CRYPTO_WALLET),
    ("0x52908400098527886E0F7030069857D2E4169EE7".replace("E0F", "e0F"), KIND_CRYPTO_WALLET),
    # vehicles and postcodes
    ("car reg AB51 ABC", KIND_VEHICLE),
    ("Kennzeichen: HH-AB-1234.", KIND_VEHICLE),
    ("Plaka 34 ABC 1234", KIND_VEHICLE),
    ("KA53ME3456", KIND_VEHICLE),
    ("plate ABJ-123XY", KIND_VEHICLE),
    ("My address is SW1A 1AA in London", KIND_POSTAL_ADDRESS),
    ("postcode ec1a1bb", KIND_POSTAL_ADDRESS),
    ("PLZ 80331 München", KIND_POSTAL_ADDRESS),
]


@pytest.mark.parametrize(("text", "kind"), POSITIVES)
def test_detects(text: str, kind: str) -> None:
    assert kind in _kinds(text), _hits(text)


NEGATIVES = [
    "order 48392017 shipped",
    "invoice 2024-0193 is overdue",
    "build 1.24.3 is out",
    "upgrade to version 10.2.0.1 today",
    "at 2024-01-15T10:30:00Z the job ran",
    "it costs $1234567.89 in total",
    "pages 100-200 of the report",
    "between 1990 and 2024 prices rose",
    "1999 2000 2001 2002 were good years",
    "listen on port 8080 or 443",
    "sha 3f786850e387550fdab836ed7e6dc881de23001b",
    "id 550e8400-e29b-41d4-a716-446655440000",
    "coordinates 59.9139, 10.7522",
    "ISBN 978-3-16-148410-0",
    "ticket 4012-8888-8888-1882 closed",
    "my credit card number is 4012-8888-8888-1882",
    "use localhost 127.0.0.1",
    "DNS 8.8.8.8",
    "docs use 192.0.2.10",
    "loopback ::1",
    "std::cout << x",
    "Time 12:34:56",
    "broadcast FF:FF:FF:FF:FF:FF",
    "@property def x(self)",
    "git@github.com:org/repo.git",
    "icon@2x.png",
    "look at google.com for it",
    "meet me at noon",
    "the model has 175000000000 parameters",
    "sku AB-1234-XY in stock",
    "call me maybe",
    "file me under 12345",
    "The answer is 42 and 1234 lines",
    "8f953371d3e85eddb89b05ed6b9e680791055315c73e1025ab5dba7bb2aee189",
    "16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ2",
    "0x0000000000000000000000000000000000000000 is the zero hash",
    "python 3.12.1 and node 20.11.0",
    "an A4 sheet and a B5 page",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_passes(text: str) -> None:
    assert _hits(text) == []


@pytest.mark.parametrize(
    "text",
    ["4111111111111111", "NO9386011117947", "jane.doe@example.com", "+47 912 34 567", "078-05-1120", "AB51 ABC"],
)
def test_preview_never_holds_the_value(text: str) -> None:
    hits = _hits(text)
    assert hits
    for h in hits:
        assert text not in h.redacted
        assert text[h.start : h.end] != h.redacted


def test_offsets_cover_the_value() -> None:
    text = "Hi, my card is 4111 1111 1111 1111, thanks"
    (card,) = [h for h in _hits(text) if h.kind == KIND_CARD]
    assert text[card.start : card.end] == "4111 1111 1111 1111"


def test_weak_checksum_needs_context() -> None:
    # 130692544 passes the SIN Luhn check: alone in prose it is just a number, with "SIN" it is an ID.
    assert _kinds("ref 130692544 attached") == set()
    assert KIND_NATIONAL_ID in _kinds("SIN 130692544")
    assert KIND_NATIONAL_ID in _kinds("130692544")  # the whole message is the number
