"""The settlement's vouchers: every financial effect posts a balanced voucher; a
posted voucher is corrected only by its reversal."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from services.settlement.accounting import cr, dr, reversed_lines, voucher_lines
from services.settlement.domain.sequences import Numbering
from services.settlement.domain.state import SettlementState
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Conflict, Invalid
from shared.kernel.meta import Meta
from shared.kernel.money import Money


class Ledger(SettlementState):
    """The settlement's part that posts balanced vouchers and reverses them."""

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
