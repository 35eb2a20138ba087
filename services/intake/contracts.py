"""Intake's domain events -> public integration events (shared/contracts/intake.py)."""

from __future__ import annotations

from services.intake.domain import Complaint
from shared.contracts import intake as c
from shared.platform.outbox import contract_for, copied

to_integration = contract_for(
    {
        Complaint.Registered: ("intake.ComplaintRegistered", copied(c.ComplaintRegisteredV1)),
        Complaint.Acknowledged: ("intake.ComplaintAcknowledged", copied(c.ComplaintAcknowledgedV1)),
        Complaint.Judged: ("intake.ComplaintJudged", copied(c.ComplaintJudgedV1)),
        Complaint.Classified: ("intake.ComplaintClassified", copied(c.ComplaintClassifiedV1)),
        Complaint.RepeatLinked: ("intake.RepeatLinked", copied(c.RepeatLinkedV1)),
        Complaint.RepeatUnlinked: ("intake.RepeatUnlinked", copied(c.RepeatUnlinkedV1)),
        Complaint.EvidenceAttached: ("intake.EvidenceAttached", copied(c.EvidenceAttachedV1)),
        Complaint.OutcomeConfirmed: ("intake.OutcomeConfirmed", copied(c.OutcomeConfirmedV1)),
        Complaint.Reopened: ("intake.ComplaintReopened", copied(c.ComplaintReopenedV1)),
        Complaint.Withdrawn: ("intake.ComplaintWithdrawn", copied(c.ComplaintWithdrawnV1)),
    },
    # A complaint happened when it was received, whenever the desk got to record it.
    occurred_at={Complaint.Registered: lambda e: e.received_at},
)
