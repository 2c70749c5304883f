"""Secrets named by the words around them: assignments, CLI flags, HTTP headers.

* Keyword assignments in code, YAML, JSON, .env, INI and shell: ``password = "…"``,
  ``api_key: …``, ``AZURE_OPENAI_API_KEY=…``, ``secret_key => "…"``, ``SNYK_TOKEN ?= "…"``,
  ``"api_token", "…"`` (a getter's default), ``--password …`` / ``--token …`` flags,
  ``<password>…</password>``. The name must END in the keyword (``token_url`` does not count,
  ``max_tokens`` does not either). Keyword list after detect-secrets' KeywordDetector denylist,
  plus Norwegian/German/Spanish words for password.
* ``curl -u user:password`` / ``--user``, ``Authorization: Bearer|Basic|Token …`` and
  ``X-…-Key:`` style headers, and a bare ``Bearer <token>``.
* A 40-character AWS secret access key written after "aws"/"secret" (in prose or code).

Deliberately not matched: references instead of values (``os.environ["X"]``, ``get_token()``,
``settings.KEY``, ``$VAR``, ``${VAR}``, ``{{ .Values.x }}``), type annotations
(``password: str``), placeholders and dummies (``<your-key>``, ``xxxx``, ``changeme``,
``user:pass``), public values (``public_key``, ``publicToken``), identifiers (``client_id``,
``credentialsId``), and, after the weak keywords ``key``/``login``/``auth``, anything that does
not look random (``schemaKey = 'DOC_Vector_5_32'``). Entropy is only ever a check on a value that
a keyword already introduced, never a detector by itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_API_KEY, KIND_PASSWORD, Hit
from .secrets_util import REFERENCE_RE, entropy, hit, is_placeholder, is_wordy, looks_random, lowered, starts_of

__all__ = ["assignments", "aws_secret_keys", "cli_and_headers"]

_PASSWORD_WORDS: Final = "password passwd passphrase passcode passord passwort contraseña contrasena pwd pass pw"
_STRONG_WORDS: Final = "secret token credentials credential creds apikey"
_WEAK_WORDS: Final = "key login auth sid accessid"
_KEY_QUALIFIERS: Final = (
    "api access secret private account auth client service master signing encryption license subscription "
    "app consumer storage sas admin webhook db database priv"
)
#: Keywords that are whole words only as a segment of the name (``db_pass``, ``dbPass``), not
#: as the tail of another word (``compass``, ``monkey``, ``oauth``).
_SEGMENT_ONLY: Final = frozenset("pass pw pwd key login auth sid creds".split())
_QUALIFIERS: Final = tuple(_KEY_QUALIFIERS.split())
# Keywords as they start; compounds such as api_key / secretKey are found from their "key" and
# classified by the name in front of it. Each keyword starts with one of _ROOTS, which are found
# with str.find (memchr-fast), so the regex only ever runs where a keyword is.
_KEYWORDS: Final = sorted(
    [*_PASSWORD_WORDS.split(), *_STRONG_WORDS.split(), *_WEAK_WORDS.split(), "access_id", "access-id"],
    key=len,
    reverse=True,
)
_ROOTS: Final = ("pass", "pw", "contras", "secret", "token", "cred", "key", "login", "auth", "sid", "access")
_ASSIGN_RE: Final = re.compile(
    r"(?P<kw>" + "|".join(re.escape(k) for k in _KEYWORDS) + r")(?![a-z0-9])"
    r"(?P<close>[\"'`\]]{0,2})[ \t]*"
    r"(?:(?P<sep>:{1,3}=|\?=|\+=|=>|===?|!==?|=|:|>)|(?P<comma>(?<=[\"'`]),)|(?P<space>(?<=[a-z0-9])[ \t]))[ \t]*"
    r"(?:[@rbf]?\"(?P<dq>[^\"\n]{1,256})\"|[@rbf]?'(?P<sq>[^'\n]{1,256})'|`(?P<bq>[^`\n]{1,256})`"
    r"|(?P<bare>[^\s\"'`,;&)\]}<>]{1,256}))"
)
_TYPE_WORDS: Final = frozenset(
    "str string bytes int bool text any none optional secretstr secretbytes password required field "
    "hidden masked char varchar".split()
)
_PROSE_STOP: Final = frozenset(
    "the a an is are was be to of for in on at and or not no it this that your my our their his her "
    "reset change forgot forgotten field required incorrect wrong invalid expired manager policy "
    "protected strength hash hashed stored saved encrypted here below above ok yes true false".split()
)


def _name_start(text: str, kw_start: int) -> int:
    start = kw_start
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
        start -= 1
    return start


def _segment_ok(text: str, kw_start: int, kw: str) -> bool:
    """Short keywords must start a name segment: ``db_pass``, ``dbPass``, ``pass`` but not ``compass``."""
    if kw not in _SEGMENT_ONLY or kw_start == 0:
        return True
    before, first = text[kw_start - 1], text[kw_start]
    return not before.isalpha() or (before.islower() and first.isupper())


def _kind_of(kw: str, name: str) -> tuple[str, str, bool]:
    """(kind, label, weak): weak keywords need a value that looks random."""
    if kw.startswith(("pass", "pw", "contras")):
        return KIND_PASSWORD, "password", False
    if kw == "key":
        compound = name[:-3].rstrip("_-.").endswith(_QUALIFIERS)
        return KIND_API_KEY, "secret in assignment", not compound
    weak = kw in _WEAK_WORDS.split() or kw in ("access_id", "access-id")
    return KIND_API_KEY, "secret in assignment", weak


def _bare_ok(value: str, m: re.Match[str], text: str) -> bool:
    """An unquoted value is often a reference, a type or prose rather than a secret."""
    if REFERENCE_RE.fullmatch(value) or value.lower() in _TYPE_WORDS or value.lower() in _PROSE_STOP:
        return False
    follower = text[m.end() : m.end() + 3]
    if m.group("sep") == ":" and (follower[:1] in ("(", ",") or follower.lstrip(" ")[:1] in ("=", "|")):
        return False  # "password: str = …", "def f(token: Token, …"
    return not value.startswith(("$", "{"))


def _value_ok(value: str, kind: str, weak: bool, qualified: bool) -> bool:
    if is_placeholder(value) or value.startswith(("$", "%")):
        return False
    if kind == KIND_PASSWORD:
        return len(value) >= 4
    if _UUID_RE.fullmatch(value):
        return not weak or qualified  # SNYK_TOKEN / HEROKU_KEY = "<uuid>", but not report_access_id
    if weak:
        if _TOKEN_CHARS_RE.fullmatch(value) is None or is_wordy(value):
            return False
        # Short values after a weak keyword must be one unbroken run (DOC_Vector_5_32 is a name).
        return looks_random(value, min_len=12) and (len(value) >= 20 or value.isalnum())
    if len(value) < 8 or " " in value.strip() or is_wordy(value):
        return False
    # A token or key mixes classes; "db-credentials" or "my-app-secret" names a resource instead.
    mixed = any(c.isdigit() for c in value) or (any(c.isupper() for c in value) and any(c.islower() for c in value))
    return mixed and entropy(value) >= 2.5


_UUID_RE: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_TOKEN_CHARS_RE: Final = re.compile(r"[A-Za-z0-9+/=_-]+")
#: Names whose values are per-session anti-forgery tokens or public data, not credentials.
_NOT_SECRET_NAMES: Final = ("public", "pub", "csrf", "xsrf", "authenticity")


def assignments(text: str) -> Iterator[Hit]:
    """``name<sep>value`` where the name ends in a secret keyword and the value could be one."""
    low = lowered(text)
    for at in starts_of(low, _ROOTS):
        m = _ASSIGN_RE.match(low, at)
        if m is None:
            continue
        kw, kw_start = m.group("kw"), m.start("kw")
        name_start = _name_start(text, kw_start)
        name = low[name_start : m.end("kw")]
        kind, label, weak = _kind_of(kw, name)
        if any(part in name for part in _NOT_SECRET_NAMES):
            continue
        if (kw != "key" or weak) and not _segment_ok(text, kw_start, kw):
            continue
        if m.group("space") and not name.startswith("-"):
            continue  # "password hunter2" is prose; "--password hunter2" is a flag
        if m.group("sep") == ">" and (m.group("close") or low[name_start - 1 : name_start] != "<"):
            continue  # ">" separates only in XML: <password>…</password>
        group = next(g for g in ("dq", "sq", "bq", "bare") if m.group(g) is not None)
        value = text[m.start(group) : m.end(group)]
        if group == "bq" and " " in value:
            continue  # `command substitution`
        if group == "bare" and not _bare_ok(value, m, text):
            continue
        qualified = kw == "key" and kw_start > name_start
        if _value_ok(value.strip(), kind, weak, qualified):
            yield hit(name_start, m.end(), kind, label, value, f"{text[name_start : m.end('kw')]}=")


_CURL_USER_RE: Final = re.compile(r"(?<!\S)(?:-u|--user)(?:[ \t]+|=)(?P<v>(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s\"']+)+)")
_HEADER_RE: Final = re.compile(
    r"(?P<name>(?:proxy-)?authorization|x-[\w-]*(?:key|token|secret|auth)|api-?key|api-token|auth-token)"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?(?:(?P<scheme>bearer|basic|token|api-token|bot|digest|apikey|sso-key|key)[ \t]+)?"
    r"(?P<v>[A-Za-z0-9._~+/=:@-]{8,})",
    re.IGNORECASE,
)
_BEARER_RE: Final = re.compile(r"(?<![\w-])bearer[ \t]+(?P<v>[A-Za-z0-9._~+/=-]{16,})", re.IGNORECASE)


def _curl_users(text: str) -> Iterator[Hit]:
    for m in _CURL_USER_RE.finditer(text):
        raw = m.group("v").replace('"', "").replace("'", "")
        if raw.startswith(("<", "[", "$")):
            continue  # curl -u <user:password>, [USER:PASS], $CREDS
        user, _, pw = raw.partition(":")
        if not pw:
            secret = user if looks_random(user, min_len=8) else ""
        elif user.isdigit() and pw.isdigit():
            secret = ""  # -u 1000:1000 is a uid:gid
        else:
            secret = pw if len(pw) >= 4 and not is_placeholder(pw) and not pw.startswith(("$", "%")) else ""
        if secret:
            yield hit(m.start("v"), m.end("v"), KIND_PASSWORD, "password on a command line", secret, "-u ")


_HEADER_ROOTS: Final = ("authorization", "proxy-", "x-", "api", "auth-token")


def _header_starts(low: str) -> list[int]:
    """Where a header name may start (str.find is far cheaper than scanning with the regex)."""
    starts: set[int] = set()
    for root in _HEADER_ROOTS:
        at = low.find(root)
        while at != -1:
            starts.add(at)
            at = low.find(root, at + 1)
    return sorted(starts)


def cli_and_headers(text: str) -> Iterator[Hit]:
    """``curl -u user:pw``, ``Authorization: …`` and other credential headers, ``Bearer <token>``."""
    low = lowered(text)
    if ("-u" in text or "--user" in text) and ("curl" in low or "wget" in low or "http" in low):
        yield from _curl_users(text)
    for at in _header_starts(low):
        m = _HEADER_RE.match(text, at)
        if m is not None:
            value = m.group("v")
            if not is_placeholder(value) and (m.group("scheme") or any(c.isdigit() for c in value)):
                yield hit(m.start(), m.end(), KIND_API_KEY, "credential in HTTP header", value, f"{m.group('name')}: ")
    if "bearer" in low:
        for m in _BEARER_RE.finditer(text):
            value = m.group("v")
            if not is_placeholder(value) and looks_random(value, min_len=16, min_entropy=2.5):
                yield hit(m.start(), m.end(), KIND_API_KEY, "bearer token", value, "Bearer ")


_AWS_SECRET_RE: Final = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def aws_secret_keys(text: str) -> Iterator[Hit]:
    """40-character AWS secret access keys near the words "aws" or "secret" (prose or code)."""
    low = lowered(text)
    if "aws" not in low and "secret" not in low and "amazon" not in low:
        return
    for m in _AWS_SECRET_RE.finditer(text):
        value = m.group()
        context = low[max(0, m.start() - 120) : m.start()]
        has_cases = any(c.isupper() for c in value) and any(c.islower() for c in value)
        if ("aws" in context or "secret" in context or "amazon" in context) and has_cases:
            if looks_random(value, min_len=40):
                yield hit(m.start(), m.end(), KIND_API_KEY, "AWS secret access key", value)
