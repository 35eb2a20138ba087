"""Who did it and why: metadata every domain event carries, for audit and for tracing.

Every command method of every aggregate takes a `meta` argument, stored inside the event.
It holds the case number (so any stored event can be found by case, in every service), the
acting identity and role, the correlation id shared by one complaint's whole flow, and the
integration event that caused it (for policies run by consumers).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Protocol
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

Meta = dict[str, Any]

#: The correlation id of the request or event in hand; logs carry it, new flows start from it.
current_correlation: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class Actor(BaseModel):
    """Who caused the event, and in what role; `system` for automated policies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=50)


SYSTEM_ACTOR = Actor(id="system", role="system")


def command_meta(actor: Actor, correlation_id: UUID | None = None) -> Meta:
    """Meta for a command arriving over HTTP.

    The flow continues the request's `X-Correlation-ID` when it is a UUID, else starts anew.
    """
    return {
        "case_number": None,
        "actor": actor.model_dump(),
        "correlation_id": str(correlation_id or _request_correlation() or uuid4()),
        "causation_id": None,
    }


def _request_correlation() -> UUID | None:
    try:
        return UUID(current_correlation.get() or "")
    except ValueError:
        return None


class Cause(Protocol):
    """What an effect is caused by: an upstream integration event (`shared.contracts.envelope`),
    named here by the fields meta takes from it, so the kernel imports no contract."""

    @property
    def case_number(self) -> str: ...
    @property
    def correlation_id(self) -> UUID: ...
    @property
    def event_id(self) -> UUID: ...


def caused_by(event: Cause, actor: Actor = SYSTEM_ACTOR) -> Meta:
    """Meta for an effect of an upstream integration event (a policy in a consumer)."""
    return {
        "case_number": event.case_number,
        "actor": actor.model_dump(),
        "correlation_id": str(event.correlation_id),
        "causation_id": str(event.event_id),
    }


def for_case(meta: Meta, case_number: str) -> Meta:
    """The same meta, bound to a case."""
    return {**meta, "case_number": case_number}
