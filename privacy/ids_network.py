"""E-mail addresses (plain and spelled out), IPv4/IPv6 addresses and MAC addresses (wallets: ids_wallets).

Choices (kept from the legacy guard):

* E-mail needs a dotted domain with an alphabetic TLD; ``user@localhost``, ``@property``, ``pkg@1.2.3``,
  ``icon@2x.png`` do not count, nor SCP remotes (``git@github.com:org/repo``) or URL user parts.
  Spelled-out forms count when the TLD is a real, common one: ``jane dot doe at example dot com``,
  ``jane[at]example[dot]com``, ``jane (at) example.com``, ``jane at example.com`` (the last only when
  the word before "at" is not an ordinary English word: "look at google.com" passes), and the same
  with "at"/"dot" in other languages (``ola punktum nordmann krøllalfa firma punktum no``, "snabel-a",
  "Klammeraffe", "arobase", "arroba", "chiocciola", "małpa").
* IPv4 is flagged unless it reads as a version or section number, or identifies no one: ``0.x``,
  loopback ``127.x``, ``255.x`` masks, the documentation ranges and public resolvers (``8.8.8.8``).
  Private ranges are flagged (they reveal internal topology). IPv6 skips ``::``, ``::1`` and
  ``2001:db8::/32`` and needs at least four hex digits; IPv4-mapped forms follow the IPv4 rules.
  Spelled-out IPv4 (``63 dot 63 dot 29 dot 128``) follows the same rules.
* MAC: six hex pairs with ``:`` or ``-`` (one separator throughout) or Cisco ``aabb.ccdd.eeff``
  anywhere; 12 bare hex digits (``001A2B3C4D5E``) only next to "MAC", "MAC address", "physical address",
  "hwaddr", "bssid" (else they are hash fragments); all-zero and broadcast addresses pass.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_EMAIL, KIND_IP_ADDRESS, KIND_MAC_ADDRESS, Hit
from .ids_common import has_context

__all__ = ["detect_emails", "detect_ips", "detect_macs"]

_LOCAL_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_NOT_A_TLD: Final = frozenset("png jpg jpeg gif svg webp ico bmp tif tiff css js json html htm".split())
_EMAIL_DOMAIN_RE: Final = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,63}|xn--[a-z0-9-]{2,59})(?![A-Za-z0-9-])"
)
_COMMON_TLDS: Final = (
    "com|net|org|edu|gov|mil|int|io|co|me|info|biz|app|dev|ai|eu|uk|de|no|se|dk|fi|fr|es|it|nl|pl|us|ca|au|in|jp|"
    "ph|tr|ch|at|be|pt|ie|ru|br|mx|kr|cn|nz|za|sg|is|cz|gr|hu|ro|ua|ar|cl|il|ae|hk|tw|online|email|mail|xyz|site"
)
# "at" and "dot" as people spell them out, in several languages (Norwegian/Danish "krøllalfa", "punktum";
# Swedish "snabel-a", "punkt"; German "Klammeraffe"; French "arobase", "point"; Spanish/Portuguese "arroba",
# "punto"/"ponto"; Italian "chiocciola"; Polish "małpa", "kropka"; Finnish "ät", "piste").
_AT_WORDS = r"at|krøllalfa|krollalfa|alfakrøll|snabel-?a|klammeraffe|arobase|arroba|chiocciola|ma[lł]pa|ät"
_DOT_WORDS = r"dot|punktum|punkt|prick|point|punto|ponto|kropka|piste"
_AT = rf"(?:\s*[\[({{<]\s*(?:{_AT_WORDS})\s*[\])}}>]\s*|\s+(?:{_AT_WORDS})\s+|\s*@\s*)"
_DOT = rf"(?:\s*[\[({{<]\s*(?:{_DOT_WORDS})\s*[\])}}>]\s*|\s+(?:{_DOT_WORDS})\s+|\.)"
_SPELLED_RE: Final = re.compile(
    rf"(?<![\w.@-])(?P<local>[A-Za-z0-9_%+-]+(?:{_DOT}[A-Za-z0-9_%+-]+)*){_AT}"
    rf"(?P<domain>[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*{_DOT}(?P<tld>{_COMMON_TLDS}))(?![\w-])",
    re.IGNORECASE,
)
_PLAIN_WORDS: Final = frozenset(
    "look looked looking me us him her them it this that you we they i is are was were be been am and or not "
    "only just even both stay staying stayed live lives lived work works worked arrive arrived available "
    "found posted hosted here there meet met see seen seeing online up down out back home site page "
    "visit visiting located based signed logged sign log click go went".split()
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4_RE: Final = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\w|\.[0-9])")
_VERSION_CONTEXT_RE: Final = re.compile(
    r"(?:[=<>~!]=|@|\b(?:v|ver|version|release|rev|revision|build|python|node|java|firmware"
    r"|kernel|section|chapter|clause|step|figure|table|§))\.?[ \t]*:?[ \t]*$",
    re.IGNORECASE,
)
_PUBLIC_RESOLVERS: Final = frozenset({"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9"})
_IPV4_DOC_PREFIXES: Final = ("192.0.2.", "198.51.100.", "203.0.113.")
_IPV6_DOC_NET: Final = ipaddress.ip_network("2001:db8::/32")
_HEX_COLON_DOT: Final = frozenset("0123456789abcdefABCDEF:.")
_IPV6_FULL_RE: Final = re.compile(r"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}")
_MAC_RE: Final = re.compile(
    r"(?<![0-9A-Fa-f:.-])(?:[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![0-9A-Fa-f:-]|\.[0-9A-Za-z])"  # a full stop may follow
)
_CISCO_HINT: Final = re.compile(r"\.[0-9A-Fa-f]{4}\.")
_MAC_COMPACT_RE: Final = re.compile(r"(?<![0-9A-Za-z_])(?=[A-Fa-f]*[0-9])[0-9A-Fa-f]{12}(?![0-9A-Za-z_])")
# "mac" alone is too weak ("the mac build" next to a commit hash): upper-case MAC, or "mac" as an address.
_MAC_CONTEXT: Final = re.compile(
    r"\bMAC\b|(?i:\bmac(?:[ -]?ad+res+e?n?|\s*[:=]|\s+(?:is|er|ist|es|est|är|of|for)\b)|physical address|"
    r"fysisk adresse|hwaddr|lladdr|bssid|ether(?:net)? ?(?:address|addr)|hardware (?:address|ethernet))"
)
_MAC_HINTS: Final = ("mac", "physical", "fysisk", "hwaddr", "lladdr", "bssid", "ether", "hardware")
_IPV4_SPELLED_RE: Final = re.compile(
    rf"(?<![\w.]){_OCTET}(?:\s*(?:\s[\[(]?dot[\])]?\s|[\[(]dot[\])])\s*{_OCTET}){{3}}(?![\w.])", re.IGNORECASE
)


def _email_hit(text: str, at: int) -> Hit | None:
    m = _EMAIL_DOMAIN_RE.match(text, at + 1)
    if m is None or m.group("tld").lower() in _NOT_A_TLD:
        return None
    start = at
    while start > 0 and at - start < 64 and text[start - 1] in _LOCAL_CHARS:
        start -= 1
    while start < at and text[start] == ".":
        start += 1
    after = text[m.end() : m.end() + 2]
    scp_remote = len(after) == 2 and after[0] == ":" and not after[1].isspace()
    url_user = text[max(0, start - 3) : start] == "://"
    if start == at or scp_remote or url_user:
        return None
    return Hit(start, m.end(), KIND_EMAIL, "e-mail address", f"{text[start]}***@{m.group()}")


def detect_emails(text: str) -> Iterator[Hit]:
    """Plain e-mail addresses, then spelled-out ones (see the module docstring)."""
    at = text.find("@")
    found = False
    while at != -1:
        h = _email_hit(text, at)
        if h is not None:
            found = True
            yield h
        at = text.find("@", at + 1)
    if found:
        return
    for m in _spelled(text):
        local, whole = m.group("local"), m.group()
        if "@" in whole:
            continue
        plain_at = re.search(r"\s+at\s+", whole[len(local) :], re.I) is not None
        if plain_at and local.lower() in _PLAIN_WORDS:
            continue
        yield Hit(m.start(), m.end(), KIND_EMAIL, "e-mail address (spelled out)", f"{local[:1]}*** at {m.group('tld')}")


_DOMAIN_AFTER_RE: Final = re.compile(
    rf"\s*[A-Za-z0-9-]+(?:\.[A-Za-z]|\s*[\[({{<]?\s*(?:{_DOT_WORDS})\b)", re.IGNORECASE
)
_AT_WORD_RE: Final = re.compile(r"[\s\[({<]at[\s\])}>]", re.IGNORECASE)
_ANY_AT_WORD_RE: Final = re.compile(rf"[\s\[({{<](?:{_AT_WORDS})[\s\])}}>]", re.IGNORECASE)
#: Cheap test before the slower multilingual search (most text has none of these).
_FOREIGN_AT_HINTS: Final = (
    "krøll",
    "kroll",
    "alfakr",
    "snabel",
    "klammer",
    "arobase",
    "arroba",
    "chiocciola",
    "łpa",
    "lpa ",
    "ät",
)


def _spelled(text: str) -> Iterator[re.Match[str]]:
    """Spelled-out addresses, searched only around each "at" that has a dot or "dot" after it."""
    done = 0
    lower = text.lower()
    at_words = _ANY_AT_WORD_RE if any(hint in lower for hint in _FOREIGN_AT_HINTS) else _AT_WORD_RE
    for at in at_words.finditer(text):
        if at.start() < done:
            continue
        if _DOMAIN_AFTER_RE.match(text, at.end()) is None:
            continue
        lo = max(done, at.start() - 80)
        m = _SPELLED_RE.search(text, lo, min(len(text), at.end() + 100))
        if m is not None:
            done = m.end()
            yield m


def _ipv4_hit(text: str, m: re.Match[str], address: str = "") -> Hit | None:
    address = address or m.group()
    octets = address.split(".")
    if octets[0] in ("0", "127", "255") or address in _PUBLIC_RESOLVERS or address.startswith(_IPV4_DOC_PREFIXES):
        return None
    before = text[max(0, m.start() - 24) : m.start()]
    if before and _VERSION_CONTEXT_RE.search(before):
        return None
    return Hit(m.start(), m.end(), KIND_IP_ADDRESS, "IPv4 address", f"{octets[0]}.{octets[1]}.*.*")


def _ipv6_hit(text: str, s: int, e: int) -> Hit | None:
    while e > s and text[e - 1] == ".":
        e -= 1  # a sentence's full stop
    candidate = text[s:e]
    if (s > 0 and (text[s - 1].isalnum() or text[s - 1] in "_")) or (
        e < len(text) and (text[e].isalnum() or text[e] in "_")
    ):
        return None
    if sum(c not in ":." for c in candidate) < 4:
        return None
    try:
        address = ipaddress.IPv6Address(candidate)
    except ValueError:
        return None
    mapped = address.ipv4_mapped
    if mapped is not None:
        v4 = str(mapped)
        if v4.split(".")[0] in ("0", "127", "255") or v4 in _PUBLIC_RESOLVERS or v4.startswith(_IPV4_DOC_PREFIXES):
            return None
    elif address.is_loopback or address.is_unspecified or address in _IPV6_DOC_NET:
        return None
    return Hit(s, e, KIND_IP_ADDRESS, "IPv6 address", candidate.split(":", 1)[0] + ":****:…")


def detect_ips(text: str) -> Iterator[Hit]:
    """IPv4 and IPv6 addresses that point at someone's machine or network (also "10 dot 0 dot 3 dot 7")."""
    if "." in text and any(d in text for d in "0123456789"):
        for m in _IPV4_RE.finditer(text):
            h = _ipv4_hit(text, m)
            if h is not None:
                yield h
    if "dot" in text.lower():
        for m in _IPV4_SPELLED_RE.finditer(text):
            octets = re.findall(r"\d+", m.group())
            h = _ipv4_hit(text, m, ".".join(octets))
            if h is not None:
                yield h
    if ":" not in text:
        return
    at = text.find("::")
    while at != -1:
        s, e = at, at + 2
        while s > 0 and text[s - 1] in _HEX_COLON_DOT:
            s -= 1
        while e < len(text) and text[e] in _HEX_COLON_DOT:
            e += 1
        h = _ipv6_hit(text, s, e)
        if h is not None:
            yield h
        at = text.find("::", e)
    if text.count(":") >= 6:
        for m in _IPV6_FULL_RE.finditer(text):
            e = m.end()
            while e < len(text) and text[e] in _HEX_COLON_DOT:
                e += 1
            h = _ipv6_hit(text, m.start(), e)
            if h is not None:
                yield h


def detect_macs(text: str) -> Iterator[Hit]:
    """MAC addresses: colon, dash or Cisco dot notation anywhere; 12 bare hex digits next to a MAC word."""
    # Cheap gates: five colons or dashes, or a Cisco ".xxxx." group (prose has many full stops).
    if text.count(":") >= 5 or text.count("-") >= 5 or (text.count(".") >= 2 and _CISCO_HINT.search(text)):
        for m in _MAC_RE.finditer(text):
            if _real_mac(m.group()):
                yield Hit(m.start(), m.end(), KIND_MAC_ADDRESS, "MAC address", m.group()[:8] + "…")
    lower = text.lower()
    if not any(word in lower for word in _MAC_HINTS) or _MAC_CONTEXT.search(text) is None:
        return  # a bare 12-hex run is a hash fragment or a serial unless something says "MAC"
    for m in _MAC_COMPACT_RE.finditer(text):
        if _real_mac(m.group()) and has_context(text, m.start(), m.end(), _MAC_CONTEXT):
            yield Hit(m.start(), m.end(), KIND_MAC_ADDRESS, "MAC address", m.group()[:6] + "…")


def _real_mac(value: str) -> bool:
    hexes = re.sub(r"[:.-]", "", value).lower()
    return not (len(set(hexes)) == 1 and hexes[0] in "0f")  # all-zero and broadcast identify no device
