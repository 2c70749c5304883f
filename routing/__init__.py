"""Who answers: the router is itself a provider and attaches a decision record to what it streams."""

from .decision import Attempt, Decision
from .router import Router

__all__ = ["Attempt", "Decision", "Router"]
