"""Where a name is likely even when its case or language hides it from the NER model.

Used by the slow tier (`people_ner`); nothing here runs a model.

* `lower_name_spans`: two or three lower-case words right after a cue that takes a person ("call
  ngozi okafor about", "a note to amira aziz,", "skriv en melding til layla aziz om"). The caller
  title-cases them and lets the model judge: "call tech support about" or "message the team" read
  as no PERSON once capitalised, so the cue alone never makes a name. Only short runs that end at
  a function word, punctuation or the end count: "with great power comes" is prose.
* `after_person_cue`: whether a capitalised run follows a cue that takes a person ("til Diego
  Iglesias om", "with Kari Nordmann"). The caller accepts such a run when the model has no entity
  at all for it — a known place or organisation ("to New York", "fra Statens vegvesen") gets one.
* `is_place_span`: a span ending in a geographic word ("Victoria Falls", "Main Street") or right
  after a travel phrase ("flying to Lake Placid") is a place, not a person.

Deliberately not detected: a lower-case full name with no cue ("jane doe called"), and a single
lower-case word after a cue ("call mamma"): without a name list both look like prose.
"""

from __future__ import annotations

import re
from typing import Final

from .people_words import FUNCTION_WORDS, NOT_A_NAME, TECH_WORDS

__all__ = ["after_person_cue", "is_cue_word", "is_place_span", "lower_name_spans", "title_cased"]

# Cues that take a person. Bare "to"/"for"/"til" would make every "to bake bread" a candidate,
# so in lower case the cue must be a verb of contact or a noun of address ("note to", "melding til").
_LOWER_CUES: Final = (
    r"call|ring|phone|text|txt|message|msg|email|e-mail|mail|meet|meeting\s+with|met|invite|invited|ask|asked"
    r"|tell|told|thank|remind|cc|pay|paid|visit|visiting|hug|marry|married|dating|date"
    r"|(?:write|wrote|note|letter|card|message|email|e-mail|mail|reply|replied|talk|talked|speak|spoke|say|said"
    r"|send|sent|sms|introduce\s+me|gift|present|speech|toast|invitation|thanks|apology|hi|hello)\s+to"
    r"|(?:meet|met|meeting|talk|talked|speak|spoke|chat|chatted|lunch|dinner|coffee|call|date|appointment)\s+with"
    r"|ringe|ring|spør|spørre|møte|møtt|treffe|traff|hils\s+på|kjære|hilsen|takk\s+til"
    r"|(?:melding|sms|e-post|epost|mail|brev|kort|hilsen|tale|gave|beskjed|svar|skriv|send)\s+til"
    r"|(?:møte|snakket|snakke|prate|pratet|lunsj|middag|kaffe|avtale)\s+med"
    r"|anrufen|frag|fragen|treffen|(?:schreib|schreiben|nachricht|brief|mail|e-mail)\s+an"
    r"|(?:treffen|termin|gespräch)\s+mit|appeler|appelle|(?:écrire|message|lettre|mail)\s+à"
    r"|(?:rendez-vous|réunion)\s+avec|llamar|llama|(?:escribir|escribe|mensaje|correo|carta)\s+a"
    r"|(?:reunión|cita)\s+con|(?:ring|skriv|skriva|meddelande|mejl|brev)\s+till|(?:möte|träffa)\s+med"
)
# Capitalised runs may follow plainer prepositions: the model then vetoes places and firms.
# "for"/"für"/"pour"/"by" are left out: "for Product Hunt", "by Design" are rarely people.
_CAP_CUES: Final = rf"{_LOWER_CUES}|to|from|with|til|fra|med|hos|an|mit|bei|à|avec|chez|con|till|från"
_LETTER: Final = r"[^\W\d_]"
_LOWER_WORD: Final = rf"{_LETTER}(?:{_LETTER}|['’-]{_LETTER})+"
# "met with", "write to", "ringe til": a preposition may sit between the cue and the name.
_PREPOSITION: Final = r"(?:with|to|til|med|an|mit|à|avec|a|con|till)[ \t]+"
# The run sits in a look-ahead so that a cue inside it ("remind me to call kari") is tried too.
_LOWER_RE: Final = re.compile(
    rf"(?<![\w'’-])(?:{_LOWER_CUES})[ \t]+(?:{_PREPOSITION})?"
    rf"(?=(?P<run>{_LOWER_WORD}(?:[ \t]+{_LOWER_WORD}){{1,3}}))"
)
_CAP_CUE_RE: Final = re.compile(rf"(?<![\w'’-])(?:{_CAP_CUES}),?[ \t]+$")
_OPENING_CUE_RE: Final = re.compile(rf"(?:{_LOWER_CUES})")
# Anchors that gate the lower-case regex: a message without any is not scanned.
_LOWER_GATES: Final = (
    "call", "ring", "phone", "text", "txt", "mes", "msg", "mail", "meet", "met", "invit", "ask", "tell", "told",
    "thank", "remind", "cc ", "visit", "marr", " to ", "with", "spør", "møt", "tref", "traf",
    "hils", "kjære", "til", "med", "anruf", "frag", " an ", " mit ", "appel", " à ", "avec", "llam", " a ",
    " con ", "till",
)  # fmt: skip
# Words that end a lower-case run without being in FUNCTION_WORDS: time words, Romance/Scandinavian
# function words ("om", "que", "pour").
_RUN_STOPS: Final = frozenset(
    """om at så når fordi siden etter før i dag morgen kveld går nå snart igjen og eller men
    today tomorrow tonight yesterday later soon again asap now about regarding re next last week weekend
    month year morning evening afternoon neste forrige uke helg måned
    que qui pour sur avec et ou mais demain aujourd'hui para sobre con y o pero mañana hoy
    dass über und oder aber morgen heute att och eller men imorgon idag""".split()
)
_NOT_LOWER_NAME: Final = NOT_A_NAME | TECH_WORDS | _RUN_STOPS

_PLACE_WORDS: Final = frozenset(
    """falls lake lakes river mountain mountains bay street st road rd avenue ave boulevard
    valley canyon island islands isles beach coast bridge square gardens harbour harbor port fjord fjorden
    peninsula desert forest glacier national airport station plaza highway heights springs
    sea ocean gulf strait cape county province region district city town village
    gate gata veien vei vegen plass torget fjell dal øya""".split()
)
_TRAVEL_RE: Final = re.compile(
    r"(?:fly|flying|flew|travel|travelling|traveling|trip|holiday|holidays|vacation|moving|move|moved|drive"
    r"|driving|tour|flights?|hotels?|reiser|reise|flyr|flytter|tur|ferie)"
    r"(?:[ \t]+(?:to|in|at|around|til|i|på|nach|à|en|a))?[ \t]+$"
)


def title_cased(text: str, spans: list[tuple[int, int]]) -> str:
    """*text* with each word in *spans* capitalised; offsets unchanged."""
    chars = list(text)
    for start, end in spans:
        for m in re.finditer(r"\S+", text[start:end]):
            first = text[start + m.start()].upper()
            if len(first) == 1:  # "ß".upper() is "SS": leave such a word alone
                chars[start + m.start()] = first
    return "".join(chars)


def lower_name_spans(text: str, lower: str) -> list[tuple[int, int]]:
    """Two or three lower-case words after a person-taking cue, as (start, end) spans of *text*."""
    if not any(gate in lower for gate in _LOWER_GATES):
        return []
    spans: list[tuple[int, int]] = []
    for m in _LOWER_RE.finditer(lower):
        run_start = m.start("run")
        words = [(w.start() + run_start, w.group()) for w in re.finditer(r"\S+", m.group("run"))]
        kept: list[tuple[int, str]] = []
        for at, word in words:
            if word in _NOT_LOWER_NAME or word in FUNCTION_WORDS:
                break
            kept.append((at, word))
        if not 2 <= len(kept) <= 3:
            continue  # one word is "call mamma"; four in a row are prose
        end = kept[-1][0] + len(kept[-1][1])
        if text[run_start:end].islower():  # capitalised runs are the plain NER path's job
            spans.append((run_start, end))
    return spans


def after_person_cue(lower: str, start: int) -> bool:
    """Whether the text just before *start* ends with a cue that takes a person."""
    return _CAP_CUE_RE.search(lower, max(0, start - 40), start) is not None


def is_cue_word(word: str) -> bool:
    """Whether *word* alone is a contact cue ("Meet" opening "Meet Jane Doe at the station").

    Prepositions do not count here: "From Hugging Face docs" opens with a preposition and a brand."""
    return _OPENING_CUE_RE.fullmatch(word.lower()) is not None


def is_place_span(text: str, lower: str, start: int, end: int) -> bool:
    """ "Victoria Falls", "Main Street", or a span right after "flying to" / "reiser til"."""
    words = lower[start:end].split()
    if words and words[-1].strip(".,;:!?") in _PLACE_WORDS:
        return True
    return _TRAVEL_RE.search(lower, max(0, start - 30), start) is not None
