"""Settlement's reactions to upstream events, typed by their contracts: routing's approval
opens the cycle's settlement (a supplement raises its bounds); intake's registration places
the receivables hold, and its judgement or withdrawal releases it."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from services.settlement.domain import DocumentSequence, ReceivableHold, Settlement, settlement_id
from shared.contracts import intake, routing
from shared.contracts.envelope import IntegrationEvent
from shared.kernel.meta import caused_by
from shared.platform.reactions import Reactions

if TYPE_CHECKING:
    from services.settlement.application import SettlementApplication


def reactions(app: SettlementApplication) -> Reactions:
    """What settlement does with each upstream event it consumes."""
    return Reactions(
        {
            routing.RemedyApprovedV1: partial(_open, app),
            intake.ComplaintRegisteredV1: partial(_place_hold, app),
            intake.ComplaintJudgedV1: partial(_release_hold, app),
            intake.ComplaintWithdrawnV1: partial(_release_hold, app),
        }
    )


def _open(
    app: SettlementApplication, event: IntegrationEvent, approved: routing.RemedyApprovedV1
) -> list[Any]:
    """The cycle's first approval opens its settlement; a supplement raises its bounds."""
    meta = caused_by(event)
    remedies = [r.model_dump(mode="json", exclude_unset=True) for r in approved.remedies]
    approval = {
        "event_id": str(event.event_id),
        "approval_no": approved.approval_no,
        "approver_id": approved.approver_id,
        "level": approved.approver_level,
    }
    if settlement_id(event.case_number, approved.cycle) in app.repository:
        settlement = app.settlement(event.case_number, approved.cycle)
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
    settlement.issue_return_note(app.numbering_into(sequences), meta)
    return [settlement, *sequences.values()]


def _place_hold(
    app: SettlementApplication, event: IntegrationEvent, registered: intake.ComplaintRegisteredV1
) -> list[Any]:
    part_no = registered.subject.part_no
    if not part_no or ReceivableHold.create_id(event.case_number) in app.repository:
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
    app: SettlementApplication,
    event: IntegrationEvent,
    ended: intake.ComplaintJudgedV1 | intake.ComplaintWithdrawnV1,
) -> list[Any]:
    not_valid = isinstance(ended, intake.ComplaintJudgedV1)
    if isinstance(ended, intake.ComplaintJudgedV1) and ended.valid:
        return []
    reason = "not valid: collect on normal terms (002 §九.14)" if not_valid else "withdrawn"
    hold = app.hold(event.case_number)
    if hold and hold.release(reason, not_valid, caused_by(event)):
        return [hold]
    return []
