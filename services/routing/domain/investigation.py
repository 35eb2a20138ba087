"""The investigation: the problem, five whys, fishbone and root cause (8D, seed 003), and
who is responsible."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from services.routing.domain.clocks import Clocks
from services.routing.domain.state import FISHBONE, CaseStatus
from services.routing.rules import RuleSet
from shared.contracts.common import PARTY_KINDS
from shared.contracts.routing import StopCause
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Invalid
from shared.kernel.meta import Meta


class Investigation(Clocks):
    """The case's part that records the investigation."""

    def record_investigation(
        self,
        problem: dict[str, Any],
        five_whys: list[str],
        fishbone: dict[str, list[str]],
        root_cause: str,
        responsible_parties: list[dict[str, Any]],
        meta: Meta,
        rules: RuleSet | None = None,
    ) -> None:
        """Record the investigation; who it finds responsible may route the case anew
        (a carrier at fault: logistics), by `rules`."""
        self._check_active("record an investigation")
        unknown = set(fishbone) - set(FISHBONE)
        if unknown:
            raise Invalid(
                f"fishbone categories are {', '.join(FISHBONE)}", field="fishbone", rule="enum"
            )
        if responsible_parties:
            shares = sum(Decimal(str(p["share"])) for p in responsible_parties)
            if shares != Decimal(100):
                raise Invalid(
                    f"responsibility shares total {shares}%, not 100%",
                    field="responsible_parties",
                    rule="shares_total_100",
                )
            bad = [p["kind"] for p in responsible_parties if p["kind"] not in PARTY_KINDS]
            if bad:
                raise Invalid(
                    f"unknown party kind {bad[0]!r}", field="responsible_parties", rule="enum"
                )
        self._investigated(
            problem=problem,
            five_whys=five_whys,
            fishbone=fishbone,
            root_cause=root_cause,
            responsible_parties=responsible_parties,
            meta=meta,
        )
        self.stop_clock(
            "investigation_report", meta, StopCause.completed, "investigation report recorded"
        )
        if rules is not None:
            self.reroute(rules, "investigated", meta)

    class InvestigationRecorded(ClockedAggregate.Event):
        problem: dict[str, Any]
        five_whys: list[str]
        fishbone: dict[str, list[str]]
        root_cause: str
        responsible_parties: list[dict[str, Any]]
        meta: Meta

    @event(InvestigationRecorded)
    def _investigated(
        self,
        problem: dict[str, Any],
        five_whys: list[str],
        fishbone: dict[str, list[str]],
        root_cause: str,
        responsible_parties: list[dict[str, Any]],
        meta: Meta,
    ) -> None:
        self.investigation = {
            "problem": problem,
            "five_whys": five_whys,
            "fishbone": fishbone,
            "root_cause": root_cause,
            "responsible_parties": responsible_parties,
        }
        if self.status == CaseStatus.assigned:
            self.status = CaseStatus.investigated
