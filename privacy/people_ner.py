"""Full person names in prose, found by spaCy's English NER model (the slow tier).

What counts (the lead's policy): a PERSON entity with at least two name words — "Kari Nordmann",
"John Smith", "Richard M. Nixon", "JOHN SMITH" — famous or not; public figures are deliberate false
alarms because a rule cannot tell public from private. Single-word PERSON entities are dropped
(the model labels "Docker" and "Jeg" PERSON); single names count only after a cue, which the fast
rules in `people_names` handle without the model.

Speed: the model costs ~35 ms for a whole 2,000-character message on a 2-core machine, too much
for the guard's 50 ms p99 budget once the rest of the turn is added. So the model only reads short
windows around runs of two or more capitalised words (a full name is such a run); spaCy's NER sees
only about four tokens either side of a word, so a window of a few words each side gives it the
same evidence as the whole message. Prose without such runs costs no model time at all.

The small model often labels an unfamiliar full name ORG ("Haruto Sato") or cuts it to one PERSON
word ("Summarise" + "Hamdan"): a two- or three-word ORG span of plain capitalised words with no
organisation word (Inc, Bank, University, ...) counts, and a one-word entity is widened to the
capitalised words beside it before the two-word test.

After a cue that takes a person (`people_cues`): two or three lower-case words ("call ngozi
okafor about") are title-cased before the model reads them and count only as a PERSON; a
capitalised 2-3-word run ("til Diego Iglesias om") counts when the model labels it nothing (or
FAC/PRODUCT/WORK_OF_ART), since it does label the places and firms such cues also take. Spans
ending in a geographic word ("Victoria Falls") or right after a travel phrase are places.

Not detected: names written in lower case without a cue ("jane doe called"), a lower-case name the
model does not read as PERSON even title-cased, and spans the model labels something other than
PERSON elsewhere. Spans holding a tool or product word ("Apache Kafka", "Terraform Cloud") are dropped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from ._types import KIND_PERSON_NAME, Hit
from .model_files import MODEL_PACKAGE, model_dir
from .people_cues import after_person_cue, is_cue_word, is_place_span, lower_name_spans, title_cased
from .people_names import lowered, mask_name
from .people_words import FUNCTION_WORDS, NAME_PARTICLES, TECH_WORDS

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["MODEL", "candidate_windows", "is_loaded", "load", "ner_names"]

MODEL: Final = MODEL_PACKAGE
# Everything but the NER component: en_core_web_sm's NER carries its own tok2vec.
_EXCLUDE: Final = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
_UPPER: Final = "".join(ch for ch in map(chr, range(0x41, 0x530)) if ch.isupper() and ch.isalpha())
_CAP: Final = rf"[{re.escape(_UPPER)}][\w'’-]*"
# A run of capitalised words (initials "M." and particles "van", "de" may sit inside).
_RUN_RE: Final = re.compile(
    rf"(?<![\w-]){_CAP}(?:[ \t]+(?:[{re.escape(_UPPER)}]\.|(?:{'|'.join(sorted(NAME_PARTICLES))})(?=[ \t])"
    rf"|{_CAP}))+"
)
_CONTEXT: Final = 40  # characters either side of a run: ~6 words, more than the model looks at
_WHOLE_TEXT: Final = 0.7  # when windows would cover this share of the text, read it whole
_NOT_NAME: Final = FUNCTION_WORDS - {"may", "will"}  # "Dan May", "Will Smith"
_BREAKS: Final = _NOT_NAME | frozenset("monday tuesday wednesday thursday friday saturday sunday".split())

# Words that make a capitalised ORG span an organisation rather than a mislabelled name.
_ORG_WORDS: Final = frozenset(
    """inc corp corporation ltd llc plc gmbh ag as asa ab oy sa bv co company group holding holdings bank
    university college school institute academy hospital clinic council ministry department agency authority
    association foundation society committee commission union party club team league news times post journal
    press media airlines airways air railways energy capital partners consulting solutions systems technologies
    labs software international global national federal royal united county city state church museum library
    center centre fund trust insurance motors foods pharma health care services store shop hotel restaurant
    kommune fylke universitet sykehus departement direktoratet stiftelse forening""".split()
)

# Departments the model labels PERSON ("Send it to Customer Support"): never part of a name.
_DEPARTMENTS: Final = frozenset(
    "support helpdesk desk resources kundeservice kundesenter kundestøtte service success relations "
    "operations marketing sales management accounting payroll reception recursos".split()
)
# Labels the model gives names it does not know in a non-English sentence ("til Tomasz Nowak" FAC);
# places (GPE, LOC), firms (ORG), dates and events are a veto.
_UNSURE: Final = frozenset({"FAC", "PRODUCT", "WORK_OF_ART"})

_lock = threading.Lock()
_nlp: Language | None = None


def load() -> None:
    """Load the model (blocking, ~1 s). Raises when spaCy or the model cannot be loaded."""
    global _nlp
    with _lock:
        if _nlp is not None:
            return
        import spacy  # imported here: importing spaCy alone costs ~0.6 s

        # From its verified directory (hashes pinned in model_files), never by importing the package.
        nlp = spacy.load(model_dir(), exclude=list(_EXCLUDE))
        if "ner" not in nlp.pipe_names:
            raise RuntimeError(f"{MODEL} has no NER component")
        nlp("Warm up with Kari Nordmann.")  # the first call allocates; keep that out of a turn
        _nlp = nlp


def is_loaded() -> bool:
    return _nlp is not None


def _name_word(token: str) -> bool:
    word = token.strip(".,;:!?()[]\"'")
    letters = word.replace("-", "").replace("'", "").replace("’", "")
    return len(word) >= 2 and letters.isalpha() and word[0].isupper() and word.lower() not in _NOT_NAME


def _run_is_candidate(run: str) -> bool:
    """Whether the run holds two name words in a row (particles and initials may sit between).

    A tool word or a function word breaks the row: "Visual Studio Code", "In March" and "Is It"
    cannot hold a full name that `_person_hit` would keep, so the model need not read them.
    """
    in_row = 0
    for word in run.split():
        lower = word.strip(".,;:!?()'\"").lower()
        if lower in NAME_PARTICLES or (len(word) == 2 and word[1] == "."):
            continue
        if lower in TECH_WORDS or lower in _BREAKS or not _name_word(word):
            in_row = 0
            continue
        in_row += 1
        if in_row >= 2:
            return True
    return False


def candidate_windows(text: str) -> list[tuple[int, int]]:
    """Spans of *text* worth showing the model: runs of 2+ capitalised words, with context."""
    spans: list[tuple[int, int]] = []
    for m in _RUN_RE.finditer(text):
        if not _run_is_candidate(m.group()):
            continue
        start, end = max(0, m.start() - _CONTEXT), min(len(text), m.end() + _CONTEXT)
        # Snap outward to whitespace so no word is cut, but stay on the run's line.
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        start, end = max(start, line_start), min(end, len(text) if line_end == -1 else line_end)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _person_hit(text: str, start: int, end: int) -> Hit | None:
    """A PERSON span counts when it holds 2+ name words and no tool/product or department word."""
    words = text[start:end].split()
    if any(w.strip(".,;:!?()'\"").lower() in TECH_WORDS | _DEPARTMENTS for w in words):
        return None
    names = [w for w in words if _name_word(w)]
    if not all(w.isupper() for w in names):
        names = [w for w in names if not w.isupper()]  # "UDP Listener": an acronym beside a word
    initials = [w for w in words if len(w) == 2 and w[0].isupper() and w[1] == "."]
    if len(names) < 2 and not (names and initials):
        return None
    return Hit(start, end, KIND_PERSON_NAME, "person's name", mask_name(" ".join(names)))


def _grown(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to the capitalised words right next to it on the same line ("Layla" + "Hamdan")."""
    m = _RUN_RE.search(text, max(0, start - 48), min(len(text), end + 48))
    while m is not None and m.end() <= start:
        m = _RUN_RE.search(text, m.end(), min(len(text), end + 48))
    if m is None or m.start() > start:
        return start, end
    return min(start, m.start()), max(end, m.end())


def _org_as_person(text: str, start: int, end: int) -> Hit | None:
    """The small model often labels unfamiliar full names ORG ("Haruto Sato", "Connor Pritchard"):
    a two- or three-word ORG span of plain capitalised words with no organisation word counts."""
    words = text[start:end].split()
    if not 2 <= len(words) <= 3 or any(w.strip(".,").lower() in _ORG_WORDS for w in words):
        return None
    if not all(_name_word(w) and not w.isupper() for w in words):
        return None
    return _person_hit(text, start, end)


def ner_names(text: str) -> Iterator[Hit]:
    """Full names the model labels PERSON, read only in windows that could hold one."""
    nlp = _nlp
    if nlp is None:
        raise RuntimeError("privacy.people: load() was not called before the name detector")
    lower = lowered(text)
    # Lower-case words after a person cue ("call ngozi okafor") are title-cased for the model; the
    # windows are then found in the cased text, so each character is read once.
    lowers = lower_name_spans(text, lower)
    cased = title_cased(text, lowers) if lowers else text
    windows = candidate_windows(cased)
    if not windows:
        return
    if sum(e - s for s, e in windows) > _WHOLE_TEXT * len(text):
        windows = [(0, len(text))]
    for (offset, end), doc in zip(windows, nlp.pipe(cased[s:e] for s, e in windows), strict=True):
        spans = [(offset + ent.start_char, offset + ent.end_char, ent.label_) for ent in doc.ents]
        yield from _entity_hits(cased, lower, spans, lowers)
        yield from _unlabelled_cued_runs(cased, lower, offset, end, spans, lowers)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _entity_hits(
    text: str, lower: str, spans: list[tuple[int, int, str]], lowers: list[tuple[int, int]]
) -> Iterator[Hit]:
    for start, end, label in spans:
        if _overlaps(start, end, lowers):
            hit = _lower_case_hit(text, start, end, label, lowers)
        elif label == "PERSON":
            # A one-word PERSON inside a run of name words is a full name the model cut short.
            hit = _person_hit(text, start, end) or _person_hit(text, *_grown(text, start, end))
        elif label == "ORG":
            hit = _org_as_person(text, start, end) or _org_as_person(text, *_grown(text, start, end))
        else:
            continue
        if hit is not None and not is_place_span(text, lower, hit.start, hit.end):
            yield hit


def _lower_case_hit(text: str, start: int, end: int, label: str, lowers: list[tuple[int, int]]) -> Hit | None:
    """An entity over words that were lower case: only a PERSON over two of them counts, so
    "call Tech Support" (ORG) or "meet with Product Management" stay prose."""
    if label != "PERSON":
        return None
    for low, high in lowers:
        lo, hi = max(start, low), min(end, high)
        if lo < hi:
            return _person_hit(text, lo, hi)
    return None


def _unlabelled_cued_runs(
    text: str, lower: str, start: int, end: int, spans: list[tuple[int, int, str]], lowers: list[tuple[int, int]]
) -> Iterator[Hit]:
    """A 2-3-word capitalised run right after a cue that takes a person ("til Diego Iglesias om")
    that the model labels nothing at all: in a non-English sentence the English model often sees
    no entity in a full name, while it does label the places and firms that follow such cues."""
    for m in _RUN_RE.finditer(text, start, end):
        lo, hi = m.start(), m.end()
        first = m.group().split()[0]
        if is_cue_word(first):  # "Meet Jane Doe at ...": the cue opens the sentence, capitalised
            lo = text.index(" ", lo, hi) + 1 if " " in m.group() else hi
            lo += len(text[lo:hi]) - len(text[lo:hi].lstrip())
        elif not after_person_cue(lower, lo):
            continue
        if not 2 <= len(text[lo:hi].split()) <= 3 or _overlaps(lo, hi, lowers) or is_place_span(text, lower, lo, hi):
            continue  # title-cased lower-case words need the model's PERSON, not its silence
        if any(s < hi and lo < e for s, e, label in spans if label not in _UNSURE):
            continue
        hit = _org_as_person(text, lo, hi)  # plain name words, no firm or tool word
        if hit is not None:
            yield hit
