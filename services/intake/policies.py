"""Intake's reactions to upstream events, typed by their contracts: the unit a case was
routed to, and the settlement's completion, noted on the complaint."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from shared.contracts import routing, settlement
from shared.contracts.envelope import IntegrationEvent
from shared.kernel.errors import NotFound
from shared.kernel.meta import caused_by
from shared.platform.reactions import Reactions

if TYPE_CHECKING:
    from services.intake.application import IntakeApplication


def reactions(app: IntakeApplication) -> Reactions:
    """What intake does with each upstream event it consumes."""
    return Reactions(
        {
            settlement.SettlementCompletedV1: partial(_settled, app),
            routing.CaseAssignedV1: partial(_routed, app),
            routing.CaseReassignedV1: partial(_routed, app),
        }
    )


def _routed(
    app: IntakeApplication,
    event: IntegrationEvent,
    routed: routing.CaseAssignedV1 | routing.CaseReassignedV1,
) -> list[Any]:
    try:
        complaint = app.complaint(event.case_number)
    except NotFound:
        return []
    return [complaint] if complaint.note_unit(routed.unit, caused_by(event)) else []


def _settled(
    app: IntakeApplication, event: IntegrationEvent, completed: settlement.SettlementCompletedV1
) -> list[Any]:
    try:
        complaint = app.complaint(event.case_number)
    except NotFound:
        return []
    settled = {"total_amount": completed.total_amount, "currency": completed.currency}
    if complaint.mark_settled(settled, caused_by(event)):
        return [complaint]
    return []
