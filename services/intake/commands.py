"""The commands a complaint takes, one frozen dataclass each.

A command names the complaint (`number`) and carries what the caller decided; `run` applies
it to the complaint as the application loaded it, inside the retry that checks the caller on
that same state (`ServiceApplication.act_on`). Routes build them from request bodies, tests
from the story they tell, so every caller reaches the aggregate through one typed door.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.domain import Complaint
from services.intake.taxonomy import Taxonomy
from shared.kernel.meta import Meta


@dataclass(frozen=True)
class Acknowledge:
    number: str
    reply: str

    def run(self, complaint: Complaint, meta: Meta) -> None:
        complaint.acknowledge(reply=self.reply, meta=meta)


@dataclass(frozen=True)
class Judge:
    number: str
    valid: bool
    reason: str
    reply: str | None

    def run(self, complaint: Complaint, meta: Meta) -> None:
        complaint.judge(valid=self.valid, reason=self.reason, reply=self.reply, meta=meta)


@dataclass(frozen=True)
class Classify:
    number: str
    changes: dict[str, str]
    reason: str
    taxonomy: Taxonomy

    def run(self, complaint: Complaint, meta: Meta) -> None:
        complaint.classify(
            changes=self.changes, reason=self.reason, taxonomy=self.taxonomy, meta=meta
        )


@dataclass(frozen=True)
class LinkRepeat:
    number: str
    earlier: str
    matched_on: list[str]

    def run(self, complaint: Complaint, meta: Meta) -> None:
        complaint.link_repeat(earlier=self.earlier, matched_on=self.matched_on, meta=meta)


@dataclass(frozen=True)
class UnlinkRepeat:
    number: str
    earlier: str
    reason: str

    def run(self, complaint: Complaint, meta: Meta) -> None:
        complaint.unlink_repeat(earlier=self.earlier, reason=self.reason, meta=meta)


@dataclass(frozen=True)
class AttachEvidence:
    """Returns False when this exact content is attached already (a retried upload)."""

    number: str
    sha256: str
    filename: str
    content_type: str
    size: int

    def run(self, complaint: Complaint, meta: Meta) -> None:
        complaint.attach_evidence(
            sha256=self.sha256,
            filename=self.filename,
            content_type=self.content_type,
            size=self.size,
            meta=meta,
        )


@dataclass(frozen=True)
class Confirm:
    number: str
    satisfaction: int
    comment: str | None

    def run(self, complaint: Complaint, meta: Meta) -> None:
        complaint.confirm(satisfaction=self.satisfaction, comment=self.comment, meta=meta)


@dataclass(frozen=True)
class RejectOutcome:
    """The customer does not accept the outcome: a new handling cycle (002 §九.9)."""

    number: str
    reason: str

    def run(self, complaint: Complaint, meta: Meta) -> None:
        complaint.reject_outcome(reason=self.reason, meta=meta)


@dataclass(frozen=True)
class Withdraw:
    number: str
    reason: str

    def run(self, complaint: Complaint, meta: Meta) -> None:
        complaint.withdraw(reason=self.reason, meta=meta)
