"""Price allowance (折让) and compensation (赔偿), each within its approval."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from services.settlement.accounting import cr, dr
from services.settlement.domain.approvals import Approvals
from services.settlement.domain.ledger import Ledger
from services.settlement.domain.sequences import Numbering
from services.settlement.domain.state import MAX_DOCUMENTS, line_amounts, sum_of
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Invalid
from shared.kernel.meta import Meta


class Credits(Approvals, Ledger):
    """The settlement's part for allowances and compensation."""

    def issue_allowance(
        self, mode: str, value: str, lines: list[dict[str, Any]], numbering: Numbering, meta: Meta
    ) -> None:
        """Per unit (value per piece) or percent (of the invoiced line); 销货折让证明单."""
        self._check_open("issue an allowance")
        self._check_room(self.allowances, MAX_DOCUMENTS, "allowances", "value", "allowances_limit")
        if mode not in ("per_unit", "percent"):
            raise Invalid("mode is per_unit or percent", field="mode", rule="enum")
        rate = Decimal(value)
        if rate <= 0 or (mode == "percent" and rate > 100):
            raise Invalid(
                "the allowance must be positive (and at most 100%)", field="value", rule="range"
            )
        computed = [self._allowance_line(mode, rate, line) for line in lines]
        net, tax, gross = (sum_of(computed, k, self.currency) for k in ("net", "tax", "gross"))
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
            **line_amounts(net, tax_rate),
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
        self._check_room(
            self.compensations, MAX_DOCUMENTS, "compensations", "amount", "compensations_limit"
        )
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
