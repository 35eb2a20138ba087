"""Registrations numbered in groups: one store transaction for the complaints that queued up.

Numbering is the one step of a registration done one at a time: a month's serials come from
one sequence aggregate, and the save that issues a serial must succeed before the next serial
can be issued. Done one registration per transaction, every complaint waits for all the store
round trips before it, and throughput is one over a round trip. So registrations queue, and
whoever holds the numbering lock saves everything queued at that moment in one transaction
(group commit): serials in arrival order, each complaint with its serial and, for a request
with an Idempotency-Key, its answer. Each complaint is still all-or-nothing with its serial;
a batch that fails on a concurrent writer (another process numbered the month meanwhile, a
twin request answered first) is numbered again from fresh state, so nothing is skipped,
doubled or lost. One process at a time still holds the lock, so serials stay in order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.intake.domain import Complaint, NumberSequence
from shared.kernel.errors import Conflict
from shared.platform.idempotency import AnsweredRequest, IdempotentRequest

#: Optimistic retries when another process numbers in the same month at the same moment.
MAX_NUMBERING_ATTEMPTS = 50
#: Registrations saved in one transaction at most.
MAX_BATCH = 50


@dataclass
class Queued:
    """One registration waiting for its serial."""

    period: str
    #: Builds the complaint (and links its repeats) once its serial is known.
    build: Callable[[str], Complaint]
    request: IdempotentRequest | None
    outcome: Future = field(default_factory=Future)

    @property
    def key(self) -> tuple[str, str] | None:
        return (self.request.scope, self.request.key) if self.request else None


class Registrar:
    """Numbers and saves the queued registrations of one intake process."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._numbering = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[Queued] = []
        #: Each month's sequence as this process last saved it (under `_numbering`): the
        #: next batch numbers from it without reading the store. Another process that
        #: numbered meanwhile makes the save fail on the sequence's version; the sequence
        #: is then read afresh.
        self._saved_sequences: dict[str, NumberSequence] = {}

    def register(self, queued: Queued) -> tuple[Complaint, bool]:
        """The complaint as saved, and whether it is a replay of an earlier answer."""
        with self._queue_lock:
            self._queue.append(queued)
        with self._numbering:
            if not queued.outcome.done():
                self._number(self._next_batch())
        result: tuple[Complaint, bool] = queued.outcome.result()
        return result

    def _next_batch(self) -> list[Queued]:
        """What is queued, in order, up to `MAX_BATCH`; a twin of a request already in the
        batch (same Idempotency-Key) waits for the next one, which will replay its answer."""
        batch: list[Queued] = []
        keys: set[tuple[str, str]] = set()
        with self._queue_lock:
            waiting = []
            for queued in self._queue:
                if len(batch) >= MAX_BATCH or (queued.key is not None and queued.key in keys):
                    waiting.append(queued)
                    continue
                batch.append(queued)
                if queued.key is not None:
                    keys.add(queued.key)
            self._queue = waiting
        return batch

    def _number(self, batch: list[Queued]) -> None:
        for _ in range(MAX_NUMBERING_ATTEMPTS):
            batch = [q for q in batch if not q.outcome.done() and not self._answered_before(q)]
            if not batch:
                return
            try:
                saved = self._save_numbered(batch)
            except IntegrityError:
                continue
            except Exception as error:
                for queued in batch:
                    if not queued.outcome.done():
                        queued.outcome.set_exception(error)
                return
            for queued, complaint in saved:
                queued.outcome.set_result((complaint, False))
            return
        for queued in batch:
            if not queued.outcome.done():
                queued.outcome.set_exception(
                    Conflict("too many concurrent registrations; retry the request")
                )

    def _answered_before(self, queued: Queued) -> bool:
        """Whether the request was answered already (then its outcome is that answer)."""
        if queued.request is None:
            return False
        try:
            earlier = self.app.answered(queued.request)
        except Exception as error:
            queued.outcome.set_exception(error)
            return True
        if earlier:
            queued.outcome.set_result((earlier, True))
        return bool(earlier)

    def _save_numbered(self, batch: list[Queued]) -> list[tuple[Queued, Complaint]]:
        """Serials for the batch, in order, saved with the complaints in one transaction. A
        registration whose complaint cannot be built fails alone, and takes no serial."""
        sequences: dict[str, NumberSequence] = {}
        to_save: list[Any] = []
        saved: list[tuple[Queued, Complaint]] = []
        for queued in batch:
            sequence = sequences.get(queued.period) or self._sequence(queued.period)
            sequences[queued.period] = sequence
            try:
                complaint = queued.build(sequence.upcoming_case_number())
            except Exception as error:
                queued.outcome.set_exception(error)
                continue
            sequence.next_case_number()
            to_save.append(complaint)
            if queued.request:
                to_save.append(AnsweredRequest.of(queued.request, complaint))
            saved.append((queued, complaint))
        if saved:
            self.app.save(*sequences.values(), *to_save)
            self._saved_sequences.update(sequences)
        return saved

    def _sequence(self, period: str) -> NumberSequence:
        """The month's sequence: as last saved here, or else from the store. Taken out of
        `_saved_sequences` until its next save succeeds, so a failed one is never reused."""
        if (saved := self._saved_sequences.pop(period, None)) is not None:
            return saved
        try:
            sequence: NumberSequence = self.app.repository.get(NumberSequence.create_id(period))
        except AggregateNotFoundError:
            return NumberSequence(period=period)
        return sequence
