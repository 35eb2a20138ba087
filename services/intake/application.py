"""Intake's Application: the commands and queries of a complaint desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError

from services.intake.commands import LinkRepeat
from services.intake.domain import Complaint, NumberSequence
from services.intake.policies import reactions
from services.intake.registrar import Queued, Registrar
from services.intake.taxonomy import Taxonomy, severity_for, shipped_taxonomy
from shared.kernel import clock
from shared.kernel.case_number import CaseNumber, aggregate_id, numbering_period
from shared.kernel.commands import Command
from shared.kernel.errors import Invalid, NotFound
from shared.kernel.meta import Meta, for_case
from shared.kernel.periods import final_at, month_of
from shared.kernel.principal import Principal
from shared.platform import idempotency
from shared.platform.eventstore import ServiceApplication


@dataclass(frozen=True)
class Registration:
    received_at: datetime
    channel: str
    nature: str
    complainant: dict[str, Any]
    subject: dict[str, Any]
    description: str
    demands: dict[str, Any]
    taken_by: str
    problem: dict[str, Any] | None = None
    flags: tuple[str, ...] = ()
    #: Why a complaint is registered into a month whose report is final (admins only).
    backdating_reason: str | None = None


@dataclass(frozen=True)
class Registered:
    complaint: Complaint
    replayed: bool  # True when an Idempotency-Key returned an earlier result


class IntakeApplication(ServiceApplication):
    name = "intake"
    #: The month's number sequence is read on every registration: keep it cached (reads
    #: only newer events) and snapshotted (restarts do not replay a whole month).
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}
    snapshotting_intervals: ClassVar = {NumberSequence: 200}

    def __init__(
        self,
        env: dict[str, str],
        business_timezone: str,
        acknowledge_within: timedelta = timedelta(hours=24),
        report_final_day: int = 10,
        taxonomy: Taxonomy | None = None,
    ) -> None:
        super().__init__(env)
        self.business_timezone = business_timezone
        #: The classification schemes in force; the classify command carries them.
        self.taxonomy = taxonomy or shipped_taxonomy()
        self.acknowledge_within = acknowledge_within
        self.report_final_day = report_final_day
        #: Reactions to upstream events, typed by their contracts (`shared.platform.reactions`).
        self.policy = reactions(self)
        #: Numbers and saves registrations, those queued together in one transaction.
        self.registrar = Registrar(self)

    # Registration ---------------------------------------------------------------------------

    def register(
        self,
        registration: Registration,
        meta: Meta,
        repeats: list[dict[str, Any]] | tuple = (),
    ) -> Registered:
        """Number and record a complaint, atomically with its serial and, when the request
        carries an Idempotency-Key, its answer (`shared.platform.idempotency`): a retry is answered
        with the complaint as first registered, and is refused if it is another request.
        """
        request = idempotency.take()
        self._check_backdating(registration)
        period = numbering_period(registration.received_at, self.business_timezone)
        severity = severity_for(
            registration.channel,
            registration.complainant.get("type", ""),
            registration.nature,
            frozenset(registration.flags),
        )

        def build(number: str) -> Complaint:
            case_meta = for_case(meta, number)
            complaint = Complaint(
                number=number,
                received_at=registration.received_at,
                channel=registration.channel,
                nature=registration.nature,
                complainant=registration.complainant,
                subject=registration.subject,
                problem=registration.problem,
                description=registration.description,
                demands=registration.demands,
                taken_by=registration.taken_by,
                flags=sorted(registration.flags),
                severity=severity.level,
                severity_rule=severity.rule,
                acknowledge_due=registration.received_at + self.acknowledge_within,
                backdating_reason=registration.backdating_reason,
                meta=case_meta,
            )
            for candidate in repeats:
                complaint.link_repeat(candidate["number"], candidate["matched_on"], case_meta)
            return complaint

        complaint, replayed = self.registrar.register(Queued(period, build, request))
        return Registered(complaint, replayed=replayed)

    def _check_backdating(self, registration: Registration) -> None:
        """A month whose report is final is closed to registration, except by an admin who
        says why (the reason is recorded, and analytics amends the month's report)."""
        zone = ZoneInfo(self.business_timezone)
        month = month_of(registration.received_at, zone)
        frozen = final_at(month, self.report_final_day, zone)
        if clock.now() < frozen and registration.backdating_reason:
            raise Invalid(
                f"{month}'s report is not final yet: register without a backdating reason",
                field="backdating_reason",
                rule="not_backdated",
            )
        if clock.now() >= frozen and not registration.backdating_reason:
            raise Invalid(
                f"received_at is in {month}, whose report is final since "
                f"{frozen.astimezone(UTC).isoformat()}; only an admin may register into it, "
                "with a backdating_reason",
                field="received_at",
                rule="report_final",
            )

    # Queries --------------------------------------------------------------------------------

    def complaint(self, number: str) -> Complaint:
        CaseNumber.parse(number)
        try:
            return self.repository.get(aggregate_id("intake.complaint", number))
        except AggregateNotFoundError:
            raise NotFound(f"no complaint {number}") from None

    def case_streams(self, number: str) -> list[UUID]:
        stream = aggregate_id("intake.complaint", number)
        return [stream] if stream in self.repository else []

    # Commands on a complaint ----------------------------------------------------------------

    def change(self, command: Command[Complaint], meta: Meta) -> Complaint:
        """Run one command on the complaint and save what it recorded."""
        return self.run_command(lambda: self.complaint(command.number), command, meta)

    def act(self, command: Command[Complaint], who: Principal) -> Complaint:
        """A caller's command on the complaint (`act_on`: authorized as it then stands)."""
        return self.act_on(lambda: self.complaint(command.number), command, who)

    def link_repeat(self, number: str, earlier: str, meta: Meta) -> Complaint:
        later, before = self.complaint(number), self.complaint(earlier)
        matched = [
            name
            for name in ("order_no", "part_no", "batch")
            if later.subject.get(name) and later.subject.get(name) == before.subject.get(name)
        ] or ["manual"]
        return self.change(LinkRepeat(number, earlier=earlier, matched_on=matched), meta)
