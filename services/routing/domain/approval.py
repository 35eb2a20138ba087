"""Remedy proposals, memos and approval within the approver's authority (核决权限, 002 §九.11),
supplements included."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from services.routing.authority import Authority
from services.routing.domain.clocks import Clocks
from services.routing.domain.state import CaseStatus
from shared.contracts.routing import StopCause
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Conflict, Forbidden, Invalid, check_room
from shared.kernel.meta import Meta
from shared.kernel.money import Money, at_minor_unit
from shared.kernel.values import MINOR_UNIT_RULE, below_minor_unit

#: Memos a case keeps at most, over all its cycles.
MAX_MEMOS = 100
#: Remedies that are nothing but money: one of them for 0.00 would open a settlement with
#: nothing to pay, so each pays more than 0 (a return, an exchange or a repair may cost nothing).
MONEY_ONLY = ("allowance", "compensation")
#: Approvals a cycle keeps at most (the first and its supplements): each is shown with the
#: case and carried to the settlement, which pays against all of them.
MAX_APPROVALS = 20


class Approval(Clocks):
    """The case's part for proposals, memos, approval and rejection."""

    @property
    def supplementing(self) -> bool:
        """A proposal made after an approval of this cycle adds to it (a supplement)."""
        return bool(self.approvals)

    def propose(
        self,
        remedies: list[dict[str, Any]],
        currency: str,
        actions: list[dict[str, Any]],
        authority: Authority,
        meta: Meta,
    ) -> None:
        """Propose remedies; after an approval, a supplement to it (paying more than approved).

        A supplement may add allowances, compensation, exchanges and repairs. Returns are
        bounded by their approved lines and the over-receipt rule of the seed (a decision on
        what came back beyond the tolerance), so a supplement cannot add return lines.
        """
        if self.status not in (
            CaseStatus.assigned,
            CaseStatus.investigated,
            CaseStatus.proposed,
            CaseStatus.approved,
        ):
            raise Conflict(f"case {self.number} is {self.status}; a remedy cannot be proposed")
        if not remedies:
            raise Invalid("at least one remedy is needed", field="remedies", rule="min_items")
        remedies = [
            self._checked_line(index, line, currency) for index, line in enumerate(remedies)
        ]
        if self.supplementing:
            self._check_supplement(remedies, currency)
        total = sum(
            (Money(Decimal(str(r["amount"])), currency) for r in remedies),
            Money(Decimal(0), currency),
        ).rounded()
        authority.required_level(total.amount, currency)  # refuses a currency without limits
        if total.amount <= 0 and self.supplementing:
            raise Invalid("a supplement adds money", field="remedies", rule="positive_total")
        self._proposed(
            remedies=remedies,
            total_amount=str(total.amount),
            currency=currency,
            actions=actions,
            meta=meta,
        )
        self.stop_clock(
            "unit_conclusion", meta, StopCause.completed, "the unit concluded with a proposal"
        )

    @staticmethod
    def _checked_line(index: int, line: dict[str, Any], currency: str) -> dict[str, Any]:
        """The line as proposed, its amount spelled at the minor unit; or why it is refused."""
        field = f"remedies.{index}.amount"
        if problem := below_minor_unit(line["amount"], currency):
            raise Invalid(problem, field=field, rule=MINOR_UNIT_RULE)
        if line["kind"] in MONEY_ONLY and not Decimal(line["amount"]):
            raise Invalid(
                f"{line['kind']} is money only: its amount must be more than 0",
                field=field,
                rule="positive",
            )
        if line.get("quantity") is not None and line.get("unit_price") is not None:
            line_total = Money(Decimal(line["unit_price"]), currency) * int(line["quantity"])
            expected = line_total.rounded().amount
            if Decimal(line["amount"]) != expected:
                raise Invalid(
                    f"amount {line['amount']} is not quantity × unit price ({expected})",
                    field=field,
                    rule="quantity_times_price",
                )
        return {**line, "amount": at_minor_unit(line["amount"], currency)}

    def _check_supplement(self, remedies: list[dict[str, Any]], currency: str) -> None:
        assert self.approved_total is not None
        check_room(
            self.approvals,
            MAX_APPROVALS,
            f"case {self.number}'s cycle",
            "approvals",
            "remedies",
            "approvals_limit",
        )
        if currency != self.approved_total.currency:
            raise Invalid(
                f"a supplement is in the approved currency {self.approved_total.currency}",
                field="currency",
                rule="same_currency",
            )
        for index, line in enumerate(remedies):
            if line["kind"] == "return":
                raise Invalid(
                    "a supplement cannot add returns: what came back beyond the approved "
                    "quantity is decided on the settlement (over-receipt decision)",
                    field=f"remedies.{index}.kind",
                    rule="supplement_kinds",
                )

    class RemedyProposed(ClockedAggregate.Event):
        remedies: list[dict[str, Any]]
        total_amount: str
        currency: str
        meta: Meta
        actions: list[dict[str, Any]] | None = None

    @event(RemedyProposed)
    def _proposed(
        self,
        remedies: list[dict[str, Any]],
        total_amount: str,
        currency: str,
        meta: Meta,
        actions: list[dict[str, Any]] | None = None,
    ) -> None:
        self.remedies = remedies
        self.actions = actions or []
        self.total = Money(Decimal(total_amount), currency)
        self.status = CaseStatus.proposed

    class MemoFiled(ClockedAggregate.Event):
        from_unit: str
        author: str
        text: str
        meta: Meta

    def file_memo(self, from_unit: str, author: str, text: str, meta: Meta) -> None:
        """签呈: a formal objection or remark by another department, kept on the case.

        At most `MAX_MEMOS` a case: every memo is shown with the case, so an unbounded
        number would make each read of it unbounded too."""
        check_room(self.memos, MAX_MEMOS, f"case {self.number}", "memos", "text", "memo_limit")
        self._memo_filed(from_unit=from_unit, author=author, text=text, meta=meta)

    @event(MemoFiled)
    def _memo_filed(self, from_unit: str, author: str, text: str, meta: Meta) -> None:
        self.memos.append({"from_unit": from_unit, "author": author, "text": text})

    def approve(
        self, approver_id: str, approver_level: str | None, authority: Authority, meta: Meta
    ) -> None:
        """Approve the proposal if the approver's authority covers the cycle's cumulative total.

        For a supplement the amount that needs authority is what the cycle's approvals then
        cover together: a manager cannot approve 60,000 and then 60,000 more.
        """
        if self.status != CaseStatus.proposed or self.total is None:
            raise Conflict(f"case {self.number} is {self.status}; nothing to approve")
        if approver_level not in authority.levels:
            raise Forbidden(
                f"authority level {approver_level!r} is not one of {', '.join(authority.levels)}",
                field="authority",
                rule="known_level",
            )
        cumulative = self.total + self.approved_total if self.approved_total else self.total
        required = authority.required_level(cumulative.amount, cumulative.currency)
        if not authority.covers(approver_level, required):
            what = f"{cumulative} (this cycle's approvals together)" if self.approvals else ""
            raise Forbidden(
                f"{what or self.total} needs approval by {required}; "
                f"{approver_level} cannot approve it",
                field="authority",
                rule="authority",
            )
        parties = (self.investigation or {}).get("responsible_parties", [])
        self._approved(
            approver_id=approver_id,
            approver_level=approver_level,
            required_level=required,
            remedies=self.remedies,
            total_amount=str(self.total.amount),
            currency=self.total.currency,
            customer=self.customer,
            unit=self.unit or "",
            responsible_parties=parties,
            cycle=self.cycle,
            subject=self.subject,
            authority_verified=True,
            approval_no=len(self.approvals) + 1,
            cumulative_total=str(cumulative.amount),
            meta=meta,
        )

    class RemedyApproved(ClockedAggregate.Event):
        """Version 2 adds `authority_verified`; version 3 `approval_no` and `cumulative_total`.

        Before bearer tokens, an approver stated its own authority level in the request;
        since, the level comes from a verified token. Stored version-1 approvals are
        upcast as unverified, so an auditor can tell the two apart. Before supplements, a
        cycle had one approval, so stored version-2 approvals are the first of their cycle.
        """

        class_version = 3
        approver_id: str
        approver_level: str
        required_level: str
        remedies: list[dict[str, Any]]
        total_amount: str
        currency: str
        customer: dict[str, Any]
        unit: str
        meta: Meta
        responsible_parties: list[dict[str, Any]] | None
        cycle: int
        subject: dict[str, Any] | None
        authority_verified: bool
        approval_no: int
        cumulative_total: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["authority_verified"] = False

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["approval_no"] = 1
            state["cumulative_total"] = state["total_amount"]

    @event(RemedyApproved)
    def _approved(
        self,
        approver_id: str,
        approver_level: str,
        required_level: str,
        remedies: list[dict[str, Any]],
        total_amount: str,
        currency: str,
        customer: dict[str, Any],
        unit: str,
        meta: Meta,
        responsible_parties: list[dict[str, Any]] | None = None,
        cycle: int = 1,
        subject: dict[str, Any] | None = None,
        authority_verified: bool = False,
        approval_no: int = 1,
        cumulative_total: str | None = None,
    ) -> None:
        self.approval = {
            "approver_id": approver_id,
            "level": approver_level,
            "authority_verified": authority_verified,
            "approval_no": approval_no,
        }
        self.approvals.append({**self.approval, "remedies": remedies, "total_amount": total_amount})
        self.approved_total = Money(Decimal(cumulative_total or total_amount), currency)
        self.status = CaseStatus.approved

    def reject(self, approver_id: str, reason: str, meta: Meta) -> None:
        if self.status != CaseStatus.proposed:
            raise Conflict(f"case {self.number} is {self.status}; nothing to reject")
        self._rejected(approver_id=approver_id, reason=reason, meta=meta)

    class RemedyRejected(ClockedAggregate.Event):
        approver_id: str
        reason: str
        meta: Meta

    @event(RemedyRejected)
    def _rejected(self, approver_id: str, reason: str, meta: Meta) -> None:
        """A rejected supplement leaves the earlier approval standing."""
        if self.approvals:
            self.status = CaseStatus.approved
        else:
            self.status = CaseStatus.investigated if self.investigation else CaseStatus.assigned
