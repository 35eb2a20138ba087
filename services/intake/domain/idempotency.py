"""Registration keys recorded before every command took an Idempotency-Key (kept to
decode stored events)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id


class IdempotencyKey(ClockedAggregate):
    """Keys recorded by registrations before every command took an Idempotency-Key.

    Superseded by `shared.platform.idempotency.AnsweredRequest`; kept so that stored events of this
    type still decode when the log is read again (feeds, audit).
    """

    @staticmethod
    def create_id(key: str, **_: Any) -> Any:
        return aggregate_id("intake.idempotency-key", key)

    class Used(ClockedAggregate.Created):
        key: str
        request_hash: str
        case_number: str

    @event(Used)
    def __init__(self, key: str, request_hash: str, case_number: str) -> None:
        self.key = key
        self.request_hash = request_hash
        self.case_number = case_number
