"""Turn a failure into a short chat message: a view of the one error table (`chat/error_table.py`)."""

from __future__ import annotations

from .error_table import user_text

__all__ = ["user_text"]
