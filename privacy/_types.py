"""The values every privacy detector speaks in: kinds, hits and findings.

A detector is a plain function from *normalised* text (see :mod:`privacy.normalize`) to the hits it
finds there. Offsets are into that normalised text; previews (`redacted`) never hold a whole value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final, NamedTuple

__all__ = [
    "KINDS",
    "KIND_API_KEY",
    "KIND_BANK_ACCOUNT",
    "KIND_CARD",
    "KIND_CRYPTO_WALLET",
    "KIND_DATE_OF_BIRTH",
    "KIND_EMAIL",
    "KIND_IBAN",
    "KIND_IP_ADDRESS",
    "KIND_JWT",
    "KIND_MAC_ADDRESS",
    "KIND_NATIONAL_ID",
    "KIND_PASSWORD",
    "KIND_PERSON_NAME",
    "KIND_PHONE",
    "KIND_POSTAL_ADDRESS",
    "KIND_PRIVATE_KEY",
    "KIND_VEHICLE",
    "Detector",
    "Finding",
    "Hit",
    "describe",
]

KIND_PRIVATE_KEY: Final = "private_key"
KIND_JWT: Final = "jwt"
KIND_API_KEY: Final = "api_key"
KIND_PASSWORD: Final = "password"
KIND_IBAN: Final = "iban"
KIND_BANK_ACCOUNT: Final = "bank_account"
KIND_CARD: Final = "card"
KIND_CRYPTO_WALLET: Final = "crypto_wallet"
KIND_NATIONAL_ID: Final = "national_id"
KIND_VEHICLE: Final = "vehicle_registration"
KIND_EMAIL: Final = "email"
KIND_PHONE: Final = "phone"
KIND_IP_ADDRESS: Final = "ip_address"
KIND_MAC_ADDRESS: Final = "mac_address"
KIND_DATE_OF_BIRTH: Final = "date_of_birth"
KIND_POSTAL_ADDRESS: Final = "postal_address"
KIND_PERSON_NAME: Final = "person_name"

#: Every kind, most specific first: where two hits overlap, the earlier kind is reported.
KINDS: Final = (
    KIND_PRIVATE_KEY,
    KIND_JWT,
    KIND_API_KEY,
    KIND_PASSWORD,
    KIND_IBAN,
    KIND_CARD,
    KIND_BANK_ACCOUNT,
    KIND_CRYPTO_WALLET,
    KIND_NATIONAL_ID,
    KIND_VEHICLE,
    KIND_EMAIL,
    KIND_PHONE,
    KIND_IP_ADDRESS,
    KIND_MAC_ADDRESS,
    KIND_DATE_OF_BIRTH,
    KIND_POSTAL_ADDRESS,
    KIND_PERSON_NAME,
)

_DESCRIPTIONS: Final = {
    KIND_PRIVATE_KEY: "private key",
    KIND_JWT: "access token (JWT)",
    KIND_API_KEY: "API key or token",
    KIND_PASSWORD: "password",
    KIND_IBAN: "IBAN",
    KIND_CARD: "payment card",
    KIND_BANK_ACCOUNT: "bank account",
    KIND_CRYPTO_WALLET: "crypto wallet",
    KIND_NATIONAL_ID: "national ID or tax number",
    KIND_VEHICLE: "vehicle registration",
    KIND_EMAIL: "e-mail address",
    KIND_PHONE: "phone number",
    KIND_IP_ADDRESS: "IP address",
    KIND_MAC_ADDRESS: "MAC address",
    KIND_DATE_OF_BIRTH: "date of birth",
    KIND_POSTAL_ADDRESS: "postal address",
    KIND_PERSON_NAME: "person's name",
}


def describe(kind: str) -> str:
    """Words for the route line: "phone number", never the value."""
    return _DESCRIPTIONS.get(kind, kind.replace("_", " "))


class Hit(NamedTuple):
    """One match in normalised text: `[start, end)`, its kind, a label and a masked preview."""

    start: int
    end: int
    kind: str
    label: str
    redacted: str


Detector = Callable[[str], Iterable[Hit]]
"""A detector reads normalised text and yields what it finds; it must not keep state between calls."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data or a secret, as the rest of the app sees it."""

    kind: str  #: one of :data:`KINDS`
    label: str  #: short human description, e.g. "payment card number"
    message_index: int  #: index of the message in the scanned sequence
    redacted: str  #: masked preview, safe for the UI and logs
