"""What the cycle's approvals cover, what is paid against them, and supplements.

Money goes to the customer only as approved (核决权限, 002 §九.11), summed over the
cycle's approvals: the first and its supplements.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from services.settlement.domain.state import SettlementState
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Conflict
from shared.kernel.meta import Meta
from shared.kernel.money import Money

#: Which approved remedy kind covers each kind of payment on the settlement.
COVERED_BY = {
    "allowance": "allowance",
    "compensation": "compensation",
    "batch_recall": "compensation",
    "replacement": "exchange",
    "rework": "repair",
}


def approval_ref(approval: dict[str, Any]) -> dict[str, Any]:
    """How a document names the approval that covers it."""
    return {k: approval.get(k) for k in ("event_id", "approval_no", "approver_id", "level")}


class Approvals(SettlementState):
    """The settlement's part that bounds every payment by the cycle's approvals."""

    @property
    def approval_in_force(self) -> dict[str, Any]:
        """The latest approval: with those before it, what every payment is bounded by."""
        return approval_ref(self.approvals[-1])

    def approved(self, kind: str) -> Money:
        """What the cycle's approvals cover of one remedy kind, together."""
        return sum(
            (
                self.money(line["amount"])
                for approval in self.approvals
                for line in approval["remedies"]
                if line["kind"] == kind
            ),
            Money(Decimal(0), self.currency),
        )

    def standing(self, payments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The payments whose voucher was not reversed (a reversed payment was not made:
        what it took of the approval is free again)."""
        return [
            p
            for p in payments
            if not (p.get("voucher") and self.vouchers[p["voucher"]]["reversed_by"])
        ]

    def paid(self, kind: str) -> Money:
        """What was already paid, credited or ordered that a remedy kind's approval covers."""
        done = [
            *(("allowance", a["net"]) for a in self.standing(self.allowances)),
            *((c["kind"], c["amount"]) for c in self.standing(self.compensations)),
            *((o["kind"], o["cost"]) for o in self.standing(self.orders)),
        ]
        return sum(
            (self.money(amount) for what, amount in done if COVERED_BY[what] == kind),
            Money(Decimal(0), self.currency),
        )

    def _check_approved(self, what: str, amount: Money, field: str) -> None:
        """Refuse paying beyond the approvals, naming the approved figure and what is needed."""
        kind = COVERED_BY[what]
        approved, paid = self.approved(kind), self.paid(kind)
        if (paid + amount).amount <= approved.amount:
            return
        needed = paid + amount - approved
        raise Conflict(
            f"{what} of {amount} would bring {kind} on this settlement to {paid + amount}, "
            f"beyond the {approved} approved (approval {self.approvals[-1].get('approval_no')}"
            f" by {self.approvals[-1].get('approver_id') or 'unknown'}); paying it needs a "
            f"supplementary proposal of at least {needed} in routing, approved at the "
            "authority the cycle's total then needs",
            field=field,
            rule="within_approval",
            errors=[
                {
                    "field": field,
                    "rule": "within_approval",
                    "message": f"{kind} approved {approved.amount}, paid {paid.amount}",
                    "approved": str(approved.amount),
                    "already_paid": str(paid.amount),
                    "supplement_needed": str(needed.amount),
                }
            ],
        )

    def add_approval(
        self,
        approval: dict[str, Any],
        remedies: list[dict[str, Any]],
        total_amount: str,
        meta: Meta,
    ) -> bool:
        """A supplementary approval of this cycle raises what may be paid; once per approval.

        A cycle's approvals reach settlement in order (one case, one partition), numbered
        from 1, so an approval number already held is a redelivery.
        """
        if approval["approval_no"] <= len(self.approvals):
            return False
        self._supplemented(
            approval=approval,
            remedies=remedies,
            total_amount=total_amount,
            cumulative_total=str((self.money(self.total_amount) + self.money(total_amount)).amount),
            currency=self.currency,
            meta=meta,
        )
        return True

    class Supplemented(ClockedAggregate.Event):
        approval: dict[str, Any]
        remedies: list[dict[str, Any]]
        total_amount: str
        cumulative_total: str
        currency: str
        meta: Meta

    @event(Supplemented)
    def _supplemented(
        self,
        approval: dict[str, Any],
        remedies: list[dict[str, Any]],
        total_amount: str,
        cumulative_total: str,
        currency: str,
        meta: Meta,
    ) -> None:
        self.approvals.append({**approval, "remedies": remedies})
        self.total_amount = cumulative_total
