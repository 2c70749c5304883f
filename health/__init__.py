"""Are they alive: liveness, readiness and (later) metrics routes."""
