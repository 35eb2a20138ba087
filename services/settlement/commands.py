"""The commands finance gives a settlement, one frozen dataclass each.

A command names the case (`number`) and carries what finance decided; `run` applies it to
the case's settlement with the document numbering of the same transaction (credit notes,
allowance certificates and vouchers are numbered in the save that issues them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from services.settlement.domain import Numbering, Settlement
from services.settlement.policy import SettlementPolicy
from shared.kernel.meta import Meta


@dataclass(frozen=True)
class Desk:
    """What finance's desk hands every command: the save's document numbering and the
    settlement policy in force (`SettlementApplication` supplies both)."""

    numbering: Numbering
    policy: SettlementPolicy


class SettlementCommand(Protocol):
    """A command on a case's settlement, run at finance's desk."""

    @property
    def number(self) -> str: ...

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None: ...


@dataclass(frozen=True)
class Receive:
    """The warehouse signs for what actually arrived (partial receipts allowed)."""

    number: str
    part_no: str
    quantity: int
    received_by: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.receive(
            part_no=self.part_no,
            quantity=self.quantity,
            received_by=self.received_by,
            policy=desk.policy,
            meta=meta,
        )


@dataclass(frozen=True)
class DecideOverReceipt:
    number: str
    part_no: str
    accept: bool
    reason: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.decide_over_receipt(
            part_no=self.part_no, accept=self.accept, reason=self.reason, meta=meta
        )


@dataclass(frozen=True)
class IssueCreditNote:
    number: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.issue_credit_note(numbering=desk.numbering, policy=desk.policy, meta=meta)


@dataclass(frozen=True)
class Order:
    """Replacement (换货) or rework (维修) order, with its cost."""

    number: str
    kind: str
    part_no: str
    quantity: int
    unit_cost: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.order(
            kind=self.kind,
            part_no=self.part_no,
            quantity=self.quantity,
            unit_cost=self.unit_cost,
            numbering=desk.numbering,
            meta=meta,
        )


@dataclass(frozen=True)
class IssueAllowance:
    """Per unit (value per piece) or percent (of the invoiced line); 销货折让证明单."""

    number: str
    mode: str
    value: str
    lines: list[dict[str, Any]]

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.issue_allowance(
            mode=self.mode, value=self.value, lines=self.lines, numbering=desk.numbering, meta=meta
        )


@dataclass(frozen=True)
class AgreeCompensation:
    """An amount agreed with the customer, or paid to distributors in a batch recall."""

    number: str
    amount: str
    kind: str
    payee: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.agree_compensation(
            amount=self.amount,
            kind=self.kind,
            payee=self.payee,
            numbering=desk.numbering,
            meta=meta,
        )


@dataclass(frozen=True)
class RecordCost:
    number: str
    item: str
    amount: str
    accounting_unit: str
    owner: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.record_cost(
            item=self.item,
            amount=self.amount,
            accounting_unit=self.accounting_unit,
            owner=self.owner,
            policy=desk.policy,
            meta=meta,
        )


@dataclass(frozen=True)
class SetCostHeader:
    number: str
    inspected: int
    defective: int

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.set_cost_header(inspected=self.inspected, defective=self.defective, meta=meta)


@dataclass(frozen=True)
class SignOffCosts:
    """One of the four sign-offs of the cost sheet, each by a different person."""

    number: str
    role: str
    by: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.sign_off_costs(
            role=self.role, by=self.by, numbering=desk.numbering, policy=desk.policy, meta=meta
        )


@dataclass(frozen=True)
class ChangeTolerance:
    """Finance records the customer's ratio on this settlement (e.g. from the contract)."""

    number: str
    tolerance: str
    reason: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.change_tolerance(
            tolerance=self.tolerance, reason=self.reason, policy=desk.policy, meta=meta
        )


@dataclass(frozen=True)
class ApportionCosts:
    """Split the confirmed costs: as the investigation proposed, or as finance says."""

    number: str
    parties: list[dict[str, Any]] | None
    reason: str | None = None

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.apportion_costs(
            parties=self.parties, numbering=desk.numbering, meta=meta, reason=self.reason
        )


@dataclass(frozen=True)
class AssessPenalty:
    number: str
    target_kind: str
    target: str
    basis: str
    value: str
    reason: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.assess_penalty(
            target_kind=self.target_kind,
            target=self.target,
            basis=self.basis,
            value=self.value,
            reason=self.reason,
            numbering=desk.numbering,
            policy=desk.policy,
            meta=meta,
        )


@dataclass(frozen=True)
class ReverseVoucher:
    number: str
    voucher: str
    reason: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.reverse_voucher(
            voucher=self.voucher, reason=self.reason, numbering=desk.numbering, meta=meta
        )


@dataclass(frozen=True)
class Complete:
    number: str
    completed_by: str

    def run(self, settlement: Settlement, meta: Meta, desk: Desk) -> None:
        settlement.complete(completed_by=self.completed_by, meta=meta)
