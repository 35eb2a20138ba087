"""The public event contracts: one pydantic model per integration event type and version.

Services build every payload through these models, so what is published always matches the
published JSON Schema. Contracts change only compatibly: new optional fields in the same
version; anything else is a new version (a new model `...V2`), published alongside the old one.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from shared.contracts import analytics, intake, notifications, routing, settlement
from shared.contracts.common import version_of
from shared.kernel.case_number import CaseNumber, CaseNumberError


@dataclass(frozen=True)
class ContractSpec:
    type: str
    model: builtins.type[BaseModel]
    summary: str

    @property
    def producer(self) -> str:
        return self.type.split(".")[0]

    @property
    def version(self) -> int:
        return version_of(self.model)


S = ContractSpec
# fmt: off
CATALOG: tuple[ContractSpec, ...] = (
    S("intake.ComplaintRegistered", intake.ComplaintRegisteredV1,
      "A complaint was registered and numbered (受理登记)."),
    S("intake.ComplaintAcknowledged", intake.ComplaintAcknowledgedV1,
      "The customer was acknowledged (24 h, seed 004 §六)."),
    S("intake.ComplaintJudged", intake.ComplaintJudgedV1,
      "Validity was judged (判断投诉是否成立); not valid ends the complaint."),
    S("intake.ComplaintClassified", intake.ComplaintClassifiedV1,
      "The classification changed (分类分级)."),
    S("intake.RepeatLinked", intake.RepeatLinkedV1,
      "The complaint was linked as a repeat of an earlier one."),
    S("intake.RepeatUnlinked", intake.RepeatUnlinkedV1, "A repeat link was undone."),
    S("intake.EvidenceAttached", intake.EvidenceAttachedV1,
      "Evidence was attached (content-addressed by sha256)."),
    S("intake.OutcomeConfirmed", intake.OutcomeConfirmedV1,
      "The customer confirmed the outcome (书面确认), with satisfaction."),
    S("intake.ComplaintReopened", intake.ComplaintReopenedV1,
      "The customer rejected the outcome: a new handling cycle (002 §九.9)."),
    S("intake.ComplaintWithdrawn", intake.ComplaintWithdrawnV1,
      "The customer withdrew the complaint."),
    S("routing.CaseAssigned", routing.CaseAssignedV1,
      "A responsible unit was assigned by a routing rule (确定责任部门)."),
    S("routing.CaseReassigned", routing.CaseReassignedV1,
      "The case moved to another unit, with the reason."),
    S("routing.CaseEscalated", routing.CaseEscalatedV1,
      "The case went one level up (or to senior management at once)."),
    S("routing.ClockStarted", routing.ClockStartedV1, "A deadline clock started (处理时限)."),
    S("routing.ClockChanged", routing.ClockChangedV1,
      "A clock was paused, resumed, extended or re-baselined, with the reason."),
    S("routing.ClockStopped", routing.ClockStoppedV1,
      "A step finished; `met` says whether on time."),
    S("routing.TimerFired", routing.TimerFiredV1,
      "A deadline warning, reminder (催办) or escalation fired."),
    S("routing.OverdueReviewRequested", routing.OverdueReviewRequestedV1,
      "After closing, a step that ran late goes to review for its reason (洽办)."),
    S("routing.InvestigationRecorded", routing.InvestigationRecordedV1,
      "The cause was investigated (5W1H, 5-Why, fishbone, responsible parties)."),
    S("routing.RemedyProposed", routing.RemedyProposedV1,
      "The responsible unit proposed a remedy and corrective actions (提出处理方案)."),
    S("routing.MemoFiled", routing.MemoFiledV1,
      "Another department objected or remarked by memo (签呈)."),
    S("routing.RemedyApproved", routing.RemedyApprovedV1,
      "A remedy was approved by sufficient authority (主管领导批示)."),
    S("routing.RemedyRejected", routing.RemedyRejectedV1,
      "A proposal was rejected and sent back, with the reason."),
    S("routing.CaseReopened", routing.CaseReopenedV1,
      "A new handling cycle began after the customer rejected the outcome."),
    S("routing.CaseClosed", routing.CaseClosedV1,
      "The case closed: through the closing gate, as not valid, or withdrawn."),
    S("settlement.SettlementOpened", settlement.SettlementOpenedV1,
      "A settlement was opened for an approved remedy (one per handling cycle)."),
    S("settlement.SettlementSupplemented", settlement.SettlementSupplementedV1,
      "A supplementary approval raised what the settlement may pay (cumulative authority)."),
    S("settlement.ToleranceChanged", settlement.ToleranceChangedV1,
      "Finance recorded the customer's over-receipt ratio on the settlement, with a reason."),
    S("settlement.ReturnNoteIssued", settlement.ReturnNoteIssuedV1,
      "The finished-goods return note (成品退货单) the warehouse receives against."),
    S("settlement.ReturnReceived", settlement.ReturnReceivedV1,
      "The warehouse signed for goods that actually arrived (partial receipts allowed)."),
    S("settlement.HeldForDecision", settlement.HeldForDecisionV1,
      "More came back than the over-receipt tolerance allows: a decision is needed."),
    S("settlement.OverReceiptDecided", settlement.OverReceiptDecidedV1,
      "The over-receipt decision: refund the actual quantity, or only the approved one."),
    S("settlement.RefundApproved", settlement.RefundApprovedV1,
      "The refund per line: quantity × unit price, tax per line, half-up to the minor unit."),
    S("settlement.CreditNoteIssued", settlement.CreditNoteIssuedV1,
      "A credit note for the refund (once per settlement)."),
    S("settlement.OrderPlaced", settlement.OrderPlacedV1,
      "A replacement (换货) or rework (维修) order, with its cost."),
    S("settlement.AllowanceIssued", settlement.AllowanceIssuedV1,
      "A sales allowance certificate (销货折让证明单), per unit or percentage."),
    S("settlement.CompensationAgreed", settlement.CompensationAgreedV1,
      "Compensation agreed with the customer, or paid to distributors in a recall."),
    S("settlement.CostRecorded", settlement.CostRecordedV1,
      "A cost item of the cost confirmation sheet (客户投诉费用确认单)."),
    S("settlement.CostsConfirmed", settlement.CostsConfirmedV1,
      "All four signed off the costs (manager, finance, CQE, product management)."),
    S("settlement.CostsApportioned", settlement.CostsApportionedV1,
      "The costs split to responsible parties by ratio (分摊比例), exactly, frozen."),
    S("settlement.ChargeBackRaised", settlement.ChargeBackRaisedV1,
      "A party's share charged back: freight deduction, debit note, rebate deduction."),
    S("settlement.PenaltyAssessed", settlement.PenaltyAssessedV1,
      "A penalty on a responsible person or unit (for payroll and the monthly notice)."),
    S("settlement.VoucherPosted", settlement.VoucherPostedV1,
      "A balanced journal voucher (传票) for a financial effect, or a reversal."),
    S("settlement.ReceivableHoldPlaced", settlement.ReceivableHoldPlacedV1,
      "The complained part numbers' receivables are held out of collection bonuses."),
    S("settlement.ReceivableHoldReleased", settlement.ReceivableHoldReleasedV1,
      "The hold ended: settled, withdrawn, or not valid (normal collection)."),
    S("settlement.SettlementCompleted", settlement.SettlementCompletedV1,
      "Every financial effect of the settlement is done."),
    S("analytics.RecallCandidateRaised", analytics.RecallCandidateRaisedV1,
      "The same batch was complained of in several regions within the window (recall?)."),
    S("analytics.ReportPublished", analytics.ReportPublishedV1,
      "A monthly report was made final or amended, or a weekly summary published."),
    S("notifications.MessageSent", notifications.MessageSentV1,
      "An email or webhook about an event was accepted by its recipient."),
    S("notifications.DeliveryParked", notifications.DeliveryParkedV1,
      "A delivery was given up on after its retry window (or refused for good)."),
)
# fmt: on

#: Each published (type, version)'s entry in the catalogue.
SPECS: dict[tuple[str, int], ContractSpec] = {(s.type, s.version): s for s in CATALOG}


class Unprocessable(Exception):
    """A message no retry can process (an unknown version, data that breaks its contract):
    consumers dead-letter it at once, with this as the reason."""


class ContractBroken(Unprocessable):
    """Data that breaks its published contract, or names another case than its envelope.

    No producer publishes such an event (its outbox withholds it), so whoever wrote it is not
    trusted for anything it claims, its log position included: consumers keep it as they keep
    unreadable bytes, without moving their tracking. (An unknown version is different: a newer
    producer publishes it, and the consumer's upgrade re-drives it.)
    """


#: The producers whose every event is about one case: their envelope's `case_number` is a case
#: number. (Analytics keys a report by its period; notifications by the event it told of.)
CASE_PRODUCERS = frozenset({"intake", "routing", "settlement"})


def parse(type_: str, version: int, data: dict, case_number: str) -> BaseModel:
    """An event's data as its contract model, by type and version, checked against the case
    its envelope names (`case_number`, the partition key).

    A case producer's event names a case by its number, and a payload that carries the case
    number too (`ComplaintRegistered.number`) carries the same one. Otherwise a consumer that
    keys by the envelope and one that keys by the payload would each open a different case
    from one event, and a number no desk issued could enter every store.
    """
    spec = SPECS.get((type_, version))
    if spec is None:
        raise Unprocessable(f"{type_} version {version} is not a published contract")
    model = spec.model
    try:
        payload = model.model_validate(data)
    except ValidationError as error:
        raise ContractBroken(f"{type_} v{version} breaks its contract: {error}") from None
    if spec.producer in CASE_PRODUCERS:
        try:
            CaseNumber.parse(case_number)
        except CaseNumberError as error:
            raise ContractBroken(f"{type_}: the envelope's case_number: {error.detail}") from None
    if "number" in model.model_fields and (number := data["number"]) != case_number:
        raise ContractBroken(
            f"{type_}: data.number {number!r} is not the envelope's case_number {case_number!r}"
        )
    return payload
