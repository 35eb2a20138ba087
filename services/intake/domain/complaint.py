"""The complaint as the customer made it: registered, acknowledged, judged, classified,
linked as a repeat, withdrawn, confirmed or reopened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import event

from services.intake.domain.codes import CLASSIFICATION_SCHEMES, CLOSED, Status
from services.intake.taxonomy import Taxonomy
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Conflict, Forbidden, Invalid, NotFound, check_room
from shared.kernel.meta import Meta
from shared.kernel.principal import Principal, Role

#: Evidence files a complaint keeps at most.
MAX_EVIDENCE_FILES = 50
#: Earlier complaints one complaint is linked to as their repeat, at most: the links are
#: shown with it (registration links at most a page of candidates, 100).
MAX_REPEAT_LINKS = 100


class Complaint(ClockedAggregate):
    @staticmethod
    def create_id(number: str, **_: Any) -> Any:
        return aggregate_id("intake.complaint", number)

    class Registered(ClockedAggregate.Created):
        number: str
        received_at: datetime
        channel: str
        nature: str
        complainant: dict[str, Any]
        subject: dict[str, Any]
        description: str
        demands: dict[str, Any]
        taken_by: str
        meta: Meta
        problem: dict[str, Any] | None = None
        flags: list[str] | None = None
        severity: str = "level_3"
        severity_rule: str = "default"
        acknowledge_due: datetime | None = None
        backdating_reason: str | None = None

    @event(Registered)
    def __init__(
        self,
        number: str,
        received_at: datetime,
        channel: str,
        nature: str,
        complainant: dict[str, Any],
        subject: dict[str, Any],
        description: str,
        demands: dict[str, Any],
        taken_by: str,
        meta: Meta,
        problem: dict[str, Any] | None = None,
        flags: list[str] | None = None,
        severity: str = "level_3",
        severity_rule: str = "default",
        acknowledge_due: datetime | None = None,
        backdating_reason: str | None = None,
    ) -> None:
        self.number = number
        self.received_at = received_at
        self.channel = channel
        self.complainant = complainant
        self.subject = subject
        self.problem = problem or {}
        self.description = description
        self.demands = demands
        self.taken_by = taken_by
        self.flags = flags or []
        self.acknowledge_due = acknowledge_due
        self.backdating_reason = backdating_reason
        self.classification: dict[str, str | None] = {
            "nature": nature,
            "fault_class": None,
            "online_level": None,
            "severity": severity,
            "cause": None,
        }
        self.status = Status.registered
        self.acknowledged_at: datetime | None = None
        self.validity: dict[str, Any] | None = None
        self.repeat_of: dict[str, list[str]] = {}
        self.evidence: dict[str, dict[str, Any]] = {}
        self.cycle = 1
        self.outcome: dict[str, Any] | None = None
        #: The unit routing has the case with (learned from routing's events).
        self.unit: str | None = None

    @property
    def nature(self) -> str:
        return str(self.classification["nature"])

    @property
    def severity(self) -> str:
        return str(self.classification["severity"])

    def check_actor(self, who: Principal) -> None:
        """A customer reaches only complaints filed under its own customer id (another's
        answers as if it did not exist); a handler only those with its unit now, as routing
        assigned them (the refusal names no other unit)."""
        if who.role is Role.customer and self.complainant.get("customer_id") != who.customer_id:
            raise NotFound(f"no complaint {self.number}")
        if who.role is Role.handler and self.unit != who.unit:
            raise Forbidden(f"complaint {self.number} is not with unit {who.unit}", rule="own_unit")

    def note_unit(self, unit: str, meta: Meta) -> bool:
        """Routing assigned the case to `unit` (intake scopes handlers' reads by it)."""
        if unit == self.unit:
            return False
        self._unit_noted(unit=unit, meta=meta)
        return True

    class UnitNoted(ClockedAggregate.Event):
        unit: str
        meta: Meta

    @event(UnitNoted)
    def _unit_noted(self, unit: str, meta: Meta) -> None:
        self.unit = unit

    def _check_open(self, action: str) -> None:
        if self.status in CLOSED:
            raise Conflict(f"complaint {self.number} is {self.status}; cannot {action}")

    # Acknowledgement (24 h, 004 §六) -----------------------------------------------------

    def acknowledge(self, reply: str, meta: Meta) -> None:
        if self.acknowledged_at is not None:
            raise Conflict(f"complaint {self.number} was acknowledged already")
        self._check_open("acknowledge")
        now = self.now()
        on_time = self.acknowledge_due is None or now <= self.acknowledge_due
        self._acknowledged(reply=reply, acknowledged_at=now, on_time=on_time, meta=meta)

    class Acknowledged(ClockedAggregate.Event):
        reply: str
        acknowledged_at: datetime
        on_time: bool
        meta: Meta

    @event(Acknowledged)
    def _acknowledged(
        self, reply: str, acknowledged_at: datetime, on_time: bool, meta: Meta
    ) -> None:
        self.acknowledged_at = acknowledged_at

    # Validity (判断投诉是否成立) ---------------------------------------------------------------

    def judge(self, valid: bool, reason: str, reply: str | None, meta: Meta) -> None:
        if self.validity is not None:
            raise Conflict(f"complaint {self.number} was judged already")
        self._check_open("judge it")
        if not valid and not (reply and reply.strip()):
            raise Invalid(
                "a complaint found not valid needs the explained reply to the customer",
                field="reply",
                rule="required_when_not_valid",
            )
        self._judged(valid=valid, reason=reason, reply=reply, meta=meta)

    class Judged(ClockedAggregate.Event):
        valid: bool
        reason: str
        reply: str | None
        meta: Meta

    @event(Judged)
    def _judged(self, valid: bool, reason: str, reply: str | None, meta: Meta) -> None:
        self.validity = {"valid": valid, "reason": reason, "reply": reply}
        self.status = Status.in_handling if valid else Status.not_valid

    # Classification (分类分级) ---------------------------------------------------------------

    def classify(
        self, changes: dict[str, str], reason: str, taxonomy: Taxonomy, meta: Meta
    ) -> None:
        self._check_open("reclassify")
        for scheme, code in changes.items():
            if scheme not in CLASSIFICATION_SCHEMES:
                raise Invalid(
                    f"unknown classification scheme {scheme!r}", field=scheme, rule="scheme"
                )
            if code not in taxonomy.codes(scheme):
                raise Invalid(f"{code!r} is not a {scheme} code", field=scheme, rule="enum")
        changed = {k: v for k, v in changes.items() if self.classification.get(k) != v}
        if not changed:
            raise Conflict("the classification is already so")
        self._classified(changes=changed, reason=reason, meta=meta)

    class Classified(ClockedAggregate.Event):
        changes: dict[str, str]
        reason: str
        meta: Meta

    @event(Classified)
    def _classified(self, changes: dict[str, str], reason: str, meta: Meta) -> None:
        self.classification.update(changes)

    # Repeat complaints (docs/domain §2) ----------------------------------------------------------

    def link_repeat(self, earlier: str, matched_on: list[str], meta: Meta) -> None:
        if earlier == self.number:
            raise Invalid("a complaint cannot repeat itself", field="earlier", rule="not_self")
        if earlier in self.repeat_of:
            raise Conflict(f"{self.number} is linked to {earlier} already")
        check_room(
            self.repeat_of,
            MAX_REPEAT_LINKS,
            f"complaint {self.number}",
            "repeat links",
            "earlier",
            "repeat_links_limit",
        )
        self._repeat_linked(earlier=earlier, matched_on=matched_on, meta=meta)

    class RepeatLinked(ClockedAggregate.Event):
        earlier: str
        matched_on: list[str]
        meta: Meta

    @event(RepeatLinked)
    def _repeat_linked(self, earlier: str, matched_on: list[str], meta: Meta) -> None:
        self.repeat_of[earlier] = matched_on

    def unlink_repeat(self, earlier: str, reason: str, meta: Meta) -> None:
        if earlier not in self.repeat_of:
            raise Conflict(f"{self.number} is not linked to {earlier}")
        self._repeat_unlinked(earlier=earlier, reason=reason, meta=meta)

    class RepeatUnlinked(ClockedAggregate.Event):
        earlier: str
        reason: str
        meta: Meta

    @event(RepeatUnlinked)
    def _repeat_unlinked(self, earlier: str, reason: str, meta: Meta) -> None:
        del self.repeat_of[earlier]

    # Evidence -------------------------------------------------------------------------------

    def attach_evidence(
        self, sha256: str, filename: str, content_type: str, size: int, meta: Meta
    ) -> bool:
        """Returns False when this exact content is attached already (a retried upload)."""
        if sha256 in self.evidence:
            return False
        self.check_attachable(sha256)
        self._evidence_attached(
            sha256=sha256, filename=filename, content_type=content_type, size=size, meta=meta
        )
        return True

    def check_attachable(self, sha256: str) -> None:
        """Refuse what `attach_evidence` would refuse, before the file is stored: at most
        `MAX_EVIDENCE_FILES` a complaint (each file is bounded in size, so the complaint's
        evidence is bounded too), and none on a closed complaint. Content attached already
        passes: attaching it again changes nothing."""
        if sha256 in self.evidence:
            return
        self._check_open("attach evidence")
        check_room(
            self.evidence,
            MAX_EVIDENCE_FILES,
            f"complaint {self.number}",
            "evidence files",
            "file",
            "evidence_limit",
        )

    class EvidenceAttached(ClockedAggregate.Event):
        sha256: str
        filename: str
        content_type: str
        size: int
        meta: Meta

    @event(EvidenceAttached)
    def _evidence_attached(
        self, sha256: str, filename: str, content_type: str, size: int, meta: Meta
    ) -> None:
        self.evidence[sha256] = {"filename": filename, "content_type": content_type, "size": size}

    # Settlement and the customer's word -----------------------------------------------------

    def mark_settled(self, cycle_total: dict[str, Any], meta: Meta) -> bool:
        """Settlement completed (from settlement's event); False if not applicable now."""
        if self.status != Status.in_handling:
            return False
        self._settled(settlement=cycle_total, meta=meta)
        return True

    class Settled(ClockedAggregate.Event):
        settlement: dict[str, Any]
        meta: Meta

    @event(Settled)
    def _settled(self, settlement: dict[str, Any], meta: Meta) -> None:
        self.status = Status.settled

    def confirm(self, satisfaction: int, comment: str | None, meta: Meta) -> None:
        if self.status != Status.settled:
            raise Conflict(
                f"complaint {self.number} is {self.status}; only a settled "
                "complaint's outcome can be confirmed"
            )
        if not 1 <= satisfaction <= 5:
            raise Invalid("satisfaction is 1 to 5", field="satisfaction", rule="range")
        self._confirmed(satisfaction=satisfaction, comment=comment, meta=meta)

    class OutcomeConfirmed(ClockedAggregate.Event):
        satisfaction: int
        comment: str | None
        meta: Meta

    @event(OutcomeConfirmed)
    def _confirmed(self, satisfaction: int, comment: str | None, meta: Meta) -> None:
        self.status = Status.confirmed
        self.outcome = {"accepted": True, "satisfaction": satisfaction, "comment": comment}

    def reject_outcome(self, reason: str, meta: Meta) -> None:
        """The customer does not accept the outcome: a new handling cycle (002 §九.9)."""
        if self.status != Status.settled:
            raise Conflict(
                f"complaint {self.number} is {self.status}; only a settled "
                "complaint's outcome can be rejected"
            )
        self._reopened(cycle=self.cycle + 1, previous_cycle=self.cycle, reason=reason, meta=meta)

    class Reopened(ClockedAggregate.Event):
        cycle: int
        previous_cycle: int
        reason: str
        meta: Meta

    @event(Reopened)
    def _reopened(self, cycle: int, previous_cycle: int, reason: str, meta: Meta) -> None:
        self.cycle = cycle
        self.status = Status.in_handling
        self.outcome = {"accepted": False, "reason": reason}

    def withdraw(self, reason: str, meta: Meta) -> None:
        self._check_open("withdraw it")
        self._withdrawn(reason=reason, meta=meta)

    class Withdrawn(ClockedAggregate.Event):
        reason: str
        meta: Meta

    @event(Withdrawn)
    def _withdrawn(self, reason: str, meta: Meta) -> None:
        self.status = Status.withdrawn
