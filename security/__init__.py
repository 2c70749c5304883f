"""HTTP-level protection: who may reach which route, with which Host, how big a body, which headers.

- `security.masking`: credentials inside URLs masked (`safe_url`, `scrub`), for logs, pages, errors.
- `security.settings`: `ALLOWED_HOSTS`, `MAX_REQUEST_BYTES`, `FRAME_ANCESTORS`, `GATEWAY_KEYLESS`,
  `METRICS_ALLOWED`, `METRICS_TOKEN`, read once at start-up like `config.load_settings`.
- `security.policy`: pure decisions (is this Host ours, is this caller local, the page's CSP).
- `security.middleware`: the one ASGI middleware `server.install_security` puts in front of
  everything, socket.io included.

Only `masking` is imported here: `config` uses it, and the others import `config`.
"""

from .masking import MASK, safe_url, scrub

__all__ = ["MASK", "safe_url", "scrub"]
