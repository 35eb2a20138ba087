"""Routing's aggregate: the handling of one case, cycle by cycle, assembled from its parts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import event

from services.routing.domain.approval import Approval
from services.routing.domain.deadline import Clock
from services.routing.domain.investigation import Investigation
from services.routing.domain.lifecycle import Lifecycle
from services.routing.domain.state import CaseStatus
from shared.kernel.aggregate import ClockedAggregate, composed
from shared.kernel.case_number import aggregate_id
from shared.kernel.meta import Meta


@composed
class Case(Investigation, Approval, Lifecycle):
    """The handling of one case, cycle by cycle: one stream, assembled from its parts."""

    @staticmethod
    def create_id(number: str, **_: Any) -> Any:
        return aggregate_id("routing.case", number)

    class Opened(ClockedAggregate.Created):
        number: str
        received_at: datetime
        channel: str
        nature: str
        customer: dict[str, Any]
        meta: Meta
        severity: str = "level_3"
        subject: dict[str, Any] | None = None

    @event(Opened)
    def __init__(
        self,
        number: str,
        received_at: datetime,
        channel: str,
        nature: str,
        customer: dict[str, Any],
        meta: Meta,
        severity: str = "level_3",
        subject: dict[str, Any] | None = None,
    ) -> None:
        self.number = number
        self.received_at = received_at
        self.channel = channel
        self.nature = nature
        self.severity = severity
        self.customer = customer
        self.subject = subject or {}
        self.cycle = 1
        self.status = CaseStatus.open
        self.unit: str | None = None
        self.role: str | None = None
        self.escalation_level = 0
        self.clocks: dict[str, Clock] = {}
        self.late_steps: list[dict[str, Any]] = []
        #: (clock, cycle) of the late steps sent for review after closing (洽办), once each.
        self.reviewed: list[list[Any]] = []
        self.validity: bool | None = None
        #: Intake's classification beyond nature and severity: cause, fault class, online
        #: level (routing rules may test them).
        self.classification: dict[str, str] = {}
        #: A manager's pin: while set, changed facts do not move the case to another unit.
        self.pinned: dict[str, Any] | None = None
        self._reset_cycle()
