"""The cost sheet (客户投诉费用确认单, seed 000), its sign-offs, and who bears what:
apportionment (分摊比例, 004) and the charge-backs it raises."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from services.settlement.accounting import cr, dr
from services.settlement.domain.ledger import Ledger
from services.settlement.domain.sequences import Numbering
from services.settlement.domain.state import sum_of
from services.settlement.policy import SettlementPolicy
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Conflict, Invalid
from shared.kernel.meta import Meta
from shared.kernel.money import ApportionmentError, Money, apportion

#: Lines a cost sheet keeps at most: it is shown whole with the settlement.
MAX_COST_LINES = 200


def _split(parties: list[dict[str, Any]]) -> set[tuple[str, str, Decimal]]:
    """A split as data to compare: who bears which percentage."""
    return {(p["kind"], p["name"], Decimal(str(p["ratio"]))) for p in parties}


class CostSheet(Ledger):
    """The settlement's part for the cost sheet, its apportionment and charge-backs."""

    def record_cost(
        self,
        item: str,
        amount: str,
        accounting_unit: str,
        owner: str,
        policy: SettlementPolicy,
        meta: Meta,
    ) -> None:
        self._check_open("record a cost")
        self._check_room(self.costs, MAX_COST_LINES, "cost lines", "item", "cost_lines_limit")
        if self.costs_confirmed:
            raise Conflict(
                "the costs are signed off; record a correction on a new line after reversal",
                field="item",
                rule="confirmed",
            )
        if item not in policy.cost_items and not item.startswith("custom:"):
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
        return sum_of(self.costs, "amount", self.currency)

    def sign_off_costs(
        self, role: str, by: str, numbering: Numbering, policy: SettlementPolicy, meta: Meta
    ) -> None:
        """One of the four sign-offs of the cost sheet (seed 000), each by a different person:
        four eyes mean four people, so nobody signs twice under different roles."""
        roles = policy.sign_off_roles
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
