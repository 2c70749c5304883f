"""The privacy guard: personal data and secrets in any part of a conversation keep it on the machine.

    normalize   undo disguises (homoglyphs, zero-width characters, entities, foreign digits)
    secrets     vendor keys, tokens, private keys, passwords (detect-secrets plugins + rules)
    identifiers cards, IBANs, bank accounts, national IDs (python-stdnum), phones (phonenumbers),
                e-mail, IP and MAC addresses
    people      names (spaCy NER, the slow tier), postal addresses, dates of birth
    scan        one text → findings
    guard       a conversation → a verdict: cached per message, across message boundaries,
                fail-closed on any detector error or timeout
"""

from ._types import KINDS, Finding, Hit, describe
from .guard import PrivacyGuard, Verdict
from .normalize import normalize
from .scan import has_hit, scan_text

__all__ = ["KINDS", "Finding", "Hit", "PrivacyGuard", "Verdict", "describe", "has_hit", "normalize", "scan_text"]
