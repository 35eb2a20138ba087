"""The base of every aggregate: event timestamps from the injectable clock, in order.

Kept apart from the store (`shared.platform.eventstore`) so that domain modules import no
infrastructure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate, CanMutateAggregate, DecoratedFuncCaller
from eventsourcing.utils import register_topic

from shared.kernel import clock

A = TypeVar("A", bound=type[Aggregate])


class ClockedAggregate(Aggregate):
    """An aggregate whose event timestamps come from the injectable clock and never run
    backward along its stream (ADR 37)."""

    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

    class Created(Event, Aggregate.Created):
        pass

    def now(self) -> datetime:
        """The clock's time, but never before this aggregate's last step.

        A wall clock can be set back (an NTP step, a virtual machine restored, a drill's
        shift undone). A step recorded before the step it follows would read, in the case's
        history, as if it came first; a pause resumed "before" it began would shorten its
        deadline; a replay up to a past moment would see a step without the one before it.
        So the stream's time holds at its last step until the clock passes it. Domain code
        asks the aggregate, not the clock, for "now".
        """
        return max(clock.now(), self.modified_on)

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        if kwargs.get("timestamp") is None:
            kwargs["timestamp"] = self.now()
        super().trigger_event(event_class, **kwargs)


def composed(aggregate: A) -> A:
    """Mark an aggregate assembled from parts (aggregate classes by concept) as their sum.

    Each part declares its events, but they are the aggregate's events: named
    `Settlement.ReturnReceived` in stored topics, audit timelines and metrics, wherever the
    part's module is. `eventsourcing` re-declares, on every subclass, each event class it
    inherits, as a new class it never triggers or applies; this puts back, under the
    aggregate's name, the class the library triggers and applies for that event (the one
    it derives from `DecoratedFuncCaller` where `@event` binds it), and names that class
    after the aggregate, in the aggregate's module. A stored topic
    `module:Aggregate.EventName` therefore resolves to the class that applies the event,
    before and after any move of a part.
    """
    for name, value in list(vars(aggregate).items()):
        if not isinstance(value, type) or not issubclass(value, CanMutateAggregate):
            continue
        if DecoratedFuncCaller in value.__bases__:
            continue  # declared and applied by this very class
        applied = [
            c for c in value.__mro__ if c.__name__ == name and DecoratedFuncCaller in c.__bases__
        ]
        if applied:
            event = applied[0]
            event.__module__ = aggregate.__module__
            event.__qualname__ = f"{aggregate.__qualname__}.{name}"
            setattr(aggregate, name, event)
    return aggregate


def moved_from(module: str, *classes: type) -> None:
    """Keep resolving the topics stored while `classes` (aggregates and their event classes)
    lived in `module`: audit replays and feeds read from the start meet them for good."""
    for moved in classes:
        register_topic(f"{module}:{moved.__qualname__}", moved)
