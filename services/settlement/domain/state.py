"""What every part of a settlement reads: its state, status, money helpers and guards.

The settlement is one aggregate (one stream per cycle) assembled from parts by concept
(`approvals`, `ledger`, `returns`, `orders`, `credits`, `costs`, `penalties`); each part
is an aggregate class of its own events and commands over this shared state.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Conflict, Invalid, check_room
from shared.kernel.money import Money, at_minor_unit
from shared.kernel.values import MINOR_UNIT_RULE, below_minor_unit

#: Allowances, compensations or orders one settlement keeps at most, of each: a settlement
#: is shown whole (its documents inline), and a case paid in more pieces than this is a
#: mistake or an abuse, not a complaint.
MAX_DOCUMENTS = 100


def settlement_id(number: str, cycle: int) -> Any:
    key = number if cycle == 1 else f"{number}#{cycle}"
    return aggregate_id("settlement.settlement", key)


def line_amounts(net: Money, tax_rate: Decimal) -> dict[str, str]:
    net = net.rounded()
    tax = (net * tax_rate).rounded()
    return {"net": str(net.amount), "tax": str(tax.amount), "gross": str((net + tax).amount)}


def sum_of(lines: list[dict[str, Any]], key: str, currency: str) -> Money:
    return sum((Money(Decimal(x[key]), currency) for x in lines), Money(Decimal(0), currency))


class SettlementStatus(StrEnum):
    open = "open"  # money may move within the approvals
    completed = "completed"  # all booked; the receivables hold released


class SettlementState(ClockedAggregate):
    """The state of one cycle's settlement (set by `Settlement.__init__` and the parts'
    events), with the helpers and guards every part uses."""

    if TYPE_CHECKING:
        number: str
        cycle: int
        customer: dict[str, Any]
        remedies: list[dict[str, Any]]
        total_amount: str
        currency: str
        responsible_parties: list[dict[str, Any]]
        subject: dict[str, Any]
        status: SettlementStatus
        return_note: str | None
        received: dict[str, int]
        decisions: dict[str, bool]
        held: dict[str, dict[str, Any]]
        credit_note: dict[str, Any] | None
        allowances: list[dict[str, Any]]
        compensations: list[dict[str, Any]]
        orders: list[dict[str, Any]]
        costs: list[dict[str, Any]]
        cost_header: dict[str, Any] | None
        sign_offs: dict[str, str]
        costs_confirmed: bool
        apportionment: list[dict[str, Any]] | None
        penalties: list[dict[str, Any]]
        vouchers: dict[str, dict[str, Any]]
        approvals: list[dict[str, Any]]
        tolerance_override: dict[str, str] | None

    def money(self, amount: Any) -> Money:
        return Money(Decimal(str(amount)), self.currency)

    def _exact(self, amount: str, field: str) -> Money:
        """An amount given for this settlement: money exact to its currency's minor unit, and
        spelled at it ("12.50" for "12.5")."""
        if problem := below_minor_unit(amount, self.currency):
            raise Invalid(problem, field=field, rule=MINOR_UNIT_RULE)
        return self.money(at_minor_unit(amount, self.currency))

    @property
    def return_lines(self) -> list[dict[str, Any]]:
        return [r for r in self.remedies if r["kind"] == "return" and r.get("part_no")]

    def _check_nothing_held(self, field: str) -> None:
        """What came back beyond the tolerance is decided before the money moves on."""
        if self.held:
            raise Conflict(
                "over-receipts await a decision: " + ", ".join(self.held),
                field=field,
                rule="decision_pending",
            )

    def _check_room(self, kept: list[Any], most: int, what: str, field: str, rule: str) -> None:
        check_room(kept, most, f"settlement {self.number}", what, field, rule)

    def _check_open(self, action: str) -> None:
        if self.status != SettlementStatus.open:
            raise Conflict(f"settlement {self.number} is {self.status}; cannot {action}")
