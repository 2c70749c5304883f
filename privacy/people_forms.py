"""Names given in a form field or a signature line (fast tier, rules; no NER).

Detected: the value after a label that asks for a person — "Name: Olivia Martinez", "Full name:
GARCIA, Maria", "Patient: J. Smith", "Emergency contact: Kari Nordmann (mother)", "NAME: JOHN
SMITH", "Surname: Nordmann Given names: Kari" (two labels on one line), "Last name: Okafor",
"Cardholder name: DAVID LEE", "Attn: Maria Gomez", "c/o Kari Nordmann", "Fornavn: Kari",
"Nachname: Müller", "Prénom: Amélie" — and an initial and a surname after a sign-off or
"Signed," ("Signed, A. Okafor", "Regards,\\nJ. Smith"). Surname-first forms ("Smith, John",
"de la Cruz, Juan"), initials, particles, titles and all-capital values are accepted; after a label
that can only mean a person's name ("Full Name:", "Surname:") lower case counts too ("mary jane watson").

Deliberately not detected: a lower-case "name:" key (YAML and CI files: "name: build-and-test"),
values that are types, placeholders or states ("Name: String", "Name: N/A", "Patient: Stable",
"Full name: required field"), and labels without a colon except the sign-offs above.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_PERSON_NAME, Hit
from .people_words import FUNCTION_WORDS, NAME_PARTICLES, NOT_A_NAME, NOT_ADDRESSED, TECH_WORDS, TITLES

__all__ = ["form_names"]

# Labels that can only mean a person's name: the value counts in any case.
_NAME_LABELS: Final = (
    r"full[ \t]+name|first[ \t]+name|given[ \t]+names?|forenames?|last[ \t]+name|surname|family[ \t]+name"
    r"|middle[ \t]+names?|maiden[ \t]+name|(?:patient|client|customer|employee|student|contact|applicant|member"
    r"|account[ \t]+holder|card[ \t]*holder|guardian|parent|mother's|father's|spouse's|insured|beneficiary"
    r"|passenger|guest|tenant|owner|driver|caller|person|legal)[ \t]+name|name[ \t]+of[ \t]+(?:insured|patient"
    r"|applicant|employee|account[ \t]+holder|beneficiary)|name[ \t]+on[ \t]+card|fullt[ \t]+navn|fornavn"
    r"|etternavn|mellomnavn|efternavn|förnamn|efternamn|vorname|nachname|familienname|geburtsname|prénom"
    r"|nom[ \t]+de[ \t]+famille|nombre[ \t]+completo|apellidos?|nombre|navn|namn"
)
# Labels whose value is a person when it looks like a name (capitalised).
_PERSON_LABELS: Final = (
    r"name|patient|client|customer|employee|applicant|candidate|student|tenant|landlord|guardian|parent|mother"
    r"|father|spouse|wife|husband|next[ \t]+of[ \t]+kin|emergency[ \t]+contact|contact[ \t]+person|contact"
    r"|beneficiary|insured|policy[ \t]*holder|account[ \t]+holder|card[ \t]*holder|signed[ \t]+by|signature"
    r"|signed|prepared[ \t]+by|requested[ \t]+by|submitted[ \t]+by|reported[ \t]+by|approved[ \t]+by"
    r"|reviewed[ \t]+by|referred[ \t]+by|attending[ \t]+physician|physician|doctor|nurse|caregiver|recipient"
    r"|addressee|witness|passenger|resident|borrower|payee|assignee|reporter|attn|attention|c/o|pasient"
    r"|kunde|ansatt|kontaktperson|pårørende|foresatt|ansprechpartner|unterschrift|nom"
)
_WORD: Final = r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*\.?"
_VALUE: Final = rf"(?P<value>{_WORD}(?:(?:[ \t]+|,[ \t]*){_WORD}){{0,4}})"
# Matched backwards from each colon (a label ends there), then the value forwards from it.
_LABEL_BEFORE_RE: Final = re.compile(
    rf"(?<![\w/-])(?:(?P<strict>{_NAME_LABELS})|{_PERSON_LABELS})[ \t]*(?::|(?<=c/o))$"
)
_LABEL_TAILS: Final = frozenset(
    """name names navn namn forename forenames surname fornavn etternavn mellomnavn efternavn förnamn efternamn
    vorname nachname familienname geburtsname prénom famille completo apellido apellidos nombre nom insured
    patient applicant employee holder cardholder policyholder beneficiary card client customer candidate
    student tenant landlord guardian parent mother father spouse wife husband kin contact person by signature
    signed physician doctor nurse caregiver recipient addressee witness passenger resident borrower payee
    assignee reporter attn attention pasient kunde ansatt kontaktperson pårørende foresatt ansprechpartner
    unterschrift""".split()
)
_VALUE_RE: Final = re.compile(rf"[ \t]*{_VALUE}")
# An initial and a surname closing a line, after a sign-off on that line or the one before.
_INITIALS_RE: Final = re.compile(
    r"(?P<value>[A-Z]\.(?:[ \t]*[A-Z]\.)?[ \t]*[A-Z][^\W\d_]+(?:[-'’][A-Z][^\W\d_]+)?)[ \t]*[.!]?$"
)
_SIGN_CUE_RE: Final = re.compile(r"(?i:signed|sincerely|regards|best|thanks|cheers|yours[ \t]+\w+|-+|—)[ \t]*,?$")
_GATES: Final = (
    "name", "navn", "namn", "nom", "patient", "pasient", "client", "customer", "kunde", "employee", "ansatt",
    "applicant", "candidate", "student", "tenant", "landlord", "guardian", "parent", "mother", "father",
    "spouse", "wife", "husband", "kin", "contact", "kontakt", "beneficiary", "insured", "holder", "signed",
    "signature", "by", "physician", "doctor", "nurse", "caregiver", "recipient", "addressee", "witness",
    "passenger", "resident", "borrower", "payee", "assignee", "reporter", "attn", "attention", "c/o",
    "pårørende", "foresatt", "ansprechpartner", "unterschrift", "apellido", "nombre", "prénom",
)  # fmt: skip
_SIGN_GATES: Final = ("signed", "sincerely", "regards", "best", "thanks", "cheers", "yours", "-", "—")
# Values that fill a name field without being a name: types, placeholders, states.
_NOT_VALUES: Final = (
    NOT_A_NAME
    | NOT_ADDRESSED
    | frozenset(
        """string str int integer number bool boolean text varchar char date datetime float double object array
    list dict map any optional required mandatory null none nil undefined true false default example sample
    test value todo tbd tba n/a na unknown anonymous redacted withheld hidden stable critical pending
    deceased male female other field blank empty same above below see attached self""".split()
    )
)
# Words that end a value: the next label on the same line ("Surname: Nordmann Given names: Kari").
_LABEL_WORDS: Final = frozenset(
    """given first last middle surname family full maiden date dob birth age sex gender phone tel email e-mail
    address id mrn ssn room ward account tel. mobile relationship relation""".split()
)


def _value_words(value: str) -> list[str]:
    kept: list[str] = []
    for raw in re.split(r"[ \t]+|,[ \t]*", value):
        word = raw.strip(",")
        if not word:
            continue
        if word.lower() in _LABEL_WORDS and kept:
            break
        kept.append(word)
    return kept


def _name_part(words: list[str], *, any_case: bool) -> list[str]:
    """The leading name words (initials, particles, titles allowed); [] when the value is no name.

    A placeholder or a lower-case word (unless *any_case*) rejects the value; a function word
    after a name ends it ("Nguyen Van An" keeps "Nguyen Van": the span still covers the name)."""
    names = 0
    kept: list[str] = []
    for word in words:
        bare = word.rstrip(".").lower()
        if bare in NAME_PARTICLES or bare in TITLES or (len(bare) == 1 and word[0].isupper()):
            kept.append(word)
            continue
        if names and bare in FUNCTION_WORDS:
            break
        if bare in _NOT_VALUES or bare in TECH_WORDS or bare in FUNCTION_WORDS or len(bare) < 2:
            return []
        if not (word[0].isupper() or any_case):
            return []
        names += 1
        kept.append(word)
    return kept if names else []


def _span(text: str, start: int, words: list[str]) -> tuple[int, int]:
    end = start
    for word in words:
        end = text.index(word, end) + len(word)
    return start, end


def _hit(text: str, start: int, words: list[str]) -> Hit:
    lo, hi = _span(text, start, words)
    return Hit(lo, hi, KIND_PERSON_NAME, "person's name", " ".join(f"{w[0]}***" for w in words))


def _labelled(text: str, lower: str) -> Iterator[Hit]:
    for m in re.finditer(r":|c/o", lower):
        tail = lower[max(0, m.start() - 24) : m.start()].split()
        if m.group() == ":" and (not tail or tail[-1] not in _LABEL_TAILS):
            continue  # the regex only runs where the word before the colon can end a label
        label = _LABEL_BEFORE_RE.search(lower, max(0, m.start() - 40), m.end())
        value = _VALUE_RE.match(text, m.end())
        if label is None or value is None:
            continue
        # A lower-case bare key is config ("name: build", "contact: ops"), not a form.
        strict = label.group("strict") is not None
        if not strict and not text[label.start()].isupper() and m.group() == ":":
            continue
        words = _value_words(value.group("value"))
        lowercase = all(w.islower() for w in words)
        words = _name_part(words, any_case=strict and (len(words) >= 2 or not lowercase))
        if words:
            yield _hit(text, value.start("value"), words)


def form_names(text: str) -> Iterator[Hit]:
    """Names after a form label or a signature line."""
    lower = text.lower()
    if len(lower) != len(text):
        return  # offsets would shift ("İ")
    if (":" in text or "c/o" in lower) and any(gate in lower for gate in _GATES):
        yield from _labelled(text, lower)
    if "." in text and any(cue in lower for cue in _SIGN_GATES):
        yield from _signed(text)


def _signed(text: str) -> Iterator[Hit]:
    """ "Signed, A. Okafor", "Regards,\\nJ. Smith": checked per line, from its end (lines are few)."""
    start, previous = 0, ""
    for line in text.split("\n"):
        body = line.rstrip()
        m = _INITIALS_RE.search(body, max(0, len(body) - 40)) if "." in body else None
        if m is not None and not (m.start() > 0 and body[m.start() - 1].isalnum()):
            cue = body[: m.start()].strip() or previous
            if _SIGN_CUE_RE.search(cue, max(0, len(cue) - 30)):
                words = m.group("value").replace(".", ". ").split()
                yield _hit(text, start + m.start("value"), words)
        previous, start = body.strip(), start + len(line) + 1
