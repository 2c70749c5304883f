"""Crypto wallet addresses: Bitcoin, Litecoin, Dogecoin, TRON, XRP, bech32 coins, Ethereum, Solana.

* Base58Check addresses (Bitcoin/Litecoin/Dogecoin/Dash/TRON P2PKH and P2SH, 25 bytes with a 4-byte
  double-SHA-256 checksum) fire wherever they stand: a random string passes one time in four billion.
  XRP uses the same scheme with its own alphabet (``r...``).
* Segwit addresses (``bc1``/``tb1``/``ltc1``, bech32 or bech32m) fire with a valid checksum.
* Ethereum ``0x`` + 40 hex fires when its mixed casing carries a checksum or a wallet word is near.
* Solana addresses (base58 of 32 bytes) have no checksum: they need a wallet or coin word near
  ("solana", "wallet", "lommebok", "address", ...).

Not detected: Monero and other coins with long or unusual encodings, and any address with no checksum
and no context (it is indistinguishable from a random token or a hash).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_CRYPTO_WALLET, Hit
from .ids_common import has_context, mask

__all__ = ["detect_wallets"]

_B58: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_XRP58: Final = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
_B58_INDEX: Final = {c: i for i, c in enumerate(_B58)}
_XRP_INDEX: Final = {c: i for i, c in enumerate(_XRP58)}
_B58_RE: Final = re.compile(r"(?<![A-Za-z0-9])[1-9A-HJ-NP-Za-km-z]{25,44}(?![A-Za-z0-9])")
_BECH32_RE: Final = re.compile(
    r"(?<![A-Za-z0-9])(?:bc|tb|ltc|tltc)1[02-9ac-hj-np-z]{11,71}(?![A-Za-z0-9])", re.IGNORECASE
)
_ETH_RE: Final = re.compile(r"(?<![A-Za-z0-9])0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])")
_WALLET_CONTEXT: Final = re.compile(
    r"wallet|address|adresse|lommebok|plånbok|geldbörse|billetera|portefeuille|eth|ether|send|pay|deposit|"
    r"crypto|krypto|btc|usdt|usdc|metamask|phantom|solana|\bsol\b|coin|token|receive|refund|payout",
    re.IGNORECASE,
)
_BECH32_CHARS: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_COINS: Final = {0x00: "Bitcoin", 0x05: "Bitcoin", 0x30: "Litecoin", 0x32: "Litecoin", 0x1E: "Dogecoin",
                 0x16: "Dogecoin", 0x4C: "Dash", 0x10: "Dash", 0x41: "TRON"}  # fmt: skip


def _decode(value: str, index: dict[str, int]) -> bytes:
    number = 0
    for ch in value:
        number = number * 58 + index[ch]
    zeros = len(value) - len(value.lstrip(next(iter(index))))  # leading "zero" digits are zero bytes
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def _checked(raw: bytes) -> bool:
    return len(raw) == 25 and hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]


def _base58_coin(value: str) -> str | None:
    """The coin of a Base58Check address (None if the checksum fails)."""
    if value[0] == "r" and all(c in _XRP_INDEX for c in value):
        raw = _decode(value, _XRP_INDEX)
        if _checked(raw):
            return "XRP"
    raw = _decode(value, _B58_INDEX)
    if _checked(raw):
        return _COINS.get(raw[0], "crypto")
    return None


def _bech32(value: str) -> bool:
    hrp, data = value.lower().rsplit("1", 1)
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [_BECH32_CHARS.index(c) for c in data]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, gen in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            chk ^= gen if (top >> i) & 1 else 0
    return chk in (1, 0x2BC830A3)  # bech32, bech32m


def _wallet(m: re.Match[str], label: str) -> Hit:
    return Hit(m.start(), m.end(), KIND_CRYPTO_WALLET, label, mask(m.group(), 4))


def _base58_hits(text: str) -> Iterator[Hit]:
    for m in _B58_RE.finditer(text):
        value = m.group()
        if value.isalpha() or value.isdigit():
            continue  # a long word or a long number, never an address
        coin = _base58_coin(value) if len(value) <= 35 else None
        if coin is not None:
            yield _wallet(m, f"{coin} address")
        elif 32 <= len(value) <= 44 and len(_decode(value, _B58_INDEX)) == 32:
            if has_context(text, m.start(), m.end(), _WALLET_CONTEXT):
                yield _wallet(m, "Solana address")


def detect_wallets(text: str) -> Iterator[Hit]:
    """Crypto wallet addresses (see the module docstring)."""
    yield from _base58_hits(text)
    lower = text.lower()
    if "bc1" in lower or "tb1" in lower or "ltc1" in lower:
        for m in _BECH32_RE.finditer(text):
            if m.group() in (m.group().lower(), m.group().upper()) and _bech32(m.group()):
                yield _wallet(m, "segwit address")
    if "0x" in text:
        for m in _ETH_RE.finditer(text):
            body = m.group()[2:]
            mixed = body != body.lower() and body != body.upper()
            if mixed or has_context(text, m.start(), m.end(), _WALLET_CONTEXT):
                yield _wallet(m, "Ethereum address")
