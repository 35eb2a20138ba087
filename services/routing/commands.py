"""The commands a routing case takes, one frozen dataclass each.

A command names the case (`number`) and carries what the caller decided; `run` applies it
to the case as the application loaded it, inside the retry that checks the caller on that
same state (`ServiceApplication.act_on`). What the application supplies rather than the
caller (the deadline policy in force, the routing rules) travels in the command too, so the
command says everything its effect depended on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.routing.authority import Authority
from services.routing.deadlines import DeadlinePolicy
from services.routing.domain import Case
from services.routing.rules import RuleSet
from shared.kernel.meta import Meta


@dataclass(frozen=True)
class Reassign:
    """A manager moves the case, pinned there unless `pin` is false."""

    number: str
    unit: str
    reason: str
    pin: bool = True

    def run(self, case: Case, meta: Meta) -> None:
        case.reassign(unit=self.unit, reason=self.reason, meta=meta, pin=self.pin)


@dataclass(frozen=True)
class PinUnit:
    """Keep the case with its unit whatever the facts say (or let the rules decide again)."""

    number: str
    pinned: bool
    reason: str

    def run(self, case: Case, meta: Meta) -> None:
        case.pin(pinned=self.pinned, reason=self.reason, meta=meta)


@dataclass(frozen=True)
class PauseClock:
    number: str
    name: str
    reason: str

    def run(self, case: Case, meta: Meta) -> None:
        case.pause_clock(name=self.name, reason=self.reason, meta=meta)


@dataclass(frozen=True)
class ResumeClock:
    number: str
    name: str
    reason: str

    def run(self, case: Case, meta: Meta) -> None:
        case.resume_clock(name=self.name, reason=self.reason, meta=meta)


@dataclass(frozen=True)
class ExtendClock:
    number: str
    name: str
    due: datetime
    reason: str
    policy: DeadlinePolicy

    def run(self, case: Case, meta: Meta) -> None:
        case.extend_clock(
            name=self.name, due=self.due, reason=self.reason, policy=self.policy, meta=meta
        )


@dataclass(frozen=True)
class Rebaseline:
    """Apply a changed policy to this open case's running clocks, explicitly."""

    number: str
    policy: DeadlinePolicy
    reason: str

    def run(self, case: Case, meta: Meta) -> None:
        case.rebaseline(policy=self.policy, reason=self.reason, meta=meta)


@dataclass(frozen=True)
class RecordInvestigation:
    """The investigation; who it finds responsible may route the case anew."""

    number: str
    problem: dict[str, Any]
    five_whys: list[str]
    fishbone: dict[str, list[str]]
    root_cause: str
    responsible_parties: list[dict[str, Any]]
    rules: RuleSet | None = None

    def run(self, case: Case, meta: Meta) -> None:
        case.record_investigation(
            problem=self.problem,
            five_whys=self.five_whys,
            fishbone=self.fishbone,
            root_cause=self.root_cause,
            responsible_parties=self.responsible_parties,
            meta=meta,
            rules=self.rules,
        )


@dataclass(frozen=True)
class Propose:
    """Propose remedies; after an approval, a supplement to it (paying more than approved)."""

    number: str
    remedies: list[dict[str, Any]]
    currency: str
    actions: list[dict[str, Any]]
    authority: Authority

    def run(self, case: Case, meta: Meta) -> None:
        case.propose(
            remedies=self.remedies,
            currency=self.currency,
            actions=self.actions,
            authority=self.authority,
            meta=meta,
        )


@dataclass(frozen=True)
class FileMemo:
    """签呈: a formal objection or remark by another department, kept on the case."""

    number: str
    from_unit: str
    author: str
    text: str

    def run(self, case: Case, meta: Meta) -> None:
        case.file_memo(from_unit=self.from_unit, author=self.author, text=self.text, meta=meta)


@dataclass(frozen=True)
class Approve:
    """Approve, if the approver's authority covers the cycle's cumulative total."""

    number: str
    approver_id: str
    approver_level: str | None
    authority: Authority

    def run(self, case: Case, meta: Meta) -> None:
        case.approve(
            approver_id=self.approver_id,
            approver_level=self.approver_level,
            authority=self.authority,
            meta=meta,
        )


@dataclass(frozen=True)
class Reject:
    number: str
    approver_id: str
    reason: str

    def run(self, case: Case, meta: Meta) -> None:
        case.reject(approver_id=self.approver_id, reason=self.reason, meta=meta)


@dataclass(frozen=True)
class RecordFollowUp:
    number: str
    responsible_dealt_with: str | None
    people_briefed: str | None

    def run(self, case: Case, meta: Meta) -> None:
        case.record_follow_up(
            responsible_dealt_with=self.responsible_dealt_with,
            people_briefed=self.people_briefed,
            meta=meta,
        )


@dataclass(frozen=True)
class Close:
    number: str

    def run(self, case: Case, meta: Meta) -> None:
        case.close(meta=meta)
