"""Settlement's Application: settlements opened from routing's approvals, the money commands,
and the receivables hold that follows intake's complaint."""

from __future__ import annotations

import threading
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.settlement.commands import Complete, SettlementCommand
from services.settlement.domain import DocumentSequence, ReceivableHold, Settlement, settlement_id
from shared.contracts import intake, routing
from shared.contracts.envelope import IntegrationEvent
from shared.kernel import clock
from shared.kernel.case_number import CaseNumber
from shared.kernel.errors import NotFound
from shared.kernel.meta import Meta, caused_by, for_case
from shared.platform.eventstore import ServiceApplication
from shared.platform.reactions import Reactions


class SettlementApplication(ServiceApplication):
    name = "settlement"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        #: Reactions to upstream events, typed by their contracts (`shared.platform.reactions`).
        self.policy = self.reactions()
        # Document numbers are issued one at a time per process; across processes the
        # sequences' optimistic versions keep them gapless and unique.
        self._numbering = threading.Lock()

    # Queries --------------------------------------------------------------------------------

    def settlement(self, number: str, cycle: int | None = None) -> Settlement:
        """The settlement of a case's cycle; the latest cycle's when none is given."""
        CaseNumber.parse(number)
        if cycle is not None:
            try:
                return self.repository.get(settlement_id(number, cycle))
            except AggregateNotFoundError:
                raise NotFound(f"no settlement for case {number} cycle {cycle}") from None
        cycles = self._cycles(number)
        if not cycles:
            raise NotFound(f"no settlement for case {number}")
        return self.repository.get(cycles[-1])

    def _cycles(self, number: str) -> list[UUID]:
        """The ids of the case's settlements, one per handling cycle, oldest first."""
        ids = []
        for cycle in range(1, 1000):
            if settlement_id(number, cycle) not in self.repository:
                break
            ids.append(settlement_id(number, cycle))
        return ids

    def case_streams(self, number: str) -> list[UUID]:
        """Every cycle's settlement, then the receivable hold, of those that exist."""
        hold = ReceivableHold.create_id(number)
        return self._cycles(number) + ([hold] if hold in self.repository else [])

    def hold(self, number: str) -> ReceivableHold | None:
        try:
            return self.repository.get(ReceivableHold.create_id(number))
        except AggregateNotFoundError:
            return None

    # Commands -------------------------------------------------------------------------------

    def act(self, command: SettlementCommand, meta: Meta) -> Settlement:
        """Run a settlement command with document numbering; all of it saved at once."""
        number = command.number
        meta = for_case(meta, number)

        def run(settlement: Settlement) -> list[Any]:
            sequences: dict[str, DocumentSequence] = {}
            command.run(settlement, meta, self._numbering_into(sequences))
            changed: list[Any] = list(sequences.values())
            if isinstance(command, Complete):
                hold = self.hold(number)
                if hold and hold.release("settlement completed", False, meta):
                    changed.append(hold)
            return changed

        with self._numbering:
            return self.change_retrying(lambda: self.settlement(number), run)

    def _numbering_into(self, sequences: dict[str, DocumentSequence]):
        year = clock.now().year

        def issue(kind: str) -> str:
            if kind not in sequences:
                try:
                    sequences[kind] = self.repository.get(DocumentSequence.create_id(kind, year))
                except AggregateNotFoundError:
                    sequences[kind] = DocumentSequence(kind=kind, year=year)
            return sequences[kind].next()

        return issue

    # Policy: reactions to routing's and intake's events -------------------------------------

    def reactions(self) -> Reactions:
        return Reactions(
            {
                routing.RemedyApprovedV1: self._open,
                intake.ComplaintRegisteredV1: self._place_hold,
                intake.ComplaintJudgedV1: self._release_hold,
                intake.ComplaintWithdrawnV1: self._release_hold,
            }
        )

    def _open(self, event: IntegrationEvent, approved: routing.RemedyApprovedV1) -> list[Any]:
        """The cycle's first approval opens its settlement; a supplement raises its bounds."""
        meta = caused_by(event)
        remedies = [r.model_dump(mode="json", exclude_unset=True) for r in approved.remedies]
        approval = {
            "event_id": str(event.event_id),
            "approval_no": approved.approval_no,
            "approver_id": approved.approver_id,
            "level": approved.approver_level,
        }
        if settlement_id(event.case_number, approved.cycle) in self.repository:
            settlement = self.settlement(event.case_number, approved.cycle)
            added = settlement.add_approval(approval, remedies, approved.total_amount, meta)
            return [settlement] if added else []
        settlement = Settlement(
            number=event.case_number,
            cycle=approved.cycle,
            customer=approved.customer.model_dump(mode="json", exclude_unset=True),
            remedies=remedies,
            total_amount=approved.total_amount,
            currency=approved.currency,
            responsible_parties=[
                p.model_dump(mode="json", exclude_unset=True) for p in approved.responsible_parties
            ],
            subject=approved.subject,
            approval=approval,
            meta=meta,
        )
        sequences: dict[str, DocumentSequence] = {}
        settlement.issue_return_note(self._numbering_into(sequences), meta)
        return [settlement, *sequences.values()]

    def _place_hold(
        self, event: IntegrationEvent, registered: intake.ComplaintRegisteredV1
    ) -> list[Any]:
        part_no = registered.subject.part_no
        if not part_no or ReceivableHold.create_id(event.case_number) in self.repository:
            return []
        return [
            ReceivableHold(
                number=event.case_number,
                customer=registered.complainant.model_dump(mode="json", exclude_unset=True),
                part_nos=[part_no],
                meta=caused_by(event),
            )
        ]

    def _release_hold(
        self,
        event: IntegrationEvent,
        ended: intake.ComplaintJudgedV1 | intake.ComplaintWithdrawnV1,
    ) -> list[Any]:
        not_valid = isinstance(ended, intake.ComplaintJudgedV1)
        if isinstance(ended, intake.ComplaintJudgedV1) and ended.valid:
            return []
        reason = "not valid: collect on normal terms (002 §九.14)" if not_valid else "withdrawn"
        hold = self.hold(event.case_number)
        if hold and hold.release(reason, not_valid, caused_by(event)):
            return [hold]
        return []
