"""Events a producer could not publish: withheld from its feed, kept, and repairable.

Whatever an endpoint accepts its contract accepts (`shared.kernel.values`), so this is defence in
depth: an event stored by older code, or a contract tightened later, must not stall a feed
for good. The outbox skips such an event in order and records it here, with the reason, in
the producer's own store; readiness reports the service degraded and the log says so. An
admin repairs it by giving the payload as the contract wants it; the repair is published as
the original type, at a new position, so every consumer receives it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import event

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Conflict
from shared.kernel.meta import Meta


class WithheldEvent(ClockedAggregate):
    """A stored event at `position` that its contract refused."""

    @staticmethod
    def create_id(position: int, **_: Any) -> Any:
        return aggregate_id("outbox.withheld", str(position))

    class Withheld(ClockedAggregate.Created):
        position: int
        domain_type: str
        case_number: str
        occurred_at: datetime
        reason: str
        meta: Meta

    @event(Withheld)
    def __init__(
        self,
        position: int,
        domain_type: str,
        case_number: str,
        occurred_at: datetime,
        reason: str,
        meta: Meta,
    ) -> None:
        self.position = position
        self.domain_type = domain_type
        self.case_number = case_number
        self.occurred_at = occurred_at
        self.reason = reason
        self.repaired_as: str | None = None

    def repair(self, type_: str, schema_version: int, data: dict[str, Any], meta: Meta) -> None:
        if self.repaired_as:
            raise Conflict(
                f"the event at position {self.position} was republished already",
                field="position",
                rule="once",
            )
        self._repaired(
            type=type_,
            schema_version=schema_version,
            data=data,
            case_number=self.case_number,
            occurred_at=self.occurred_at,
            meta=meta,
        )

    class Repaired(ClockedAggregate.Event):
        type: str
        schema_version: int
        data: dict[str, Any]
        case_number: str
        occurred_at: datetime
        meta: Meta

    @event(Repaired)
    def _repaired(
        self,
        type: str,
        schema_version: int,
        data: dict[str, Any],
        case_number: str,
        occurred_at: datetime,
        meta: Meta,
    ) -> None:
        self.repaired_as = type

    def summary(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "domain_type": self.domain_type,
            "case_number": self.case_number,
            "reason": self.reason,
            "repaired_as": self.repaired_as,
        }
