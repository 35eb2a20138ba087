"""What every part of a case reads: its state, status and the guards on who acts.

The case is one aggregate (one stream) assembled from parts by concept (`assignment`,
`clocks`, `investigation`, `approval`, `closing`, `lifecycle`); each part is an aggregate
class of its own events and commands over this shared state.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from services.routing.domain.deadline import Clock
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Conflict, Forbidden
from shared.kernel.money import Money
from shared.kernel.principal import Principal, Role

LADDER = ("unit_handler", "unit_manager", "deputy_general_manager", "senior_management")


class CaseStatus(StrEnum):
    """Where a case stands in routing; the last three are closed."""

    open = "open"  # opened from intake's registration, no unit yet
    assigned = "assigned"
    investigated = "investigated"
    proposed = "proposed"  # a remedy (or a supplement) awaits approval
    approved = "approved"
    settled = "settled"  # settlement completed; awaiting the customer and the closing gate
    closed = "closed"
    not_valid = "not_valid"
    withdrawn = "withdrawn"


ACTIVE = {
    CaseStatus.assigned,
    CaseStatus.investigated,
    CaseStatus.proposed,
    CaseStatus.approved,
    CaseStatus.settled,
}
FISHBONE = ("man", "machine", "material", "method", "measurement", "environment")


def iso(moment: datetime) -> str:
    return moment.isoformat()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class CaseState(ClockedAggregate):
    """The state of one case (set by `Case.__init__`, `_reset_cycle` and the parts' events),
    with the guards every part uses."""

    if TYPE_CHECKING:
        number: str
        received_at: datetime
        channel: str
        nature: str
        severity: str
        customer: dict[str, Any]
        subject: dict[str, Any]
        cycle: int
        status: CaseStatus
        unit: str | None
        role: str | None
        escalation_level: int
        clocks: dict[str, Clock]
        late_steps: list[dict[str, Any]]
        reviewed: list[list[Any]]
        validity: bool | None
        classification: dict[str, str]
        pinned: dict[str, Any] | None

    def _reset_cycle(self) -> None:
        self.investigation: dict[str, Any] | None = None
        self.remedies: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.total: Money | None = None
        self.approval: dict[str, Any] | None = None
        #: Every approval of this cycle, the first and its supplements, oldest first.
        self.approvals: list[dict[str, Any]] = []
        #: What this cycle's approvals cover together; the authority a supplement needs is
        #: that of this total plus the supplement (no splitting past a limit).
        self.approved_total: Money | None = None
        self.memos: list[dict[str, Any]] = []
        self.follow_up: dict[str, str] = {}
        self.settled = False
        self.customer_confirmed = False

    @property
    def foreign(self) -> bool:
        return bool(self.customer.get("foreign"))

    @property
    def is_open(self) -> bool:
        return self.status in ACTIVE or self.status == CaseStatus.open

    def check_actor(self, who: Principal) -> None:
        """Who may act on this case as it is now: a handler only while it is with its unit
        (the refusal names no other unit). Managers act across units, within the authority
        their token carries (checked at approval)."""
        if who.role is Role.handler and self.unit != who.unit:
            raise Forbidden(f"case {self.number} is not with unit {who.unit}", rule="own_unit")

    def _check_active(self, action: str) -> None:
        if self.status not in ACTIVE:
            raise Conflict(f"case {self.number} is {self.status}; cannot {action}")
