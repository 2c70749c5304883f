"""People: person names, postal addresses and dates of birth.

Two tiers, as the scanner expects:

* `DETECTORS` (rules, microseconds, any thread): names after a personal cue or a title
  (`people_names`), street addresses and post boxes (`people_address`), dates of birth after a
  birth cue (`people_dob`). They need no model and work whether or not `load()` ran.
* `SLOW_DETECTORS` (spaCy NER, `people_ner`): full names (two or more name words) in prose. Call
  `load()` once, from the thread that will run them; before that they raise, and if the model
  cannot be loaded `load()` raises — the guard then fails closed.

What counts as a name (the lead's policy): any full name, famous or not — public figures are
deliberate false alarms — and a single name only with a personal cue ("my name is Kari", "Dear
Anna", "hilsen Per"). Languages: the cue rules cover English, Norwegian (bokmål/nynorsk), Swedish,
Danish, German, French, Spanish and Dutch; the English NER model also labels most Norwegian and
German full names in running text (tested), but it is an English model: for other languages the
cue rules carry the weight. See each module's docstring for what is deliberately not detected.
"""

from __future__ import annotations

from typing import Final

from . import people_ner
from ._types import Detector
from .people_address import addresses
from .people_dob import dates_of_birth
from .people_forms import form_names
from .people_greetings import greeted_names
from .people_names import cue_names, titled_names

__all__ = ["DETECTORS", "SLOW_DETECTORS", "load"]

#: Rules that cost microseconds: run on every scan.
DETECTORS: Final[tuple[Detector, ...]] = (
    cue_names,
    greeted_names,
    form_names,
    titled_names,
    addresses,
    dates_of_birth,
)
#: The NER model: run only when the plan could involve the cloud, in a worker thread.
SLOW_DETECTORS: Final[tuple[Detector, ...]] = (people_ner.ner_names,)


def load() -> None:
    """Load what the slow detectors need (blocking, ~1 s; call from a worker thread); raises on failure."""
    people_ner.load()
