"""One message about one upstream event to one recipient over one channel, and its
retry backoff."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from services.notifications.domain.codes import PENDING, Audience, Channel, Status
from shared.kernel import clock
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Conflict
from shared.kernel.meta import Meta


@dataclass(frozen=True)
class Backoff:
    """Retries: exponential from `first`, capped at `longest`, with jitter, for `window`.

    The jitter ("equal jitter": half the delay fixed, half random) spreads the retries of
    many deliveries that failed together, so a receiver coming back is not stampeded.
    """

    first: timedelta
    longest: timedelta
    window: timedelta

    def delay(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        full = min(self.longest, self.first * (2 ** min(attempt - 1, 30)))
        half = full / 2
        return half + half * (rng or random).random()


class Delivery(ClockedAggregate):
    @staticmethod
    def create_id(event_id: str, channel: str, recipient: str, **_: Any) -> UUID:
        return aggregate_id("notifications.delivery", f"{event_id}/{channel}/{recipient}")

    class Queued(ClockedAggregate.Created):
        event_id: str
        event_type: str
        channel: str
        audience: str
        recipient: str
        content: dict[str, Any]
        not_before: datetime
        give_up_at: datetime
        meta: Meta

    @event(Queued)
    def __init__(
        self,
        event_id: str,
        event_type: str,
        channel: str,
        audience: str,
        recipient: str,
        content: dict[str, Any],
        not_before: datetime,
        give_up_at: datetime,
        meta: Meta,
    ) -> None:
        self.event_id = event_id
        self.event_type = event_type
        self.channel = Channel(channel)
        self.audience = Audience(audience)
        self.recipient = recipient
        self.content = content
        self.case_number: str = meta["case_number"]
        #: The flow this delivery belongs to; its outcomes are recorded in the same flow.
        self.correlation_id: str = meta["correlation_id"]
        self.status = Status.queued
        self.due_at: datetime | None = not_before
        self.give_up_at = give_up_at
        self.attempts = 0
        self.last_status_code: int | None = None
        self.last_error: str | None = None

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    def is_due(self, now: datetime) -> bool:
        return self.pending and self.due_at is not None and self.due_at <= now

    # Outcomes of an attempt ------------------------------------------------------------------

    def succeed(self, status_code: int | None, detail: str, meta: Meta) -> None:
        if not self.pending:
            return  # a twin attempt recorded first; the receiver deduplicates by id
        self._sent(
            **self._about(),
            attempt=self.attempts + 1,
            status_code=status_code,
            detail=detail[:500],
            meta=meta,
        )

    def _about(self) -> dict[str, str]:
        """What an outcome repeats of the delivery, so its published event stands alone."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "channel": self.channel.value,
            "audience": self.audience.value,
        }

    class Sent(ClockedAggregate.Event):
        event_id: str
        event_type: str
        channel: str
        audience: str
        attempt: int
        status_code: int | None
        detail: str
        meta: Meta

    @event(Sent)
    def _sent(
        self,
        event_id: str,
        event_type: str,
        channel: str,
        audience: str,
        attempt: int,
        status_code: int | None,
        detail: str,
        meta: Meta,
    ) -> None:
        self.attempts = attempt
        self.status = Status.sent
        self.due_at = None
        self.last_status_code = status_code
        self.last_error = None

    def fail(self, status_code: int | None, error: str, backoff: Backoff, meta: Meta) -> None:
        """Count a failed attempt: retry after the backoff, or park once past the window."""
        if not self.pending:
            return
        attempt = self.attempts + 1
        # Compared with the wall clock by the dispatcher, so taken from it, not from the
        # stream's time (which a clock set back holds ahead of the wall clock; ADR 37).
        retry_at = clock.now() + backoff.delay(attempt)
        error = error[:500]
        if retry_at > self.give_up_at:
            reason = f"gave up after {attempt} attempts: {error}"
            self._parked(
                **self._about(), attempt=attempt, status_code=status_code, reason=reason, meta=meta
            )
        else:
            self._attempt_failed(
                attempt=attempt, status_code=status_code, error=error, retry_at=retry_at, meta=meta
            )

    class AttemptFailed(ClockedAggregate.Event):
        attempt: int
        status_code: int | None
        error: str
        retry_at: datetime
        meta: Meta

    @event(AttemptFailed)
    def _attempt_failed(
        self, attempt: int, status_code: int | None, error: str, retry_at: datetime, meta: Meta
    ) -> None:
        self.attempts = attempt
        self.status = Status.retrying
        self.due_at = retry_at
        self.last_status_code = status_code
        self.last_error = error

    def park(self, reason: str, meta: Meta, status_code: int | None = None) -> None:
        """Give up now: no retry can succeed (refused for good, subscription gone)."""
        if self.pending:
            self._parked(
                **self._about(),
                attempt=self.attempts + 1,
                status_code=status_code,
                reason=reason[:500],
                meta=meta,
            )

    class Parked(ClockedAggregate.Event):
        event_id: str
        event_type: str
        channel: str
        audience: str
        attempt: int
        status_code: int | None
        reason: str
        meta: Meta

    @event(Parked)
    def _parked(
        self,
        event_id: str,
        event_type: str,
        channel: str,
        audience: str,
        attempt: int,
        status_code: int | None,
        reason: str,
        meta: Meta,
    ) -> None:
        self.attempts = attempt
        self.status = Status.parked
        self.due_at = None
        self.last_status_code = status_code
        self.last_error = reason

    # Manual re-delivery ----------------------------------------------------------------------

    def redeliver(self, window: timedelta, meta: Meta) -> None:
        """Queue a parked or sent delivery again (a receiver lost it, or was fixed)."""
        if self.pending:
            raise Conflict(
                "the delivery is still pending; it is attempted when due",
                field="delivery",
                rule="pending",
            )
        now = clock.now()  # a schedule, like `retry_at` above
        self._requeued(not_before=now, give_up_at=now + window, meta=meta)

    class Requeued(ClockedAggregate.Event):
        not_before: datetime
        give_up_at: datetime
        meta: Meta

    @event(Requeued)
    def _requeued(self, not_before: datetime, give_up_at: datetime, meta: Meta) -> None:
        self.status = Status.queued
        self.due_at = not_before
        self.give_up_at = give_up_at
