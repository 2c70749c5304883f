"""Secrets: vendor credentials, private keys, JWTs, passwords and keyword-named secrets.

What is detected (each family lives in its own module; see their docstrings for details):

* `secrets_vendors`: keys and tokens with their own format — AWS, GCP, Azure (AD client secrets,
  storage keys), GitHub, GitLab, Slack (tokens and webhooks), Discord, Telegram, Twilio,
  SendGrid, Stripe, Square, Mailchimp, OpenAI, Anthropic, Hugging Face, npm, PyPI, Artifactory
  and some forty more, after detect-secrets' plugins and gitleaks' rules;
* `secrets_blocks`: private keys (any header casing, PuTTY, or a bare PEM/DER body), JWTs,
  ``scheme://user:password@host`` URLs;
* `secrets_keywords`: ``password = …``/``api_key: …``-style assignments in any config or code
  syntax, ``curl -u user:pw``, credential headers, bare ``Bearer`` tokens, AWS secret keys after
  "aws"/"secret";
* `secrets_prose`: passwords and PINs stated in English or Norwegian sentences;
* `secrets_nearby`: a password-shaped token within a sentence or two after a password/login cue.

What deliberately is not: high-entropy strings with no keyword and no known format (hashes,
git SHAs, UUIDs, base64 of ordinary data, lockfile integrity hashes are not secrets on their
own), documented placeholders (``AKIAIOSFODNN7EXAMPLE``, ``<your-key>``, ``${SECRET}``,
``xxxx``), references (``os.environ["X"]``, ``get_token()``) and type annotations
(``password: str``), and sentences about passwords that do not contain one.

Every detector receives normalised text (see :mod:`privacy.normalize`) and gates its regexes
behind cheap substring tests, so a message with nothing secret-looking costs a few microseconds.
"""

from __future__ import annotations

from typing import Final

from ._types import Detector
from .secrets_blocks import connection_strings, jwts, private_keys
from .secrets_keywords import assignments, aws_secret_keys, cli_and_headers
from .secrets_nearby import nearby_passwords
from .secrets_prose import prose_passwords
from .secrets_vendors import vendor_tokens

__all__ = ["DETECTORS"]

#: Most decisive first: `has_hit` stops at the first detector that yields.
DETECTORS: Final[tuple[Detector, ...]] = (
    private_keys,
    jwts,
    vendor_tokens,
    connection_strings,
    cli_and_headers,
    assignments,
    aws_secret_keys,
    prose_passwords,
    nearby_passwords,
)
