"""Returns (退货): the return note, receipts with the over-receipt rule, and the
credit note refunding what was approved and received."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from services.settlement.domain.approvals import Approvals, approval_ref
from services.settlement.domain.ledger import Ledger
from services.settlement.domain.sequences import Numbering
from services.settlement.domain.state import line_amounts, sum_of
from services.settlement.policy import SettlementPolicy
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Conflict, Invalid
from shared.kernel.meta import Meta


class Returns(Approvals, Ledger):
    """The settlement's part for goods sent back and refunded."""

    @property
    def return_lines(self) -> list[dict[str, Any]]:
        return [r for r in self.remedies if r["kind"] == "return" and r.get("part_no")]

    def tolerance(self, policy: SettlementPolicy) -> Decimal:
        return self.tolerance_in_force(policy)[0]

    def tolerance_in_force(self, policy: SettlementPolicy) -> tuple[Decimal, str]:
        """The over-receipt ratio (超量允收比率) and where it comes from: finance's change on
        this settlement, else the customer's own, else the company default (002 §十三.2)."""
        if self.tolerance_override is not None:
            return Decimal(self.tolerance_override["tolerance"]), "settlement"
        own = self.customer.get("over_receipt_tolerance")
        if own is not None:
            return Decimal(str(own)), "customer"
        return policy.default_over_receipt_tolerance, "company_default"

    def change_tolerance(
        self, tolerance: str, reason: str, policy: SettlementPolicy, meta: Meta
    ) -> None:
        """Finance records the customer's ratio on this settlement (e.g. from the contract)."""
        self._check_open("change the over-receipt tolerance")
        if self.credit_note:
            raise Conflict(
                "the credit note is issued; the tolerance it used stays",
                field="tolerance",
                rule="before_credit_note",
            )
        self._check_nothing_held("tolerance")
        self._tolerance_changed(
            tolerance=tolerance, previous=str(self.tolerance(policy)), reason=reason, meta=meta
        )

    class ToleranceChanged(ClockedAggregate.Event):
        tolerance: str
        previous: str
        reason: str
        meta: Meta

    @event(ToleranceChanged)
    def _tolerance_changed(self, tolerance: str, previous: str, reason: str, meta: Meta) -> None:
        self.tolerance_override = {"tolerance": tolerance, "reason": reason}

    def issue_return_note(self, numbering: Numbering, meta: Meta) -> None:
        if self.return_lines and self.return_note is None:
            self._return_note_issued(
                document=numbering("RN"),
                lines=[
                    {
                        "part_no": r["part_no"],
                        "quantity": r.get("quantity"),
                        "unit_price": r.get("unit_price"),
                    }
                    for r in self.return_lines
                ],
                approval=self.approval_in_force,
                meta=meta,
            )

    class ReturnNoteIssued(ClockedAggregate.Event):
        document: str
        lines: list[dict[str, Any]]
        meta: Meta
        approval: dict[str, Any] | None = None

    @event(ReturnNoteIssued)
    def _return_note_issued(
        self,
        document: str,
        lines: list[dict[str, Any]],
        meta: Meta,
        approval: dict[str, Any] | None = None,
    ) -> None:
        self.return_note = document

    def _approved_quantity(self, part_no: str) -> int:
        for line in self.return_lines:
            if line["part_no"] == part_no:
                return int(line["quantity"])
        raise Invalid(
            f"part {part_no} is not being returned on this settlement",
            field="part_no",
            rule="on_return_note",
        )

    def receive(
        self,
        part_no: str,
        quantity: int,
        received_by: str,
        policy: SettlementPolicy,
        meta: Meta,
    ) -> None:
        """The warehouse signs for what actually arrived (partial receipts allowed)."""
        self._check_open("receive returns")
        if self.credit_note:
            raise Conflict("the credit note is issued; later receipts need a new settlement")
        if quantity <= 0:
            raise Invalid("a receipt is a positive quantity", field="quantity", rule="positive")
        approved = self._approved_quantity(part_no)
        total = self.received.get(part_no, 0) + quantity
        limit = approved * (1 + self.tolerance(policy))
        self._received(
            part_no=part_no,
            quantity=quantity,
            total_received=total,
            received_by=received_by,
            meta=meta,
        )
        if total > limit and part_no not in self.decisions:
            self._held(
                part_no=part_no, approved=approved, received=total, limit=str(limit), meta=meta
            )

    class ReturnReceived(ClockedAggregate.Event):
        part_no: str
        quantity: int
        total_received: int
        received_by: str
        meta: Meta

    @event(ReturnReceived)
    def _received(
        self, part_no: str, quantity: int, total_received: int, received_by: str, meta: Meta
    ) -> None:
        self.received[part_no] = total_received

    class HeldForDecision(ClockedAggregate.Event):
        part_no: str
        approved: int
        received: int
        limit: str
        meta: Meta

    @event(HeldForDecision)
    def _held(self, part_no: str, approved: int, received: int, limit: str, meta: Meta) -> None:
        self.held[part_no] = {"approved": approved, "received": received, "limit": limit}

    def decide_over_receipt(self, part_no: str, accept: bool, reason: str, meta: Meta) -> None:
        if part_no not in self.held:
            raise Conflict(f"nothing is held for a decision on part {part_no}")
        self._over_receipt_decided(part_no=part_no, accept=accept, reason=reason, meta=meta)

    class OverReceiptDecided(ClockedAggregate.Event):
        part_no: str
        accept: bool
        reason: str
        meta: Meta

    @event(OverReceiptDecided)
    def _over_receipt_decided(self, part_no: str, accept: bool, reason: str, meta: Meta) -> None:
        self.decisions[part_no] = accept
        del self.held[part_no]

    def refund_quantity(self, part_no: str, policy: SettlementPolicy) -> int:
        """docs/domain §6: the actual quantity when below the approved one or above it within the
        tolerance; beyond the tolerance, what the recorded decision says."""
        approved, received = self._approved_quantity(part_no), self.received.get(part_no, 0)
        if received <= approved * (1 + self.tolerance(policy)):
            return received
        return received if self.decisions.get(part_no) else approved

    def issue_credit_note(self, numbering: Numbering, policy: SettlementPolicy, meta: Meta) -> None:
        self._check_open("issue a credit note")
        if self.credit_note:
            raise Conflict(
                f"credit note {self.credit_note['document']} is issued already",
                field="credit_note",
                rule="once",
            )
        self._check_nothing_held("held")
        if not any(self.received.values()):
            raise Conflict("nothing has been received back yet")
        lines = []
        for line in self.return_lines:
            quantity = self.refund_quantity(line["part_no"], policy)
            if quantity:
                net = self.money(line["unit_price"]) * quantity
                lines.append(
                    {
                        "part_no": line["part_no"],
                        "quantity": quantity,
                        "unit_price": str(line["unit_price"]),
                        "tax_rate": str(line.get("tax_rate") or "0"),
                        **line_amounts(net, Decimal(str(line.get("tax_rate") or 0))),
                    }
                )
        net, tax, gross = (sum_of(lines, k, self.currency) for k in ("net", "tax", "gross"))
        tolerance, source = self.tolerance_in_force(policy)
        self._refund_approved(
            lines=lines,
            net=str(net.amount),
            tax=str(tax.amount),
            gross=str(gross.amount),
            currency=self.currency,
            tolerance=str(tolerance),
            tolerance_source=source,
            meta=meta,
        )
        document = numbering("CN")
        self._credit_note_issued(
            document=document,
            net=str(net.amount),
            tax=str(tax.amount),
            gross=str(gross.amount),
            currency=self.currency,
            approval=approval_ref(self.approvals[0]),
            meta=meta,
        )
        self._credit_customer(numbering, "credit_note", "sales_returns", document, net, tax, meta)

    class RefundApproved(ClockedAggregate.Event):
        lines: list[dict[str, Any]]
        net: str
        tax: str
        gross: str
        currency: str
        meta: Meta
        tolerance: str | None = None
        tolerance_source: str | None = None

    @event(RefundApproved)
    def _refund_approved(
        self,
        lines: list[dict[str, Any]],
        net: str,
        tax: str,
        gross: str,
        currency: str,
        meta: Meta,
        tolerance: str | None = None,
        tolerance_source: str | None = None,
    ) -> None:
        pass

    class CreditNoteIssued(ClockedAggregate.Event):
        document: str
        net: str
        tax: str
        gross: str
        currency: str
        meta: Meta
        approval: dict[str, Any] | None = None

    @event(CreditNoteIssued)
    def _credit_note_issued(
        self,
        document: str,
        net: str,
        tax: str,
        gross: str,
        currency: str,
        meta: Meta,
        approval: dict[str, Any] | None = None,
    ) -> None:
        self.credit_note = {
            "document": document,
            "net": net,
            "tax": tax,
            "gross": gross,
            "approval": approval,
        }
