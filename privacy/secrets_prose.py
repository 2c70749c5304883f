"""Passwords and PINs stated in prose, in English and Norwegian.

Matched: "my password is hunter2", "the passcode is 4812", "the wifi password for the cabin is
Fjord2024", "password was changed to X", "passordet mitt er X", "mitt passord er X",
"passordet til ruteren er X", "PIN-koden er 4821", "my PIN is 4821", "login: bob / hunter2",
"credentials bob:hunter2", "brukernavn: bob / passord hunter2" (the second half via the keyword
detector), and "my api key/token/secret is <random value>".

Not matched: statements about a password that do not give one ("reset your password here",
"the password field", "the password is incorrect", "passordet er feil", "my password is too
short"): the word after "is"/"er" must not be one of a list of prose words, and a PIN must be
4-8 digits. The pair form ("login: x / y") needs a second half with a digit, symbol or mixed case,
so "login: home / settings" passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_API_KEY, KIND_PASSWORD, Hit
from .secrets_util import hit, is_placeholder, looks_random, lowered, starts_of

__all__ = ["prose_passwords"]

_SUBJECT: Final = (
    r"(?P<kw>password|passcode|passphrase|passwd|pass phrase|passord(?:et)?|passwort|lösenord(?:et)?"
    r"|kodeordet|kodeord|pwd"
    r"|pin(?:[ -]?(?:code|kode(?:n)?|number|nummer(?:et)?))?|pinkode(?:n)?"
    r"|api[ _-]?key|api[ _-]?token|access[ _-]?token|token|secret(?: key)?|nøkkel(?:en)?)"
)
_VERB: Final = (
    r"(?:is|was|will be|is now|has been (?:changed |set |reset )?to|changed to|set to|reset to"
    r"|to|er|var|blir|er nå|ble endret til|er endret til|endret til|satt til|ist|lautet|är)"
)
_PROSE_RE: Final = re.compile(
    r"(?<![a-z0-9_])" + _SUBJECT + r"(?:\s+(?:mitt|min|mine|vårt|ditt|hans|hennes))?"
    r"(?:\s+(?:for|to|til|på|of|on|at|i|in)(?:\s+[^\s.,;:!?]+){1,3}?)?"
    r"\s+" + _VERB + r"\s*[:=]?\s*[\"'“«]?(?P<v>[^\s\"'”»]{3,128})"
)
_PAIR_RE: Final = re.compile(
    r"(?<![a-z0-9_.])(?:login|logon|log in with|sign in with|credentials|creds|innlogging|logg inn med)"
    r"(?![a-z0-9_.])[ \t]*[:=]?[ \t]*(?P<u>[^\s/:|,\"'`]{2,64})[ \t]*(?:/|\||:|,)[ \t]*(?P<v>[^\s/|,]{4,128})"
)
_STOP: Final = frozenset(
    "the a an is are was be been being to of for in on at and or not no it this that these those your my our "
    "their his her its too very so still now also always never just only already being required optional "
    "incorrect wrong invalid expired correct right case-sensitive case hashed stored saved encrypted "
    "encoded set changed empty blank missing ok okay fine weak strong secure insecure long short same "
    "different reset updated sent shown hidden visible here there below above attached included needed "
    "necessary mandatory generated rotated revoked leaked compromised known unknown public private "
    "valid working broken used new old available disabled enabled locked what which where how when "
    "rejected accepted denied refused blocked reused forgotten lost "
    "feil ugyldig utløpt riktig ikke det en et den de for og eller lagret endret tilbakestilt sendt nå "
    "også alltid aldri bare sterkt svakt sterk svak kort langt lang samme her der under over vedlagt "
    "nødvendig påkrevd gyldig gammelt gamle nytt nye mitt min ditt din hva hvor hvordan når".split()
)
_ROOTS: Final = ("pass", "pwd", "lösen", "pin", "kode", "api", "access", "token", "secret", "nøkkel")
_TRAILING: Final = ".,;:)]}!?\"'”»"
_PIN_WORDS: Final = ("pin",)
_KEY_WORDS: Final = ("api", "access", "token", "secret", "nøkkel")


def _value(raw: str) -> str:
    value = raw.rstrip(_TRAILING)
    return value if len(value) >= 3 else ""


def _stated(m: re.Match[str], text: str) -> Hit | None:
    kw = m.group("kw")
    value = _value(text[m.start("v") : m.end("v")])
    if not value or value.lower() in _STOP or is_placeholder(value):
        return None
    if kw.startswith(_PIN_WORDS):
        if value.isdigit() and 4 <= len(value) <= 8:
            return hit(m.start(), m.start("v") + len(value), KIND_PASSWORD, "PIN", value)
        return None
    if kw.startswith(_KEY_WORDS):
        if looks_random(value, min_len=12):
            return hit(m.start(), m.start("v") + len(value), KIND_API_KEY, "secret stated in prose", value)
        return None
    return hit(m.start(), m.start("v") + len(value), KIND_PASSWORD, "password stated in prose", value)


_BARE_RE: Final = re.compile(r"(?<![a-z0-9_])(?:password|passord|passwort|lösenord)[ \t]+(?P<v>[^\s\"']{6,128})")


# "bruker nøkkelen e1ba5a47…", "my key IBECrt8pu…": a key word then a value random enough on its own.
_BARE_KEY_RE: Final = re.compile(r"(?<![a-z0-9_])(?:nøkkel(?:en)?|key|token|secret)[ \t]+(?P<v>[^\s\"']{20,256})")


def _matches(pattern: re.Pattern[str], low: str, roots: tuple[str, ...]) -> Iterator[re.Match[str]]:
    """`pattern.match` at each occurrence of a root word (str.find is far cheaper than a regex scan)."""
    for root in roots:
        at = low.find(root)
        while at != -1:
            m = pattern.match(low, at)
            if m is not None:
                yield m
            at = low.find(root, at + 1)


def _bare_stated(text: str, low: str) -> Iterator[Hit]:
    """ "skriver inn passord Tig3r39!": no verb, so the value must mix letters with digits or symbols."""
    for m in _matches(_BARE_RE, low, ("password", "passord", "passwort", "lösenord")):
        value = _value(text[m.start("v") : m.end("v")])
        if "://" in value or not (value and any(c.isalpha() for c in value) and not value.isalpha()):
            continue
        if _pair_ok(value):
            yield hit(m.start(), m.start("v") + len(value), KIND_PASSWORD, "password stated in prose", value)
    for m in _matches(_BARE_KEY_RE, low, ("nøkkel", "key", "token", "secret")):
        value = _value(text[m.start("v") : m.end("v")])
        if value and "://" not in value and looks_random(value, min_len=20):
            yield hit(m.start(), m.start("v") + len(value), KIND_API_KEY, "secret stated in prose", value)


def _pair_ok(value: str) -> bool:
    has_other = any(not c.isalpha() for c in value) or (value != value.lower() and value != value.upper())
    return has_other and value.lower() not in _STOP and not is_placeholder(value) and not value.startswith("$")


def prose_passwords(text: str) -> Iterator[Hit]:
    """Passwords, PINs and keys given in a sentence ("my password is …", "passordet mitt er …")."""
    low = lowered(text)
    for at in starts_of(low, _ROOTS):
        m = _PROSE_RE.match(low, at)
        found = _stated(m, text) if m is not None else None
        if found is not None:
            yield found
    if "pass" in low or "lösen" in low or "key" in low or "token" in low or "secret" in low or "nøkkel" in low:
        yield from _bare_stated(text, low)
    if any(w in low for w in ("log", "cred", "sign in", "innlogging")):
        for m in _PAIR_RE.finditer(low):
            value = _value(text[m.start("v") : m.end("v")])
            if value and _pair_ok(value):
                yield hit(m.start(), m.start("v") + len(value), KIND_PASSWORD, "login and password", value)
