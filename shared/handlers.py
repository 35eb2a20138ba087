"""Binds the tracking consumer to an `eventsourcing` Application through a policy function.

A policy is plain domain code: given an upstream integration event and the application, it
returns the aggregates it changed (or none). This module saves them with the tracking
position in one transaction, off the event loop, because the library is synchronous.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking

from shared.bus import Delivery
from shared.deadletter import DeadLetter
from shared.envelope import IntegrationEvent
from shared.eventstore import ServiceApplication
from shared.threads import run_sync

Policy = Callable[[IntegrationEvent], Sequence[Any]]


class ApplicationHandler:
    def __init__(self, app: ServiceApplication, policy: Policy) -> None:
        self.app = app
        self.policy = policy

    async def is_processed(self, stream: str, position: int) -> bool:
        return await run_sync(self.app.is_processed, Tracking(stream, position))

    async def handle(self, event: IntegrationEvent, stream: str) -> bool:
        def apply() -> bool:
            aggregates = self.policy(event)
            return self.app.save_tracked(Tracking(stream, event.position), *aggregates)

        return await run_sync(apply)

    async def record_dead_letter(self, delivery: Delivery, reason: str) -> None:
        def record() -> None:
            position = delivery.event.position if delivery.event else None
            letter = DeadLetter(
                source=delivery.source,
                stream=delivery.stream,
                position=position,
                reason=reason[:4000],
                raw=delivery.raw.decode("utf-8", "replace")[:100_000],
            )
            if position is None:
                # The same unreadable message may have been dead-lettered before: same id.
                with contextlib.suppress(IntegrityError):
                    self.app.save(letter)
            else:
                self.app.save_tracked(Tracking(delivery.stream, position), letter)

        await run_sync(record)
