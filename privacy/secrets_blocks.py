"""Structured secrets: private keys (with or without their PEM header), JWTs, URLs with passwords.

* Private keys: a ``BEGIN … PRIVATE KEY`` header in any case and spacing (``-----begin rsa private
  key-----``), PuTTY key files, and key material pasted without its header, recognised by the DER
  prefix every private-key encoding starts with (PKCS#1 ``MIIE…AIBAAK``, PKCS#8 ``…ADANBgkqhkiG9w0
  BAQEFAAS``, SEC1 EC ``MHcCAQEE``, OpenSSH ``b3BlbnNzaC1rZXktdjE``) or by the shape of a PEM body:
  three or more consecutive 60-76 character base64 lines that do not decode to text.
* JWTs: ``eyJ…`` header, payload and optional signature (``alg: none`` tokens end in a dot).
* Credentials in URLs: ``scheme://user:password@host`` for any scheme (postgres, mongodb+srv,
  redis, amqp, https, …).

Not matched: a header whose body is empty or not key material (``-----BEGIN PRIVATE KEY-----
anything``), public keys and certificates (their DER prefixes differ and their headers say so),
URLs whose password is a template or a dummy (``${DB_PASS}``, ``user:pass``, ``<password>``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_JWT, KIND_PASSWORD, KIND_PRIVATE_KEY, Hit
from .secrets_util import DUMMY_WORDS, is_obvious_placeholder, is_placeholder

__all__ = ["connection_strings", "jwts", "private_keys"]

_HEADER_RE: Final = re.compile(
    r"(?:-{2,}\s*)?begin[ _]+(?:[a-z0-9]+[ _]+){0,3}private[ _]+key(?:[ _]+block)?\s*(?:-{2,})?", re.IGNORECASE
)
_END_RE: Final = re.compile(r"-{2,}\s*end[ _]", re.IGNORECASE)
_B64_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
# The first bytes of every private-key encoding, base64-encoded. Public keys (…AAOC…) and
# certificates (MII…CCA…) start differently.
_DER_RE: Final = re.compile(
    r"MII[A-Za-z0-9+/]{2}[AQgw]IBAAK[BC]|ADANBgkqhkiG9w0BAQEFAAS|MHcCAQEEI|MIGkAgEBBD|MIHcAgEBBE"
    r"|AgEAMBMGByqGSM49AgEG|MC4CAQAwBQYDK2VwBCIEI|BgkqhkiG9w0BBQ0w|b3BlbnNzaC1rZXktdjE"
)
_DER_GATES: Final = ("MI", "MHcC", "MC4C", "AgEAMBMG", "b3BlbnNzaC1r")
_PEM_LINE_RE: Final = re.compile(r"[A-Za-z0-9+/]{60,76}={0,2}")
_NOT_PRIVATE_RE: Final = re.compile(r"public key|certificate|ssh-(?:rsa|ed25519|dss)", re.IGNORECASE)
_JWT_RE: Final = re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,}={0,2}\.[A-Za-z0-9_-]{8,}={0,2}\.[A-Za-z0-9_-]*")
_URL_RE: Final = re.compile(
    r"(?<![\w+.-])(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,30})://(?P<user>[^\s:/@'\"<>{}]{0,128})"
    r":(?P<pw>[^\s@/'\"<>]{1,256})@(?P<host>[\w\[\]-][\w.\[\]:-]*)"
)


def _placeholder_body(text: str, start: int) -> bool:
    """Between a key header and its END line: nothing, or documentation filler instead of key material.

    A truncated or partial key (``MIIEow``) is still a leak, so any base64-looking token counts as
    material; only an empty block, ``...``/``<key>``/``XXXX``-style filler or plain words pass.
    """
    end_match = _END_RE.search(text, start, start + 8000)
    if end_match is None:
        # No END line: the rest of the key may follow (or sit in the next message); only prose passes.
        body = text[start : start + 400]
        return bool(body.strip()) and _prose_only(body)
    # Keys pasted from JSON carry literal "\n" escapes.
    body = text[start : end_match.start()].replace("\\n", "\n").replace("\\r", "")
    return not body.strip() or _prose_only(body)


def _prose_only(body: str) -> bool:
    tokens = [t.strip(".,;:!?()\"'") for t in body.split()]
    material = [t for t in tokens if len(t) >= 4 and _B64_CHARS.issuperset(t) and not is_placeholder(t)]
    # Key material mixes cases or digits; "anything", "your key here", "Version: 1" do not.
    return not any(_key_like(t) for t in material)


def _key_like(token: str) -> bool:
    has_digit = any(c.isdigit() for c in token)
    mixed = any(c.isupper() for c in token) and any(c.islower() for c in token)
    return (
        (has_digit and not token.isdigit() and len(token) >= 6) or (mixed and not token.istitle()) or len(token) >= 24
    )


def _decodes_to_text(lines: list[str]) -> bool:
    """Base64 of ordinary data (JSON, prose) decodes to printable text; key material does not."""
    try:
        raw = base64.b64decode("".join(lines)[:400] + "==", validate=False)
    except (binascii.Error, ValueError):
        return True
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in raw)
    return printable >= 0.85 * max(1, len(raw))


def _pem_bodies(text: str) -> Iterator[Hit]:
    """Three or more PEM-width base64 lines in a row, not under a public-key/certificate header."""
    lines = text.split("\n")
    offset, run_start = 0, 0
    run: list[str] = []
    for line in [*lines, ""]:
        stripped = line.strip()
        if _PEM_LINE_RE.fullmatch(stripped):
            if not run:
                run_start = offset
            run.append(stripped)
        else:
            if len(run) >= 3 and not _NOT_PRIVATE_RE.search(text, max(0, run_start - 200), run_start):
                if not _decodes_to_text(run):
                    yield Hit(run_start, offset - 1, KIND_PRIVATE_KEY, "key material (PEM body)", "[key material]")
            run = []
        offset += len(line) + 1


def private_keys(text: str) -> Iterator[Hit]:
    """Private-key blocks, headed or bare."""
    blocks: list[tuple[int, int]] = []  # headed blocks already reported: their bodies are not again
    if "rivate" in text or "RIVATE" in text:
        for m in _HEADER_RE.finditer(text):
            if not _placeholder_body(text, m.end()):
                end_match = _END_RE.search(text, m.end(), m.end() + 8000)
                blocks.append((m.start(), end_match.end() if end_match else len(text)))
                yield Hit(
                    m.start(), m.end(), KIND_PRIVATE_KEY, "private key block", "-----BEGIN PRIVATE KEY----- [redacted]"
                )
        if "PuTTY-User-Key-File-" in text and "Private-Lines:" in text:
            at = text.find("PuTTY-User-Key-File-")
            yield Hit(at, at + 20, KIND_PRIVATE_KEY, "PuTTY private key", "PuTTY-User-Key-File [redacted]")
    if any(gate in text for gate in _DER_GATES):
        for m in _DER_RE.finditer(text):
            if any(lo <= m.start() < hi for lo, hi in blocks):
                continue
            yield Hit(m.start(), m.end(), KIND_PRIVATE_KEY, "private key (DER/base64)", "[key material]")
    if text.count("\n") >= 2 and len(text) >= 180 and max(map(len, text.split("\n"))) >= 60:
        yield from (h for h in _pem_bodies(text) if not any(lo <= h.start < hi for lo, hi in blocks))


def jwts(text: str) -> Iterator[Hit]:
    """JSON Web Tokens (and JWS/JWE compact forms, whose first three parts match)."""
    if "eyJ" not in text:
        return
    for m in _JWT_RE.finditer(text):
        yield Hit(m.start(), m.end(), KIND_JWT, "JSON Web Token", f"{m.group()[:10]}… (JWT)")


#: User names of documentation examples ("user:pass@", "username:password@"); root/admin/sa are
#: real accounts, so "root:pass@" is a (weak) real credential and flags.
_DOC_USERS: Final = frozenset("user username usr uname name login foo me someone youruser myuser your_user".split())


def _template(pw: str) -> bool:
    """``${DB_PASS}``, ``{password}``, ``<password>``, ``xxxx``, ``****``: a slot, not a value."""
    return pw.startswith(("$", "{", "%", "<")) or is_obvious_placeholder(pw) and pw.lower() not in DUMMY_WORDS


def connection_strings(text: str) -> Iterator[Hit]:
    """``scheme://user:password@host``: the password must be neither a template nor a dummy."""
    if "://" not in text or "@" not in text:
        return
    for m in _URL_RE.finditer(text):
        user, pw, host = m.group("user", "pw", "host")
        if _template(pw) or (user.lower() in _DOC_USERS and pw.lower() in DUMMY_WORDS):
            continue
        # The user name stays (it is the account, not the secret) unless it is an e-mail address.
        shown = user if len(user) <= 16 and "@" not in user and "%40" not in user else f"{user[:1]}***"
        redacted = f"{m.group('scheme')}://{shown}:***@{host}"
        yield Hit(m.start(), m.end(), KIND_PASSWORD, "password in URL", redacted)
