"""Binds the tracking consumer to an `eventsourcing` Application through a policy function.

A policy is plain domain code: given an upstream integration event and the application, it
returns the aggregates it changed (or none). This module saves them with the tracking
position in one transaction, off the event loop, because the library is synchronous.

A page of events is saved in as few transactions as its events allow: consecutive events
about distinct cases whose effects touch distinct aggregates go into one save, with the last
one's position. The run is cut before an event about a case already in it, because that
event's policy must see what the earlier one changed (a policy reads the store, which holds
nothing of the run until it is saved); it is cut too before an event whose effect touches an
aggregate of the run (a document sequence shared by cases), for the same reason. An event
of a type the policy does not react to joins any run: it changes and reads nothing.

A run of only such events is not saved at all. Kafka delivers a topic whole, and intake
reacts to one of the nine events routing publishes in a usual case: a transaction for each
run of the others would record only that they were read, which the committed offsets
already say; delivered again, they change nothing again. (A feed does not send them: the
follower names the types it reacts to.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import get_topic

from shared.contracts.envelope import IntegrationEvent
from shared.kernel.errors import Conflict, NotFound
from shared.kernel.meta import SYSTEM_ACTOR, caused_by
from shared.platform.bus import Delivery
from shared.platform.consumer import unseen
from shared.platform.deadletter import DeadLetter, redrivable
from shared.platform.eventstore import ServiceApplication
from shared.platform.threads import run_sync

Policy = Callable[[IntegrationEvent], Sequence[Any]]


class ApplicationHandler:
    def __init__(self, app: ServiceApplication, policy: Policy) -> None:
        self.app = app
        self.policy = policy

    async def is_processed(self, stream: str, position: int) -> bool:
        return await run_sync(self.app.is_processed, Tracking(stream, position))

    async def record_position(self, stream: str, position: int) -> None:
        """Everything up to `position` of `stream` counts as consumed (a transport switch,
        a feed's skipped types). Recorded already (another replica passed it too): kept."""

        def track() -> None:
            with contextlib.suppress(IntegrityError):
                self.app.track(stream, position)

        await run_sync(track)

    async def handle(self, event: IntegrationEvent, stream: str) -> bool:
        def apply() -> bool:
            aggregates = self.policy(event)
            return self.app.save_tracked(Tracking(stream, event.position), *aggregates)

        return await run_sync(apply)

    async def handle_page(self, events: Sequence[IntegrationEvent], stream: str) -> int:
        def apply() -> int:
            fresh = unseen(events, self.app.tracked_position(stream))
            applied = 0
            while applied < len(fresh):
                taken, aggregates = self._run(fresh[applied:])
                applied += len(taken)
                if all(self._ignores(event) for event in taken):
                    continue  # unheeded: no effects, nothing to record (module docstring)
                last = Tracking(stream, taken[-1].position)
                if not self.app.save_tracked(last, *aggregates):
                    raise Conflict(f"{stream} moved past {last.notification_id} meanwhile")
            return applied

        return await run_sync(apply)

    def _run(self, events: Sequence[IntegrationEvent]) -> tuple[list[IntegrationEvent], list[Any]]:
        """The longest run from the first event that can be saved at once, and its effects."""
        cases: set[str] = set()
        changed: dict[UUID, Any] = {}
        taken: list[IntegrationEvent] = []
        for event in events:
            if self._ignores(event):
                taken.append(event)  # changes nothing and reads nothing: never cuts the run
                continue
            if event.case_number in cases:
                break
            effects = {aggregate.id: aggregate for aggregate in self.policy(event)}
            if taken and not changed.keys().isdisjoint(effects):
                break
            taken.append(event)
            cases.add(event.case_number)
            changed.update(effects)
        return taken, list(changed.values())

    @property
    def reacts_to(self) -> frozenset[str] | None:
        """The event types the policy reacts to; None when it does not say (it is asked
        about each event). A feed sends a follower only these."""
        return getattr(self.policy, "types", None)  # a `Reactions` says

    def _ignores(self, event: IntegrationEvent) -> bool:
        """Whether the policy has no reaction to the event's type. A service follows every
        event of a log but reacts to few (intake to one of the nine routing publishes in a
        usual case), and each unheeded event about a case would otherwise cost a transaction
        (Kafka delivers a topic whole; a feed sends only `reacts_to`)."""
        return self.reacts_to is not None and event.type not in self.reacts_to

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

    async def dead_letters(self, after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Dead letters in the order they were recorded; `after` is a log position."""

        def read() -> tuple[list[dict[str, Any]], int]:
            notifications = self.app.recorder.select_notifications(
                start=after,
                limit=limit,
                topics=[get_topic(DeadLetter.Recorded)],
                inclusive_of_start=False,
            )
            letters: list[dict[str, Any]] = [
                self.app.repository.get(n.originator_id).summary() for n in notifications
            ]
            return letters, notifications[-1].id if notifications else after

        return await run_sync(read)

    async def redrive(self, letter_id: UUID) -> dict[str, Any]:
        """Apply the policy to the stored message now; the letter is marked in the same save
        (with the answer, when the request carries an Idempotency-Key)."""

        def load() -> DeadLetter:
            try:
                return self.app.repository.get(letter_id)
            except AggregateNotFoundError:
                raise NotFound(f"no dead letter {letter_id}") from None

        def apply(letter: DeadLetter) -> list[Any]:
            event = redrivable(letter.raw)
            try:
                aggregates = self.policy(event)
            except Exception as error:
                raise Conflict(
                    f"re-drive failed again: {type(error).__name__}: {error}; fix the cause first",
                    field="dead_letter",
                    rule="still_failing",
                ) from None
            letter.redrive(caused_by(event, SYSTEM_ACTOR))
            return list(aggregates)

        letter = await run_sync(self.app.change_retrying, load, apply)
        return letter.summary()
