"""The base of every aggregate: event timestamps from the injectable clock.

Kept apart from the store (`shared.platform.eventstore`) so that domain modules import no
infrastructure.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate

from shared.kernel import clock


class ClockedAggregate(Aggregate):
    """An aggregate whose event timestamps come from the injectable clock."""

    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

    class Created(Event, Aggregate.Created):
        pass
