"""What the HTTP edge hands to the one command a request runs.

A dependency of the route serves it (the request's Idempotency-Key, its If-Match); the
command takes it once, inside its retry, the way the correlation id travels: a context
variable, so each request sees only its own, and taking it leaves nothing for a second
command of the same request to act on.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")


class Handoff(Generic[T]):
    def __init__(self, name: str) -> None:
        self._current: ContextVar[T | None] = ContextVar(name, default=None)

    def serve(self, value: T | None) -> None:
        """What the request now being served carries (None: nothing)."""
        self._current.set(value)

    def take(self) -> T | None:
        """What the request carries, taken once, by its one command."""
        value = self._current.get()
        self._current.set(None)
        return value
