"""Exchange (换货) and repair (维修): replacement and rework orders within the approval."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from services.settlement.accounting import cr, dr
from services.settlement.domain.approvals import Approvals
from services.settlement.domain.ledger import Ledger
from services.settlement.domain.sequences import Numbering
from services.settlement.domain.state import MAX_DOCUMENTS
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Invalid
from shared.kernel.meta import Meta


class Orders(Approvals, Ledger):
    """The settlement's part for replacement and rework orders."""

    def order(
        self,
        kind: str,
        part_no: str,
        quantity: int,
        unit_cost: str,
        numbering: Numbering,
        meta: Meta,
    ) -> None:
        """Replacement (换货) or rework (维修) order, with its cost."""
        self._check_open(f"order a {kind}")
        self._check_room(self.orders, MAX_DOCUMENTS, "orders", "part_no", "orders_limit")
        if kind not in ("replacement", "rework"):
            raise Invalid("kind is replacement or rework", field="kind", rule="enum")
        cost = (self.money(unit_cost) * quantity).rounded()
        self._check_approved(kind, cost, "unit_cost")
        voucher = numbering("JV")
        self._ordered(
            kind=kind,
            part_no=part_no,
            quantity=quantity,
            cost=str(cost.amount),
            currency=self.currency,
            approval=self.approval_in_force,
            voucher=voucher,
            meta=meta,
        )
        credit = "inventory" if kind == "replacement" else "accrued_complaint_costs"
        self._post(
            numbering,
            f"{kind}:{part_no}",
            [
                dr("complaint_costs", cost, f"{kind} {quantity} × {part_no}"),
                cr(credit, cost, f"{kind} {quantity} × {part_no}"),
            ],
            meta,
            number=voucher,
        )

    class Ordered(ClockedAggregate.Event):
        kind: str
        part_no: str
        quantity: int
        cost: str
        currency: str
        meta: Meta
        approval: dict[str, Any] | None = None
        voucher: str | None = None

    @event(Ordered)
    def _ordered(
        self,
        kind: str,
        part_no: str,
        quantity: int,
        cost: str,
        currency: str,
        meta: Meta,
        approval: dict[str, Any] | None = None,
        voucher: str | None = None,
    ) -> None:
        self.orders.append(
            {
                "kind": kind,
                "part_no": part_no,
                "quantity": quantity,
                "cost": cost,
                "approval": approval,
                "voucher": voucher,
            }
        )
