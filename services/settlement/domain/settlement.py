"""The settlement of one approved remedy's cycle: opened from routing's approval,
assembled from its parts, completed when all is booked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from services.settlement.domain.costs import CostSheet
from services.settlement.domain.credits import Credits
from services.settlement.domain.orders import Orders
from services.settlement.domain.penalties import Penalties
from services.settlement.domain.returns import Returns
from services.settlement.domain.state import SettlementStatus, settlement_id
from shared.kernel.aggregate import ClockedAggregate, composed
from shared.kernel.errors import Conflict
from shared.kernel.meta import Meta
from shared.kernel.money import Money


@composed
class Settlement(Returns, Orders, Credits, Penalties, CostSheet):
    """The money of one approved remedy's cycle: one stream, assembled from its parts."""

    @staticmethod
    def create_id(number: str, cycle: int = 1, **_: Any) -> Any:
        """One settlement per handling cycle: a reopened case is settled again."""
        return settlement_id(number, cycle)

    class Opened(ClockedAggregate.Created):
        number: str
        customer: dict[str, Any]
        remedies: list[dict[str, Any]]
        total_amount: str
        currency: str
        meta: Meta
        cycle: int = 1
        responsible_parties: list[dict[str, Any]] | None = None
        subject: dict[str, Any] | None = None
        approval: dict[str, Any] | None = None

    @event(Opened)
    def __init__(
        self,
        number: str,
        customer: dict[str, Any],
        remedies: list[dict[str, Any]],
        total_amount: str,
        currency: str,
        meta: Meta,
        cycle: int = 1,
        responsible_parties: list[dict[str, Any]] | None = None,
        subject: dict[str, Any] | None = None,
        approval: dict[str, Any] | None = None,
    ) -> None:
        self.number = number
        self.cycle = cycle
        self.customer = customer
        self.remedies = remedies
        self.total_amount = total_amount
        self.currency = currency
        self.responsible_parties = responsible_parties or []
        self.subject = subject or {}
        self.status = SettlementStatus.open
        self.return_note: str | None = None
        self.received: dict[str, int] = {}
        self.decisions: dict[str, bool] = {}
        self.held: dict[str, dict[str, Any]] = {}
        self.credit_note: dict[str, Any] | None = None
        self.allowances: list[dict[str, Any]] = []
        self.compensations: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []
        self.costs: list[dict[str, Any]] = []
        self.cost_header: dict[str, Any] | None = None
        self.sign_offs: dict[str, str] = {}
        self.costs_confirmed = False
        self.apportionment: list[dict[str, Any]] | None = None
        self.penalties: list[dict[str, Any]] = []
        self.vouchers: dict[str, dict[str, Any]] = {}
        #: The approvals whose remedies bound what is paid: the first, then supplements.
        #: Settlements opened before approvals were recorded carry their remedies only.
        self.approvals: list[dict[str, Any]] = [
            {**(approval or {"event_id": None, "approval_no": 1}), "remedies": remedies}
        ]
        #: Finance's override of the customer's over-receipt ratio, with its reason.
        self.tolerance_override: dict[str, str] | None = None

    @property
    def customer_total(self) -> Money:
        """What the customer is credited or paid, gross."""
        total = Money(Decimal(0), self.currency)
        if self.credit_note:
            total += self.money(self.credit_note["gross"])
        for allowance in self.standing(self.allowances):
            total += self.money(allowance["gross"])
        for compensation in self.standing(self.compensations):
            total += self.money(compensation["amount"])
        return total.rounded()  # every part is exact: this only writes it in minor units

    def complete(self, completed_by: str, meta: Meta) -> None:
        self._check_open("complete it")
        self._check_nothing_held("held")
        if self.return_lines and not self.credit_note:
            raise Conflict(
                "goods are being returned: issue the credit note first",
                field="credit_note",
                rule="required_for_returns",
            )
        self._completed(
            completed_by=completed_by,
            total_amount=str(self.customer_total.amount),
            currency=self.currency,
            meta=meta,
        )

    class Completed(ClockedAggregate.Event):
        completed_by: str
        total_amount: str
        currency: str
        meta: Meta

    @event(Completed)
    def _completed(self, completed_by: str, total_amount: str, currency: str, meta: Meta) -> None:
        self.status = SettlementStatus.completed
