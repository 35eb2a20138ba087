"""The base of every aggregate: event timestamps from the injectable clock.

Kept apart from the store (`shared.platform.eventstore`) so that domain modules import no
infrastructure.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from eventsourcing.domain import Aggregate, CanMutateAggregate, DecoratedFuncCaller

from shared.kernel import clock

A = TypeVar("A", bound=type[Aggregate])


class ClockedAggregate(Aggregate):
    """An aggregate whose event timestamps come from the injectable clock."""

    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

    class Created(Event, Aggregate.Created):
        pass


def composed(aggregate: A) -> A:
    """Mark an aggregate assembled from parts (aggregate classes by concept) as their sum.

    `eventsourcing` re-declares, on every subclass, each event class it inherits, as a new
    class the library never triggers or applies. On an aggregate composed of parts that
    would leave `Settlement.ReturnReceived` naming a class no stored event ever has. This
    puts back, under the aggregate's name, the class the library triggers and applies for
    that event (the one it derives from `DecoratedFuncCaller` where `@event` binds it), so
    `Aggregate.EventName` is the class events are triggered and applied as, and a topic
    stored as `module:Aggregate.EventName` (before the aggregate was split into parts)
    resolves to it.
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
            setattr(aggregate, name, applied[0])
    return aggregate
