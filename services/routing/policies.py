"""Routing's reactions to upstream events, typed by their contracts: a registration opens
and assigns a case; intake's and settlement's later events stop its clocks, judge, reclassify,
reopen, withdraw or settle it. Each step is timed by when it happened upstream
(`event.occurred_at`), not when routing consumed it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from services.routing.domain import Case
from shared.contracts import intake, settlement
from shared.contracts.envelope import IntegrationEvent
from shared.contracts.routing import StopCause
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import NotFound
from shared.kernel.meta import Meta, caused_by
from shared.platform.reactions import Reactions

if TYPE_CHECKING:
    from services.routing.application import RoutingApplication


def reactions(app: RoutingApplication) -> Reactions:
    """What routing does with each upstream event it consumes."""

    on_case = partial(_on_case, app)
    return Reactions(
        {
            intake.ComplaintRegisteredV1: partial(_open, app),
            intake.ComplaintAcknowledgedV1: on_case(_acknowledged),
            intake.ComplaintJudgedV1: on_case(_judged),
            intake.ComplaintClassifiedV1: on_case(_classified),
            intake.OutcomeConfirmedV1: on_case(_confirmed),
            intake.ComplaintReopenedV1: on_case(_reopened),
            intake.ComplaintWithdrawnV1: on_case(_withdrawn),
            settlement.SettlementCompletedV1: on_case(_settled),
        }
    )


def _on_case(
    app: RoutingApplication, react: Callable[..., None]
) -> Callable[[IntegrationEvent, Any], list[Any]]:
    """A reaction to an event about an existing case (none: nothing to do)."""

    def reaction(event: IntegrationEvent, payload: Any) -> list[Any]:
        try:
            case = app.case(event.case_number)
        except NotFound:
            return []
        react(app, case, event, payload, caused_by(event))
        return [case]

    return reaction


def _open(
    app: RoutingApplication, event: IntegrationEvent, registered: intake.ComplaintRegisteredV1
) -> list[Any]:
    """Open the case, assign it by rule, and start its clocks from the complaint's receipt."""
    if aggregate_id("routing.case", event.case_number) in app.repository:
        return []
    meta = caused_by(event)
    case = Case(
        number=registered.number,
        received_at=registered.received_at,
        channel=registered.channel,
        nature=registered.nature,
        severity=registered.severity or "level_3",
        customer=registered.complainant.model_dump(mode="json", exclude_unset=True),
        subject=registered.subject.model_dump(mode="json", exclude_unset=True),
        meta=meta,
    )
    decision = app.rules().decide(case.facts())
    case.assign(
        unit=decision.rule.unit,
        role=decision.rule.role,
        rule_id=decision.rule.id,
        ruleset_version=decision.version,
        trace=decision.trace,
        meta=meta,
    )
    case.start_clocks(app.policy_in_force, "received", case.received_at, meta)
    case.start_clocks(app.policy_in_force, "assigned", event.recorded_at, meta)
    if case.severity == "level_1":
        case.escalate("level 1: senior management at once (003 §5.1.3)", meta, to_top=True)
    return [case]


def _acknowledged(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    acknowledged: intake.ComplaintAcknowledgedV1,
    meta: Meta,
) -> None:
    at = event.occurred_at
    case.stop_clock("acknowledge", meta, StopCause.completed, "acknowledged at intake", at)


def _judged(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    judged: intake.ComplaintJudgedV1,
    meta: Meta,
) -> None:
    case.record_validity(valid=judged.valid, reason=judged.reason, meta=meta)
    answered = "answered with the validity judgement"
    case.stop_clock("answer", meta, StopCause.completed, answered, event.occurred_at)
    if not judged.valid and case.is_open:
        case.close_not_valid(judged.reason, meta, event.occurred_at)


def _classified(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    classified: intake.ComplaintClassifiedV1,
    meta: Meta,
) -> None:
    case.reclassify(classified.changes, app.rules(), meta)


def _confirmed(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    confirmed: intake.OutcomeConfirmedV1,
    meta: Meta,
) -> None:
    case.confirm_by_customer(satisfaction=confirmed.satisfaction, meta=meta)
    at = event.occurred_at
    case.stop_clock("customer_confirmation", meta, StopCause.completed, "confirmed", at)


def _reopened(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    reopened: intake.ComplaintReopenedV1,
    meta: Meta,
) -> None:
    if reopened.cycle > case.cycle:
        case.reopen(reopened.cycle, reopened.reason, app.policy_in_force, meta, event.occurred_at)


def _withdrawn(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    withdrawn: intake.ComplaintWithdrawnV1,
    meta: Meta,
) -> None:
    if case.is_open:
        case.withdraw(withdrawn.reason, meta, event.occurred_at)


def _settled(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    completed: settlement.SettlementCompletedV1,
    meta: Meta,
) -> None:
    case.mark_settled(app.policy_in_force, meta, event.occurred_at)
