"""Settlement's aggregates: the money of one approved remedy, document sequences, and the
receivables hold on the complained part numbers.

Rounding points (the only ones): each refund or allowance line's net amount is rounded half-up
to the currency's minor unit, then its tax (net × rate) is rounded half-up; totals are sums of
rounded lines. Apportioned shares are exact by construction (`shared.kernel.money.apportion`).
Every financial effect posts a balanced voucher in the same event batch; documents and
vouchers are numbered from their own gapless sequences.

Money goes to the customer only as approved (核决权限, 002 §九.11): credit notes by the
approved return lines (with the over-receipt rule), allowances and compensation up to the
approved amounts of their kind, replacement and rework orders up to the approved exchange and
repair amounts, all summed over the cycle's approvals (the first and its supplements). Every
such document names the approval in force that covers it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from eventsourcing.domain import event

from services.settlement.accounting import cr, dr, reversed_lines, voucher_lines
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Conflict, Invalid
from shared.kernel.meta import Meta
from shared.kernel.money import ApportionmentError, Money, apportion
from shared.kernel.values import MINOR_UNIT_RULE, below_minor_unit

POLICY_FILE = Path(__file__).with_name("settlement_policy.json")

#: Issues the next number of a document kind: CN credit note, AC allowance certificate,
#: RN return note, DN debit note, JV journal voucher.
Numbering = Callable[[str], str]


@cache
def policy() -> dict[str, Any]:
    return json.loads(POLICY_FILE.read_text(encoding="utf-8"))


def settlement_id(number: str, cycle: int) -> Any:
    key = number if cycle == 1 else f"{number}#{cycle}"
    return aggregate_id("settlement.settlement", key)


class DocumentSequence(ClockedAggregate):
    """Gapless numbers of one document kind in one year, e.g. CN-2026-000042."""

    @staticmethod
    def create_id(kind: str, year: int, **_: Any) -> Any:
        return aggregate_id("settlement.document-sequence", f"{kind}-{year}")

    class Started(ClockedAggregate.Created):
        kind: str
        year: int

    @event(Started)
    def __init__(self, kind: str, year: int) -> None:
        self.kind = kind
        self.year = year
        self.last = 0

    class Issued(ClockedAggregate.Event):
        serial: int
        document: str

    @event(Issued)
    def _issued(self, serial: int, document: str) -> None:
        self.last = serial

    def next(self) -> str:
        document = f"{self.kind}-{self.year}-{self.last + 1:06d}"
        self._issued(serial=self.last + 1, document=document)
        return document


class ReceivableHold(ClockedAggregate):
    """Receivables of the complained part numbers are held out of the salesperson's
    collection-rate bonus while the complaint is open (002 §十三.2(3))."""

    @staticmethod
    def create_id(number: str, **_: Any) -> Any:
        return aggregate_id("settlement.receivable-hold", number)

    class Placed(ClockedAggregate.Created):
        number: str
        customer: dict[str, Any]
        part_nos: list[str]
        meta: Meta

    @event(Placed)
    def __init__(
        self, number: str, customer: dict[str, Any], part_nos: list[str], meta: Meta
    ) -> None:
        self.number = number
        self.released = False

    def release(self, reason: str, normal_collection: bool, meta: Meta) -> bool:
        if self.released:
            return False
        self._released(reason=reason, normal_collection=normal_collection, meta=meta)
        return True

    class Released(ClockedAggregate.Event):
        reason: str
        normal_collection: bool
        meta: Meta

    @event(Released)
    def _released(self, reason: str, normal_collection: bool, meta: Meta) -> None:
        self.released = True


def _line_amounts(net: Money, tax_rate: Decimal) -> dict[str, str]:
    net = net.rounded()
    tax = (net * tax_rate).rounded()
    return {"net": str(net.amount), "tax": str(tax.amount), "gross": str((net + tax).amount)}


def _split(parties: list[dict[str, Any]]) -> set[tuple[str, str, Decimal]]:
    """A split as data to compare: who bears which percentage."""
    return {(p["kind"], p["name"], Decimal(str(p["ratio"]))) for p in parties}


def _sum(lines: list[dict[str, Any]], key: str, currency: str) -> Money:
    return sum((Money(Decimal(x[key]), currency) for x in lines), Money(Decimal(0), currency))


class SettlementStatus(StrEnum):
    open = "open"  # money may move within the approvals
    completed = "completed"  # all booked; the receivables hold released


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


class Settlement(ClockedAggregate):
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

    # Helpers --------------------------------------------------------------------------------

    def money(self, amount: Any) -> Money:
        return Money(Decimal(str(amount)), self.currency)

    def _exact(self, amount: str, field: str) -> Money:
        """An amount given for this settlement: money exact to its currency's minor unit."""
        if problem := below_minor_unit(amount, self.currency):
            raise Invalid(problem, field=field, rule=MINOR_UNIT_RULE)
        return self.money(amount)

    @property
    def return_lines(self) -> list[dict[str, Any]]:
        return [r for r in self.remedies if r["kind"] == "return" and r.get("part_no")]

    def tolerance(self) -> Decimal:
        return self.tolerance_in_force()[0]

    def tolerance_in_force(self) -> tuple[Decimal, str]:
        """The over-receipt ratio (超量允收比率) and where it comes from: finance's change on
        this settlement, else the customer's own, else the company default (002 §十三.2)."""
        if self.tolerance_override is not None:
            return Decimal(self.tolerance_override["tolerance"]), "settlement"
        own = self.customer.get("over_receipt_tolerance")
        if own is not None:
            return Decimal(str(own)), "customer"
        return Decimal(policy()["default_over_receipt_tolerance"]), "company_default"

    def change_tolerance(self, tolerance: str, reason: str, meta: Meta) -> None:
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
            tolerance=tolerance, previous=str(self.tolerance()), reason=reason, meta=meta
        )

    class ToleranceChanged(ClockedAggregate.Event):
        tolerance: str
        previous: str
        reason: str
        meta: Meta

    @event(ToleranceChanged)
    def _tolerance_changed(self, tolerance: str, previous: str, reason: str, meta: Meta) -> None:
        self.tolerance_override = {"tolerance": tolerance, "reason": reason}

    # Approvals ------------------------------------------------------------------------------

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

    def _check_nothing_held(self, field: str) -> None:
        """What came back beyond the tolerance is decided before the money moves on."""
        if self.held:
            raise Conflict(
                "over-receipts await a decision: " + ", ".join(self.held),
                field=field,
                rule="decision_pending",
            )

    def _check_open(self, action: str) -> None:
        if self.status != SettlementStatus.open:
            raise Conflict(f"settlement {self.number} is {self.status}; cannot {action}")

    def _post(
        self,
        numbering: Numbering,
        source: str,
        lines: list[Any],
        meta: Meta,
        number: str | None = None,
    ) -> str:
        """Post a balanced voucher; `number` when the document it books already names it."""
        number = number or numbering("JV")
        self._voucher_posted(
            voucher=number,
            source=source,
            currency=self.currency,
            lines=voucher_lines(self.currency, lines),
            reverses=None,
            meta=meta,
        )
        return number

    def _credit_customer(
        self,
        numbering: Numbering,
        kind: str,
        revenue_account: str,
        document: str,
        net: Money,
        tax: Money,
        meta: Meta,
        voucher: str | None = None,
    ) -> str:
        """Revenue down by the net, output VAT given back, the receivable credited gross."""
        return self._post(
            numbering,
            f"{kind}:{document}",
            [
                dr(revenue_account, net, f"{kind} {document}"),
                dr("output_vat", tax, f"output VAT reversed {document}"),
                cr("accounts_receivable", net + tax, document, self.customer.get("customer_id")),
            ],
            meta,
            number=voucher,
        )

    class VoucherPosted(ClockedAggregate.Event):
        voucher: str
        source: str
        currency: str
        lines: list[dict[str, Any]]
        reverses: str | None
        meta: Meta

    @event(VoucherPosted)
    def _voucher_posted(
        self,
        voucher: str,
        source: str,
        currency: str,
        lines: list[dict[str, Any]],
        reverses: str | None,
        meta: Meta,
    ) -> None:
        self.vouchers[voucher] = {
            "source": source,
            "lines": lines,
            "reverses": reverses,
            "reversed_by": None,
        }
        if reverses:
            self.vouchers[reverses]["reversed_by"] = voucher

    # Returns (退货) --------------------------------------------------------------------------

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

    def receive(self, part_no: str, quantity: int, received_by: str, meta: Meta) -> None:
        """The warehouse signs for what actually arrived (partial receipts allowed)."""
        self._check_open("receive returns")
        if self.credit_note:
            raise Conflict("the credit note is issued; later receipts need a new settlement")
        if quantity <= 0:
            raise Invalid("a receipt is a positive quantity", field="quantity", rule="positive")
        approved = self._approved_quantity(part_no)
        total = self.received.get(part_no, 0) + quantity
        limit = approved * (1 + self.tolerance())
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

    def refund_quantity(self, part_no: str) -> int:
        """docs/domain §6: the actual quantity when below the approved one or above it within the
        tolerance; beyond the tolerance, what the recorded decision says."""
        approved, received = self._approved_quantity(part_no), self.received.get(part_no, 0)
        if received <= approved * (1 + self.tolerance()):
            return received
        return received if self.decisions.get(part_no) else approved

    def issue_credit_note(self, numbering: Numbering, meta: Meta) -> None:
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
            quantity = self.refund_quantity(line["part_no"])
            if quantity:
                net = self.money(line["unit_price"]) * quantity
                lines.append(
                    {
                        "part_no": line["part_no"],
                        "quantity": quantity,
                        "unit_price": str(line["unit_price"]),
                        "tax_rate": str(line.get("tax_rate") or "0"),
                        **_line_amounts(net, Decimal(str(line.get("tax_rate") or 0))),
                    }
                )
        net, tax, gross = (_sum(lines, k, self.currency) for k in ("net", "tax", "gross"))
        tolerance, source = self.tolerance_in_force()
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

    # Exchange and repair ---------------------------------------------------------------------

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

    # Allowance (折让) and compensation (赔偿) --------------------------------------------------

    def issue_allowance(
        self, mode: str, value: str, lines: list[dict[str, Any]], numbering: Numbering, meta: Meta
    ) -> None:
        """Per unit (value per piece) or percent (of the invoiced line); 销货折让证明单."""
        self._check_open("issue an allowance")
        if mode not in ("per_unit", "percent"):
            raise Invalid("mode is per_unit or percent", field="mode", rule="enum")
        rate = Decimal(value)
        if rate <= 0 or (mode == "percent" and rate > 100):
            raise Invalid(
                "the allowance must be positive (and at most 100%)", field="value", rule="range"
            )
        computed = [self._allowance_line(mode, rate, line) for line in lines]
        net, tax, gross = (_sum(computed, k, self.currency) for k in ("net", "tax", "gross"))
        if not net.amount:
            raise Invalid(
                f"the allowance rounds to 0 {self.currency}; nothing to certify",
                field="value",
                rule="rounds_to_zero",
            )
        self._check_approved("allowance", net, "value")
        document = numbering("AC")
        voucher = numbering("JV")
        self._allowance_issued(
            document=document,
            mode=mode,
            value=value,
            lines=computed,
            net=str(net.amount),
            tax=str(tax.amount),
            gross=str(gross.amount),
            currency=self.currency,
            approval=self.approval_in_force,
            voucher=voucher,
            meta=meta,
        )
        self._credit_customer(
            numbering, "allowance", "sales_allowances", document, net, tax, meta, voucher
        )

    def _allowance_line(self, mode: str, rate: Decimal, line: dict[str, Any]) -> dict[str, Any]:
        """One invoiced line's allowance: per unit, or a percentage of the line."""
        quantity, price = int(line["quantity"]), self.money(line["unit_price"])
        net = (
            self.money(rate) * quantity
            if mode == "per_unit"
            else price * (quantity * rate / Decimal(100))
        )
        if net.rounded().amount > (price * quantity).rounded().amount:
            raise Invalid(
                "an allowance cannot exceed the invoiced amount",
                field="value",
                rule="within_invoice",
            )
        tax_rate = Decimal(str(line.get("tax_rate") or 0))
        return {
            "part_no": line.get("part_no"),
            "quantity": quantity,
            "unit_price": str(price.amount),
            "tax_rate": str(tax_rate),
            **_line_amounts(net, tax_rate),
        }

    class AllowanceIssued(ClockedAggregate.Event):
        document: str
        mode: str
        value: str
        lines: list[dict[str, Any]]
        net: str
        tax: str
        gross: str
        currency: str
        meta: Meta
        approval: dict[str, Any] | None = None
        voucher: str | None = None

    @event(AllowanceIssued)
    def _allowance_issued(
        self,
        document: str,
        mode: str,
        value: str,
        lines: list[dict[str, Any]],
        net: str,
        tax: str,
        gross: str,
        currency: str,
        meta: Meta,
        approval: dict[str, Any] | None = None,
        voucher: str | None = None,
    ) -> None:
        self.allowances.append(
            {
                "document": document,
                "net": net,
                "tax": tax,
                "gross": gross,
                "approval": approval,
                "voucher": voucher,
            }
        )

    def agree_compensation(
        self, amount: str, kind: str, payee: str, numbering: Numbering, meta: Meta
    ) -> None:
        """An amount agreed with the customer, or paid to distributors in a batch recall."""
        self._check_open("agree a compensation")
        if kind not in ("compensation", "batch_recall"):
            raise Invalid("kind is compensation or batch_recall", field="kind", rule="enum")
        money = self._exact(amount, "amount")
        self._check_approved(kind, money, "amount")
        voucher = numbering("JV")
        self._compensation_agreed(
            amount=str(money.amount),
            kind=kind,
            payee=payee,
            currency=self.currency,
            approval=self.approval_in_force,
            voucher=voucher,
            meta=meta,
        )
        self._post(
            numbering,
            f"{kind}:{payee}",
            [
                dr("compensation_expense", money, f"{kind} to {payee}"),
                cr("customer_compensation_payable", money, f"{kind} to {payee}", payee),
            ],
            meta,
            number=voucher,
        )

    class CompensationAgreed(ClockedAggregate.Event):
        amount: str
        kind: str
        payee: str
        currency: str
        meta: Meta
        approval: dict[str, Any] | None = None
        voucher: str | None = None

    @event(CompensationAgreed)
    def _compensation_agreed(
        self,
        amount: str,
        kind: str,
        payee: str,
        currency: str,
        meta: Meta,
        approval: dict[str, Any] | None = None,
        voucher: str | None = None,
    ) -> None:
        self.compensations.append(
            {
                "amount": amount,
                "kind": kind,
                "payee": payee,
                "approval": approval,
                "voucher": voucher,
            }
        )

    # Cost confirmation (客户投诉费用确认单, seed 000) ------------------------------------------

    def record_cost(
        self, item: str, amount: str, accounting_unit: str, owner: str, meta: Meta
    ) -> None:
        self._check_open("record a cost")
        if self.costs_confirmed:
            raise Conflict(
                "the costs are signed off; record a correction on a new line after reversal",
                field="item",
                rule="confirmed",
            )
        if item not in policy()["cost_items"] and not item.startswith("custom:"):
            raise Invalid(
                f"{item!r} is not a cost item; use one of the sheet's items or 'custom:<name>'",
                field="item",
                rule="enum",
            )
        money = self._exact(amount, "amount")
        self._cost_recorded(
            item=item,
            amount=str(money.amount),
            accounting_unit=accounting_unit,
            owner=owner,
            currency=self.currency,
            meta=meta,
        )

    class CostRecorded(ClockedAggregate.Event):
        item: str
        amount: str
        accounting_unit: str
        owner: str
        currency: str
        meta: Meta

    @event(CostRecorded)
    def _cost_recorded(
        self, item: str, amount: str, accounting_unit: str, owner: str, currency: str, meta: Meta
    ) -> None:
        self.costs.append(
            {"item": item, "amount": amount, "accounting_unit": accounting_unit, "owner": owner}
        )

    def set_cost_header(self, inspected: int, defective: int, meta: Meta) -> None:
        if defective > inspected or inspected <= 0 or defective < 0:
            raise Invalid(
                "0 ≤ defective ≤ inspected, inspected > 0",
                field="defective",
                rule="within_inspected",
            )
        rate = (Decimal(defective) / Decimal(inspected)).quantize(Decimal("0.0001"))
        self._cost_header_set(
            inspected=inspected, defective=defective, defect_rate=str(rate), meta=meta
        )

    class CostHeaderSet(ClockedAggregate.Event):
        inspected: int
        defective: int
        defect_rate: str
        meta: Meta

    @event(CostHeaderSet)
    def _cost_header_set(
        self, inspected: int, defective: int, defect_rate: str, meta: Meta
    ) -> None:
        self.cost_header = {
            "inspected": inspected,
            "defective": defective,
            "defect_rate": defect_rate,
        }

    @property
    def cost_total(self) -> Money:
        return _sum(self.costs, "amount", self.currency)

    def sign_off_costs(self, role: str, by: str, numbering: Numbering, meta: Meta) -> None:
        """One of the four sign-offs of the cost sheet (seed 000), each by a different person:
        four eyes mean four people, so nobody signs twice under different roles."""
        roles = policy()["sign_off_roles"]
        if role not in roles:
            raise Invalid(f"sign-off roles are {', '.join(roles)}", field="role", rule="enum")
        if role in self.sign_offs:
            raise Conflict(
                f"{role} signed off already ({self.sign_offs[role]})",
                field="role",
                rule="once_per_role",
            )
        if by in self.sign_offs.values():
            signed = next(r for r, who in self.sign_offs.items() if who == by)
            raise Conflict(
                f"{by} signed off already as {signed}; each sign-off is by another person",
                field="role",
                rule="distinct_signers",
            )
        if not self.costs:
            raise Conflict("there are no costs to sign off")
        self._cost_signed_off(role=role, by=by, meta=meta)
        if set(self.sign_offs) == set(roles):
            total = self.cost_total
            self._costs_confirmed(total=str(total.amount), currency=self.currency, meta=meta)
            self._post(
                numbering,
                "cost_confirmation",
                [
                    dr("complaint_costs", total, "complaint costs confirmed"),
                    cr("accrued_complaint_costs", total, "complaint costs confirmed"),
                ],
                meta,
            )

    class CostSignedOff(ClockedAggregate.Event):
        role: str
        by: str
        meta: Meta

    @event(CostSignedOff)
    def _cost_signed_off(self, role: str, by: str, meta: Meta) -> None:
        self.sign_offs[role] = by

    class CostsConfirmed(ClockedAggregate.Event):
        total: str
        currency: str
        meta: Meta

    @event(CostsConfirmed)
    def _costs_confirmed(self, total: str, currency: str, meta: Meta) -> None:
        self.costs_confirmed = True

    # Apportionment and who bears what (分摊比例, 004) ----------------------------------------

    @property
    def proposed_apportionment(self) -> list[dict[str, Any]]:
        """The investigation's responsible parties and shares, offered as the split."""
        return [
            {"kind": p["kind"], "name": p["name"], "ratio": str(p["share"])}
            for p in self.responsible_parties
        ]

    def apportion_costs(
        self,
        parties: list[dict[str, Any]] | None,
        numbering: Numbering,
        meta: Meta,
        reason: str | None = None,
    ) -> None:
        """Split the confirmed costs: as the investigation proposed (no parties given), or
        as finance decides, with a reason when that differs from the proposal."""
        proposed = self.proposed_apportionment
        if parties is None:
            if not proposed:
                raise Invalid(
                    "the investigation named no responsible parties: give the parties",
                    field="parties",
                    rule="required",
                )
            parties = proposed
        elif proposed and _split(parties) != _split(proposed) and not reason:
            raise Invalid(
                "the split differs from the investigation's; give the reason for the change",
                field="reason",
                rule="reason_for_change",
            )
        if not self.costs_confirmed:
            raise Conflict("costs are apportioned once all four sign-offs are in")
        if self.apportionment is not None:
            raise Conflict(
                "the apportionment is applied and frozen", field="parties", rule="frozen"
            )
        try:
            shares = apportion(self.cost_total, [Decimal(str(p["ratio"])) for p in parties])
        except ApportionmentError as error:
            raise Invalid(str(error), field="parties", rule="ratios_total_100") from None
        applied = [
            {**p, "ratio": str(p["ratio"]), "amount": str(s.amount)}
            for p, s in zip(parties, shares, strict=True)
        ]
        self._apportioned(
            total=str(self.cost_total.amount),
            shares=applied,
            currency=self.currency,
            proposed=proposed,
            reason=reason,
            meta=meta,
        )
        for share in applied:
            self._charge_back(share, numbering, meta)

    class CostsApportioned(ClockedAggregate.Event):
        total: str
        shares: list[dict[str, Any]]
        currency: str
        meta: Meta
        proposed: list[dict[str, Any]] | None = None
        reason: str | None = None

    @event(CostsApportioned)
    def _apportioned(
        self,
        total: str,
        shares: list[dict[str, Any]],
        currency: str,
        meta: Meta,
        proposed: list[dict[str, Any]] | None = None,
        reason: str | None = None,
    ) -> None:
        self.apportionment = shares

    _CHARGE_BACKS = {
        "carrier": ("deducted_from_freight_payable", "freight_payable", None),
        "supplier": ("debit_note", "supplier_payable", "DN"),
        "distributor": ("rebate_deduction", "rebates_payable", None),
        "customer": ("customer_borne", "other_receivable_customer", None),
    }

    def _charge_back(self, share: dict[str, Any], numbering: Numbering, meta: Meta) -> None:
        amount = self.money(share["amount"])
        if share["kind"] not in self._CHARGE_BACKS or not amount.amount:
            return  # internal units and persons bear their share as company cost
        method, account, document_kind = self._CHARGE_BACKS[share["kind"]]
        document = numbering(document_kind) if document_kind else None
        self._charged_back(
            party_kind=share["kind"],
            party=share["name"],
            method=method,
            amount=str(amount.amount),
            document=document,
            currency=self.currency,
            meta=meta,
        )
        self._post(
            numbering,
            f"charge_back:{share['kind']}:{share['name']}",
            [
                dr(account, amount, f"{method} {document or ''}".strip(), share["name"]),
                cr("complaint_cost_recovery", amount, f"recovered from {share['name']}"),
            ],
            meta,
        )

    class ChargedBack(ClockedAggregate.Event):
        party_kind: str
        party: str
        method: str
        amount: str
        document: str | None
        currency: str
        meta: Meta

    @event(ChargedBack)
    def _charged_back(
        self,
        party_kind: str,
        party: str,
        method: str,
        amount: str,
        document: str | None,
        currency: str,
        meta: Meta,
    ) -> None:
        pass

    # Penalties (处罚) -------------------------------------------------------------------------

    @property
    def loss(self) -> Money:
        """What the complaint cost: confirmed costs, refunds, allowances, compensation."""
        total = self.cost_total if self.costs_confirmed else Money(Decimal(0), self.currency)
        if self.credit_note:
            total += self.money(self.credit_note["net"])
        for part in (*self.allowances, *self.compensations):
            total += self.money(part.get("net", part.get("amount")))
        return total

    def assess_penalty(
        self,
        target_kind: str,
        target: str,
        basis: str,
        value: str,
        reason: str,
        numbering: Numbering,
        meta: Meta,
    ) -> None:
        if target_kind not in ("person", "unit"):
            raise Invalid("a penalty is on a person or a unit", field="target_kind", rule="enum")
        if basis == "share_of_loss":
            share = Decimal(value)
            if not 0 < share <= 100:
                raise Invalid(
                    "a share of the loss is 0 to 100 percent", field="value", rule="range"
                )
            amount = (self.loss * (share / Decimal(100))).rounded()
        elif basis == "fine":
            amount = self.money(value)
            bounds = policy()["fine_bounds"].get(self.currency)
            if bounds is None or not (
                Decimal(bounds["min"]) <= amount.amount <= Decimal(bounds["max"])
            ):
                raise Invalid(f"fines are bounded: {bounds}", field="value", rule="fine_bounds")
        else:
            raise Invalid("basis is share_of_loss or fine", field="basis", rule="enum")
        self._penalty_assessed(
            target_kind=target_kind,
            target=target,
            basis=basis,
            value=value,
            amount=str(amount.amount),
            reason=reason,
            currency=self.currency,
            meta=meta,
        )
        if target_kind == "person" and amount.amount:
            self._post(
                numbering,
                f"penalty:{target}",
                [
                    dr("other_receivable_employee", amount, reason, target),
                    cr("penalty_income", amount, reason),
                ],
                meta,
            )

    class PenaltyAssessed(ClockedAggregate.Event):
        target_kind: str
        target: str
        basis: str
        value: str
        amount: str
        reason: str
        currency: str
        meta: Meta

    @event(PenaltyAssessed)
    def _penalty_assessed(
        self,
        target_kind: str,
        target: str,
        basis: str,
        value: str,
        amount: str,
        reason: str,
        currency: str,
        meta: Meta,
    ) -> None:
        self.penalties.append({"target": target, "amount": amount, "basis": basis})

    # Corrections and completion -------------------------------------------------------------

    def reverse_voucher(self, voucher: str, reason: str, numbering: Numbering, meta: Meta) -> None:
        posted = self.vouchers.get(voucher)
        if posted is None:
            raise Invalid(
                f"no voucher {voucher} on this settlement", field="voucher", rule="exists"
            )
        if posted["reverses"] or posted["reversed_by"]:
            raise Conflict(f"voucher {voucher} is a reversal or reversed already")
        number = numbering("JV")
        self._voucher_posted(
            voucher=number,
            source=f"reversal:{reason}",
            currency=self.currency,
            lines=reversed_lines(posted["lines"]),
            reverses=voucher,
            meta=meta,
        )

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
