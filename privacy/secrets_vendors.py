"""Vendor credentials recognised by their own format: a literal prefix or a fixed shape.

Formats follow detect-secrets' plugins where they have one (AWS, GitHub, GitLab, Slack, Discord,
Telegram, Twilio, SendGrid, Square, Stripe, Mailchimp, npm, PyPI, Artifactory, Azure storage)
and gitleaks' rule set for the rest (OpenAI, Anthropic, Hugging Face, GCP, Azure AD, Vault,
Grafana, Sentry, Fly.io, 1Password, Databricks, Notion, …). Each rule is gated by a literal that
every match contains, so a message with none of them costs one substring test per rule.

Deliberately not matched: documented placeholders (``AKIAIOSFODNN7EXAMPLE``, ``ghp_xxxx…``),
values with too little randomness for the format (``xoxb-12345-abcd234``), prefixes glued to a
longer identifier (``rhf_SponsoredProducts…``), and public identifiers (Stripe ``pk_``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final, NamedTuple

from ._types import KIND_API_KEY, KIND_PRIVATE_KEY, Hit
from .secrets_util import hit, is_obvious_placeholder, is_placeholder, is_plausible_token, looks_random, lowered

__all__ = ["vendor_tokens"]

_B: Final = r"(?<![A-Za-z0-9_.-])"  # the prefix starts a token
_E: Final = r"(?![A-Za-z0-9_-])"  # the body ends it


class _Rule(NamedTuple):
    label: str
    starts: tuple[str, ...]  # literal prefixes a match begins with (lower case when `ci`); () = use gates
    pattern: re.Pattern[str]
    min_random: int = 0  # >0: the body (group "b", else the match) must look random at this length
    ci: bool = False
    kind: str = KIND_API_KEY
    check: Callable[[str], bool] | None = None  # an extra test of the body
    vouched: bool = False  # the prefix is distinctive: any body but filler counts (no randomness test)
    gates: tuple[str, ...] = ()  # for rules with no literal start: a literal inside every match
    back: int = 0  # how far back over token characters before its gate such a match may start
    window: bool = False  # the match starts at a non-token character: search [gate - back, gate end]


def _slack_ok(body: str) -> bool:
    """Slack bodies are numeric team/user ids then a random tail; ``1234-1234-…`` ids are made up."""
    segments = body.split("-")
    numeric = [s for s in segments if s.isdigit()]
    if len(numeric) >= 2 and max(map(len, numeric)) < 5:
        return False
    tail = max((s for s in segments if not s.isdigit()), key=len, default="")
    return len(body) >= 18 and len(tail) >= 6 and is_plausible_token(tail)


def _anthropic_ok(body: str) -> bool:
    """A full-length key (93 random characters) always ends in "AA"; shorter ones are truncated keys."""
    return (len(body) < 80 or body.endswith("AA")) and is_plausible_token(body)


def _r(pattern: str, ci: bool = False) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE if ci else 0)


_RULES: Final = (
    # --- cloud providers
    _Rule(
        "AWS access key ID",
        ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
        _r(r"(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    ),
    _Rule("AWS Bedrock API key", ("ABSK",), _r(_B + r"ABSK(?P<b>[A-Za-z0-9+/]{100,300}={0,2})"), 20),
    _Rule("AWS Bedrock API key", ("bedrock-api-key-",), _r(r"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[\w+/=]*")),
    _Rule("Google API key", ("AIza",), _r(_B + r"AIzaSy(?P<b>[0-9A-Za-z_-]{33})" + _E), vouched=True),
    _Rule(
        "Azure AD client secret",
        (),
        _r(r"(?<![\w~.-])[A-Za-z0-9_~.]{3}\dQ~(?P<b>[A-Za-z0-9_~.-]{31,34})(?![\w~.-])"),
        16,
        gates=("Q~",),
        back=4,
    ),
    _Rule(
        "Azure storage account key",
        (),
        _r(r"AccountKey=(?P<b>[A-Za-z0-9+/=]{86,88})"),
        20,
        gates=("AccountKey=",),
    ),
    _Rule(
        "GCP service-account key file",
        (),
        _r(r"[\"']type[\"']\s*:\s*[\"']service_account[\"']"),
        kind=KIND_PRIVATE_KEY,
        gates=("service_account",),
        back=40,
        window=True,
    ),
    _Rule("Databricks token", ("dapi",), _r(_B + r"dapi(?P<b>[a-f0-9]{32})(?:-\d)?" + _E), 16),
    _Rule("Cloudflare origin CA key", ("v1.0-",), _r(r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}")),
    _Rule("Heroku API key", ("HRKU-",), _r(_B + r"HRKU-AA(?P<b>[0-9A-Za-z_-]{58})"), vouched=True),
    _Rule("Fly.io token", ("fo1_",), _r(_B + r"fo1_(?P<b>[\w-]{43})" + _E), vouched=True),
    _Rule("Fly.io token", ("fm1", "fm2"), _r(_B + r"fm[12][ar]?_(?P<b>[A-Za-z0-9+/]{100,}={0,3})"), 20),
    _Rule("ClickHouse Cloud key", ("4b1d",), _r(_B + r"4b1d(?P<b>[A-Za-z0-9]{38})" + _E), 16),
    _Rule(
        "HashiCorp Terraform token",
        (),
        _r(r"[a-z0-9]{14}\.atlasv1\.(?P<b>[a-z0-9_=-]{60,70})", True),
        20,
        gates=(".atlasv1.",),
        back=14,
    ),
    _Rule("Vault token", ("hvs.", "hvb."), _r(_B + r"hv[sb]\.(?P<b>[\w-]{90,300})"), vouched=True),
    _Rule("Vault token", ("s.",), _r(r"(?<![\w.])s\.(?P<b>[A-Za-z0-9]{24})" + _E), 24),
    _Rule("Scalingo token", ("tk-us-",), _r(_B + r"tk-us-(?P<b>[\w-]{48})" + _E), vouched=True),
    # --- code hosts, registries, CI
    _Rule(
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        _r(_B + r"gh[pousr]_(?P<b>[A-Za-z0-9_]{36,255})" + _E),
        vouched=True,
    ),
    _Rule("GitHub token", ("github_pat_",), _r(_B + r"github_pat_(?P<b>[A-Za-z0-9_]{40,255})" + _E), vouched=True),
    _Rule(
        "GitLab token",
        ("gl", "GR1348941"),
        _r(
            _B + r"(?:gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas|ddt|ffct|rtr)-|GR1348941)"
            r"(?P<b>[A-Za-z0-9_.-]{20,1024})" + _E
        ),
        vouched=True,
    ),
    _Rule("Clojars token", ("clojars_",), _r(_B + r"CLOJARS_(?P<b>[a-z0-9]{60})" + _E, True), 20, ci=True),
    _Rule("npm token", ("npm_",), _r(_B + r"npm_(?P<b>[A-Za-z0-9]{36})" + _E), vouched=True),
    _Rule("npm token", (), _r(r":_authToken=\s*(?P<b>[A-Za-z0-9_-]{36,})"), 20, gates=(":_authToken",)),
    _Rule("PyPI token", ("pypi-",), _r(_B + r"pypi-AgE(?P<b>[A-Za-z0-9_-]{50,})")),
    _Rule("Artifactory token", ("AKCp",), _r(_B + r"AKCp(?P<b>[A-Za-z0-9]{60,80})" + _E), vouched=True),
    _Rule("Artifactory token", ("cmVmdGtu",), _r(_B + r"cmVmdGtu(?P<b>[A-Za-z0-9]{56})" + _E), vouched=True),
    _Rule("SonarQube token", ("sqp_", "squ_", "sqa_"), _r(_B + r"sq[pua]_(?P<b>[A-Za-z0-9]{40})" + _E), 20),
    _Rule(
        "Sourcegraph token",
        ("sgp_",),
        _r(_B + r"sgp_(?:[a-fA-F0-9]{16}_|local_)?(?P<b>[a-fA-F0-9]{40})" + _E),
        vouched=True,
    ),
    _Rule(
        "Sidekiq credentials",
        (),
        _r(r"CONTRIBSYS__COM[\"']?\s*[:=]\s*[\"']?[a-f0-9]{8}:[a-f0-9]{8}", True),
        gates=("CONTRIBSYS__COM", "contribsys__com"),
    ),
    _Rule("Octopus Deploy key", ("API-",), _r(_B + r"API-(?P<b>[A-Z0-9]{26})" + _E), 20),
    _Rule("Infracost token", ("ico-",), _r(_B + r"ico-(?P<b>[A-Za-z0-9]{32})" + _E), 20),
    _Rule("Intra42 secret", ("s-s4t2",), _r(_B + r"s-s4t2(?:ud|af)-[a-f0-9]{64}" + _E)),
    _Rule("Prefect token", ("pnu_",), _r(_B + r"pnu_(?P<b>[A-Za-z0-9]{36})" + _E), vouched=True),
    _Rule("ReadMe token", ("rdme_",), _r(_B + r"rdme_(?P<b>[a-z0-9]{70})" + _E), vouched=True),
    _Rule("Sentry token", ("sntry",), _r(_B + r"sntry[su]_(?P<b>[A-Za-z0-9+/=_]{60,})"), vouched=True),
    _Rule(
        "Grafana token",
        ("glc_", "glsa_"),
        _r(_B + r"gl(?:c_(?P<b>[A-Za-z0-9+/]{32,400}={0,3})|sa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})"),
        vouched=True,
    ),
    _Rule("1Password token", ("ops_eyJ",), _r(_B + r"ops_eyJ(?P<b>[A-Za-z0-9+/]{250,}={0,3})"), vouched=True),
    _Rule(
        "1Password secret key",
        ("A3-",),
        _r(_B + r"A3-(?P<b>[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})(?:-[A-Z0-9]{5}){3})" + _E),
        16,
    ),
    _Rule(
        "age secret key",
        ("AGE-SECRET-KEY-1",),
        _r(r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
        kind=KIND_PRIVATE_KEY,
    ),
    _Rule("Atlassian token", ("ATATT3",), _r(_B + r"ATATT3(?P<b>[A-Za-z0-9_=-]{150,})"), vouched=True),
    _Rule(
        "MaxMind license key",
        (),
        _r(_B + r"(?P<b>[A-Za-z0-9]{6}_[A-Za-z0-9]{29})_mmk" + _E),
        20,
        gates=("_mmk",),
        back=36,
    ),
    _Rule("Notion token", ("ntn_",), _r(_B + r"ntn_[0-9]{11}(?P<b>[A-Za-z0-9]{35,43})" + _E), vouched=True),
    _Rule("Notion token", ("secret_",), _r(_B + r"secret_(?P<b>[A-Za-z0-9]{35,43})" + _E), 20),
    _Rule("OpenShift token", ("sha256~",), _r(r"sha256~(?P<b>[\w-]{43})"), vouched=True),
    _Rule(
        "Shopify token",
        ("shpat_", "shpss_", "shpca_", "shppa_"),
        _r(_B + r"shp(?:at|ss|ca|pa)_(?P<b>[a-fA-F0-9]{32})" + _E),
        vouched=True,
    ),
    _Rule(
        "DigitalOcean token",
        ("doo_v1_", "dop_v1_", "dor_v1_"),
        _r(_B + r"do[opr]_v1_(?P<b>[a-f0-9]{64})" + _E),
        vouched=True,
    ),
    # --- chat, payments, mail
    _Rule(
        "Slack token",
        ("xox", "xapp-"),
        _r(
            _B + r"(?:xox[abposre](?:\.xox[bp])?|xapp)-(?P<b>(?:[0-9]{1,16}-)*[A-Za-z0-9]{6,}(?:-[A-Za-z0-9]+)*)"
            r"(?![\w#*-])",
            True,
        ),
        ci=True,
        check=_slack_ok,
        vouched=True,
    ),
    _Rule(
        "Slack webhook",
        ("hooks.slack.com",),
        _r(r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<b>[A-Za-z0-9_]{6,}/[A-Za-z0-9_/]{12,})", True),
        ci=True,
        vouched=True,
    ),
    _Rule(
        "Discord webhook",
        ("discord",),
        _r(r"discord(?:app)?\.com/api/webhooks/[0-9]{15,20}/(?P<b>[\w-]{40,})", True),
        ci=True,
        vouched=True,
    ),
    _Rule(
        "Discord bot token",
        ("M", "N", "O"),
        _r(_B + r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.(?P<b>[A-Za-z0-9_-]{27,40})" + _E),
        20,
    ),
    _Rule(
        "Telegram bot token",
        (),
        _r(r"(?<![0-9])[0-9]{5,16}:A(?P<b>[A-Za-z0-9_-]{34})" + _E),
        20,
        gates=(":A",),
        back=16,
    ),
    _Rule("Twilio key", ("SK", "AC"), _r(_B + r"(?:SK|AC)(?P<b>[0-9a-fA-F]{32})" + _E), 20),
    _Rule("SendGrid key", ("SG.",), _r(_B + r"SG\.[\w-]{22}\.(?P<b>[\w-]{43})" + _E), vouched=True),
    _Rule(
        "Stripe key",
        ("sk_", "rk_"),
        _r(r"(?<![A-Za-z0-9])[sr]k_(?:live|test|prod)_(?P<b>[A-Za-z0-9]{20,247})" + _E),
        vouched=True,
    ),
    _Rule("Square token", ("sq0",), _r(_B + r"sq0(?:atp|csp|idp)-(?P<b>[\w-]{22,60})" + _E), vouched=True),
    _Rule("Square or Facebook token", ("EAA",), _r(_B + r"EAA[A-Za-z0-9](?P<b>[A-Za-z0-9+=_-]{40,})" + _E), 20),
    _Rule(
        "Facebook access token",
        (),
        _r(r"(?<![0-9])[0-9]{15,16}(?:\||%7C)(?P<b>[0-9A-Za-z_-]{27,40})" + _E),
        20,
        gates=("|", "%7C"),
        back=16,
    ),
    _Rule("Mailchimp key", (), _r(_B + r"(?P<b>[0-9a-f]{32})-us[0-9]{1,2}" + _E), 20, gates=("-us",), back=32),
    _Rule("Mailgun key", ("key-",), _r(_B + r"key-(?P<b>[0-9a-z]{32})" + _E), 20),
    # --- model APIs
    _Rule(
        "Anthropic API key",
        ("sk-ant-",),
        _r(_B + r"sk-ant-[a-z]+[0-9]{2}-(?P<b>[\w-]{20,})" + _E),
        vouched=True,
        check=_anthropic_ok,
    ),
    _Rule(
        "OpenAI API key",
        ("sk-proj-", "sk-svcacct-", "sk-admin-"),
        _r(_B + r"sk-(?:proj|svcacct|admin)-(?P<b>[A-Za-z0-9_-]{20,})" + _E),
        vouched=True,
    ),
    _Rule("OpenAI API key", ("sk-",), _r(_B + r"sk-(?!ant-)(?:None-)?(?P<b>[A-Za-z0-9_-]{20,})" + _E), 20),
    _Rule("Hugging Face token", ("hf_", "api_org_"), _r(_B + r"(?:hf_|api_org_)(?P<b>[A-Za-z0-9]{30,40})" + _E), 30),
    _Rule("Perplexity key", ("pplx-",), _r(_B + r"pplx-(?P<b>[A-Za-z0-9]{48})" + _E), vouched=True),
    _Rule("Groq key", ("gsk_",), _r(_B + r"gsk_(?P<b>[A-Za-z0-9]{52})" + _E), vouched=True),
    _Rule("Replicate token", ("r8_",), _r(_B + r"r8_(?P<b>[A-Za-z0-9]{37})" + _E), vouched=True),
    _Rule("Cohere or other key", ("co-",), _r(_B + r"co-(?P<b>[A-Za-z0-9]{40})" + _E), 30),
)

# Where a token may start: after a character that cannot be part of one, then 16+ token characters.
# One scan finds these runs; only rules whose prefix starts a run (or a piece after "/", "+", "~"
# inside one) are tried, so a message with no candidate costs one regex pass (~40 µs / 2,000 chars).
_RUN_RE: Final = re.compile(r"(?<![A-Za-z0-9_.-])[A-Za-z0-9][A-Za-z0-9_.~+/-]{15,}")
_INNER_START_RE: Final = re.compile(r"(?<=[~+/])[A-Za-z0-9]")


def _dispatch(ci: bool) -> dict[str, tuple[tuple[str, int], ...]]:
    """First character of a prefix -> (prefix, rule index) for the case-(in)sensitive rules."""
    table: dict[str, list[tuple[str, int]]] = {}
    for index, rule in enumerate(_RULES):
        if rule.ci == ci:
            for prefix in rule.starts:
                table.setdefault(prefix[0], []).append((prefix, index))
    return {first: tuple(entries) for first, entries in table.items()}


_BY_FIRST: Final = _dispatch(ci=False)
_BY_FIRST_CI: Final = _dispatch(ci=True)
_GATED: Final = tuple(i for i, rule in enumerate(_RULES) if rule.gates)


def _candidates(text: str, low: str) -> dict[int, set[int]]:
    """Rule index -> positions where its prefix starts a token."""
    found: dict[int, set[int]] = {}
    for run in _RUN_RE.finditer(text):
        starts = [run.start()]
        if "/" in run.group() or "+" in run.group() or "~" in run.group():
            starts += [m.start() for m in _INNER_START_RE.finditer(text, run.start(), run.end())]
        for at in starts:
            for table, source in ((_BY_FIRST, text), (_BY_FIRST_CI, low)):
                for prefix, index in table.get(source[at], ()):
                    if source.startswith(prefix, at):
                        found.setdefault(index, set()).add(at)
    return found


def _gated_matches(text: str) -> Iterator[tuple[_Rule, re.Match[str]]]:
    """Rules with no literal start, tried where their gate literal occurs: the token holding the gate
    starts at most `back` token characters before it."""
    for index in _GATED:
        rule = _RULES[index]
        for gate in rule.gates:
            at = text.find(gate)
            while at != -1:
                m = _gated_match(rule, text, at, len(gate))
                if m is not None:
                    yield rule, m
                at = text.find(gate, at + 1)


def _gated_match(rule: _Rule, text: str, at: int, size: int) -> re.Match[str] | None:
    if rule.window:
        return rule.pattern.search(text, max(0, at - rule.back), at + size + 1)
    lo = at
    while lo > max(0, at - rule.back) and (text[lo - 1].isalnum() or text[lo - 1] in "_~."):
        lo -= 1
    return rule.pattern.match(text, lo)


def _matches(text: str) -> Iterator[tuple[_Rule, re.Match[str]]]:
    for index, positions in _candidates(text, lowered(text)).items():
        rule = _RULES[index]
        for at in sorted(positions):
            m = rule.pattern.match(text, at)
            if m is not None:
                yield rule, m
    yield from _gated_matches(text)


def _body_ok(rule: _Rule, value: str, body: str) -> bool:
    if rule.vouched:
        # A rule with its own check (Slack) tests the random part itself; ids may repeat digits.
        if rule.check is not None:
            return not is_obvious_placeholder(value, filler=False)
        return not is_obvious_placeholder(value, filler=False) and is_plausible_token(body)
    if not rule.min_random:
        # Fixed formats (AKIA…, AGE-SECRET-KEY-1…) vouch for any body but a template.
        return not is_placeholder(value, filler=False)
    if is_placeholder(body) or is_placeholder(value):
        return False
    return not rule.min_random or looks_random(body, min_len=rule.min_random)


def vendor_tokens(text: str) -> Iterator[Hit]:
    """Every vendor credential in *text* whose body passes the rule's test (filler never does)."""
    for rule, m in _matches(text):
        value = m.group()
        body = m.group("b") if "b" in rule.pattern.groupindex and m.group("b") else value
        if not _body_ok(rule, value, body):
            continue
        if rule.check is not None and not rule.check(body):
            continue
        prefix = value[: max(0, len(value) - len(body))][:12] if body is not value else ""
        yield hit(m.start(), m.end(), rule.kind, rule.label, body, prefix)
