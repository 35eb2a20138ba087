"""Penalties (处罚) on those responsible, within the company's fine bounds (004)."""

from __future__ import annotations

from decimal import Decimal

from eventsourcing.domain import event

from services.settlement.accounting import cr, dr
from services.settlement.domain.costs import CostSheet
from services.settlement.domain.sequences import Numbering
from services.settlement.policy import SettlementPolicy
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Invalid
from shared.kernel.meta import Meta
from shared.kernel.money import Money

#: Penalties a settlement keeps at most: they are shown whole with it.
MAX_PENALTIES = 100


class Penalties(CostSheet):
    """The settlement's part for penalties on those responsible."""

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
        policy: SettlementPolicy,
        meta: Meta,
    ) -> None:
        self._check_room(self.penalties, MAX_PENALTIES, "penalties", "target", "penalties_limit")
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
            amount = self._exact(value, "value")
            bounds = policy.fine_bounds.get(self.currency)
            if bounds is None or not bounds.hold(amount.amount):
                limits = f"{bounds.least} to {bounds.most}" if bounds else "none set"
                raise Invalid(
                    f"fines in {self.currency} are bounded: {limits}",
                    field="value",
                    rule="fine_bounds",
                )
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
