"""The public event contracts: one pydantic model per integration event type and version.

Services build every payload through these models, so what is published always matches the
published JSON Schema. Contracts change only compatibly: new optional fields in the same
version; anything else is a new version, published alongside the old one.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from shared.contracts import intake, routing, settlement


@dataclass(frozen=True)
class ContractSpec:
    type: str
    version: int
    producer: str
    model: type[BaseModel]
    summary: str


CATALOG: tuple[ContractSpec, ...] = (
    ContractSpec(
        "intake.ComplaintRegistered",
        1,
        "intake",
        intake.ComplaintRegisteredV1,
        "A complaint was registered and numbered (受理登记).",
    ),
    ContractSpec(
        "intake.ComplaintAcknowledged",
        1,
        "intake",
        intake.ComplaintAcknowledgedV1,
        "The customer was acknowledged (24 h, seed 004 §六).",
    ),
    ContractSpec(
        "intake.ComplaintJudged",
        1,
        "intake",
        intake.ComplaintJudgedV1,
        "Validity was judged (判断投诉是否成立); not valid ends the complaint.",
    ),
    ContractSpec(
        "intake.ComplaintClassified",
        1,
        "intake",
        intake.ComplaintClassifiedV1,
        "The classification changed (分类分级).",
    ),
    ContractSpec(
        "intake.RepeatLinked",
        1,
        "intake",
        intake.RepeatLinkedV1,
        "The complaint was linked as a repeat of an earlier one.",
    ),
    ContractSpec(
        "intake.RepeatUnlinked", 1, "intake", intake.RepeatUnlinkedV1, "A repeat link was undone."
    ),
    ContractSpec(
        "intake.EvidenceAttached",
        1,
        "intake",
        intake.EvidenceAttachedV1,
        "Evidence was attached (content-addressed by sha256).",
    ),
    ContractSpec(
        "intake.OutcomeConfirmed",
        1,
        "intake",
        intake.OutcomeConfirmedV1,
        "The customer confirmed the outcome (书面确认), with satisfaction.",
    ),
    ContractSpec(
        "intake.ComplaintReopened",
        1,
        "intake",
        intake.ComplaintReopenedV1,
        "The customer rejected the outcome: a new handling cycle (002 §九.9).",
    ),
    ContractSpec(
        "intake.ComplaintWithdrawn",
        1,
        "intake",
        intake.ComplaintWithdrawnV1,
        "The customer withdrew the complaint.",
    ),
    ContractSpec(
        "routing.CaseAssigned",
        1,
        "routing",
        routing.CaseAssignedV1,
        "A responsible unit was assigned by a routing rule (确定责任部门).",
    ),
    ContractSpec(
        "routing.RemedyProposed",
        1,
        "routing",
        routing.RemedyProposedV1,
        "The responsible unit proposed a remedy (提出处理方案).",
    ),
    ContractSpec(
        "routing.RemedyApproved",
        1,
        "routing",
        routing.RemedyApprovedV1,
        "A remedy was approved by sufficient authority (主管领导批示).",
    ),
    ContractSpec(
        "settlement.SettlementOpened",
        1,
        "settlement",
        settlement.SettlementOpenedV1,
        "A settlement was opened for an approved remedy.",
    ),
    ContractSpec(
        "settlement.SettlementCompleted",
        1,
        "settlement",
        settlement.SettlementCompletedV1,
        "Every financial effect of the settlement is done.",
    ),
)


def spec(type_: str, version: int) -> ContractSpec:
    for item in CATALOG:
        if (item.type, item.version) == (type_, version):
            return item
    raise KeyError(f"no contract {type_} v{version}")
