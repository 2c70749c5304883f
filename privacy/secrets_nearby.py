"""Passwords stated near a password cue, without the "is"/"=" that `secrets_prose` needs.

Matched: a password-shaped token in the rest of the sentence or the next one after a cue word
(password, passord, passwort, lösenord, passcode, pw/pwd, login, log in, sign in, logg inn):
"it says wrong password but I'm typing monkey999 exactly", "I forgot my router password. The
code I use is Fjord2020", "login fails. I tried Sommer1995. and it fails". Password-shaped means
letters mixed with digits or symbols (``tiger794``, ``B@n@n78!``) or a passphrase of three or
more hyphenated words (``ravioli-battery-tundra-horse``).

Not matched: ordinary words and prose ("the password is wrong"), numbers, versions, dates,
e-mail addresses, URLs and paths, snake/camel-case identifiers, short tech words (``wpa2``,
``sha256``, ``2fa``), product names after "on/in/from/via" ("reset it on my iPhone15"), and
hyphenated phrases that contain function words or the cue itself ("two-factor-authentication").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_PASSWORD, Hit
from .secrets_util import REFERENCE_RE, hit, is_placeholder, lowered, starts_of

__all__ = ["nearby_passwords"]

_CUE_RE: Final = re.compile(
    r"(?<![a-z0-9_])(?:passwords?|passord(?:et)?|passwort|lösenord(?:et)?|passcode|passphrase|pwd?"
    r"|log(?:ging)?[ -]?in|sign(?:ing)?[ -]?in|logg(?:e)? inn)(?![a-z0-9_])"
)
_CUE_ROOTS: Final = ("pass", "pw", "lösen", "log", "sign")
# The window: the rest of the cue's sentence and the whole next one, at most this many characters.
_WINDOW: Final = 160
# A line break ends a sentence too: chat sentences sit on one line, code and shell lines are not prose.
_SENTENCE_END_RE: Final = re.compile(r"[.!?](?:\s|$)|\n")
_CODE_MARKS: Final = frozenset("|$=/#`&>")
_TOKEN_RE: Final = re.compile(r"[^\s\"'“”«»()\[\]{}<>,;]+")
_TRAILING: Final = ".,;:!?"
_PASSPHRASE_RE: Final = re.compile(r"[a-zæøåäöü]{3,}(?:-[a-zæøåäöü]{3,}){2,}", re.IGNORECASE)
_NOT_SECRET_RE: Final = re.compile(
    r"^v?\d+(?:[.:/-]\d+)*[a-z]{0,2}$"  # numbers, versions, dates, times, sizes (10gb)
    r"|@[\w-]+\.\w|[/\\=:]|--|^[#$%-]"  # e-mail, URL, path, code (a=b, a::b), flags, variables
    r"|^\d+[A-Z][a-z]+$"  # 1Password, 3Com: a product name, passwords put digits last
    r"|\.(?:com|org|net|no|io|py|js|ts|json|yaml|yml|txt|md|html|exe|sh)$",
    re.IGNORECASE,
)
#: Words that sit in hyphenated phrases, not in generated passphrases.
_PHRASE_WORDS: Final = frozenset(
    "the and for not one two three multi single self time factor step based free less only like "
    "user login password passord code sign end out off".split()
)
_TECH_WORDS: Final = frozenset(
    "pbkdf2 argon2 argon2id bcrypt scrypt base64 base32 oauth2 hmac256 aes256 x86_64".split()
)
_PLACES: Final = frozenset("on in at from via into onto inside through".split())
_SYMBOLS: Final = frozenset("!@#$%^&*?+=~_§€£|")


def _password_shaped(token: str) -> bool:
    """Letters mixed with digits or symbols, or a passphrase of three or more hyphenated words."""
    if _PASSPHRASE_RE.fullmatch(token):
        return _PHRASE_WORDS.isdisjoint(token.lower().split("-"))
    if len(token) < 6 or _NOT_SECRET_RE.search(token) or token.lower() in _TECH_WORDS:
        return False
    letters = sum(c.isalpha() for c in token)
    digits = sum(c.isdigit() for c in token)
    symbols = sum(c in _SYMBOLS for c in token)
    if letters < 2 or (digits == 0 and symbols == 0):
        return False
    if symbols == 0 and letters <= 4 and token.isalnum():
        return False  # wpa2, sha256, ipv6, 2fa, mp3: short acronyms with a number
    return not REFERENCE_RE.fullmatch(token) and not is_placeholder(token)


def _window(low: str, start: int) -> int:
    """End of the sentence after the cue's own one, capped at `_WINDOW` characters."""
    end = min(len(low), start + _WINDOW)
    first = _SENTENCE_END_RE.search(low, start, end)
    if first is None:
        return end
    second = _SENTENCE_END_RE.search(low, first.end(), end)
    return second.start() + 1 if second else end


def nearby_passwords(text: str) -> Iterator[Hit]:
    """The first password-shaped token within a sentence or two after each password cue."""
    low = lowered(text)
    for at in starts_of(low, _CUE_ROOTS):
        cue = _CUE_RE.match(low, at)
        if cue is None or low.startswith((":\n", ":\r"), cue.end()):
            continue  # "login:" heading a YAML/config block: what follows are settings, not prose
        previous: list[str] = []
        for m in _TOKEN_RE.finditer(text, cue.end(), _window(low, cue.end())):
            token = m.group().rstrip(_TRAILING).lstrip(":=")
            if not _CODE_MARKS.isdisjoint(m.group()):
                break  # a shell pipe, a variable or an assignment: the window is code, not a sentence
            if len(token) >= 3 and _password_shaped(token) and _PLACES.isdisjoint(previous[-2:]):
                yield hit(cue.start(), m.start() + len(token), KIND_PASSWORD, "password near a cue", token)
                break
            previous.append(m.group().lower())
