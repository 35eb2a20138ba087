"""Settlement's Application: settlements opened from routing's approvals, the money commands,
and the receivables hold that follows intake's complaint."""

from __future__ import annotations

import threading
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.settlement.commands import Complete, Desk, SettlementCommand
from services.settlement.domain import (
    DocumentSequence,
    Numbering,
    ReceivableHold,
    Settlement,
    settlement_id,
)
from services.settlement.policies import reactions
from services.settlement.policy import SettlementPolicy, shipped_policy
from shared.kernel import clock
from shared.kernel.case_number import CaseNumber
from shared.kernel.errors import NotFound
from shared.kernel.meta import Meta, for_case
from shared.platform.eventstore import ServiceApplication


class SettlementApplication(ServiceApplication):
    name = "settlement"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(
        self, env: dict[str, str] | None = None, policy: SettlementPolicy | None = None
    ) -> None:
        super().__init__(env)
        #: The company's settlement policy; every command receives it at the desk.
        self.settlement_policy = policy or shipped_policy()
        #: Reactions to upstream events, typed by their contracts (`shared.platform.reactions`).
        self.policy = reactions(self)
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
            desk = Desk(self.numbering_into(sequences), self.settlement_policy)
            command.run(settlement, meta, desk)
            changed: list[Any] = list(sequences.values())
            if isinstance(command, Complete):
                hold = self.hold(number)
                if hold and hold.release("settlement completed", False, meta):
                    changed.append(hold)
            return changed

        with self._numbering:
            return self.change_retrying(lambda: self.settlement(number), run)

    def numbering_into(self, sequences: dict[str, DocumentSequence]) -> Numbering:
        """Document numbering for one save: each kind's sequence loaded once, issued in order."""
        year = clock.now().year

        def issue(kind: str) -> str:
            if kind not in sequences:
                try:
                    sequences[kind] = self.repository.get(DocumentSequence.create_id(kind, year))
                except AggregateNotFoundError:
                    sequences[kind] = DocumentSequence(kind=kind, year=year)
            return sequences[kind].next()

        return issue
