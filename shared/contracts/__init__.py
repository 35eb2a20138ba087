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
)


def spec(type_: str, version: int) -> ContractSpec:
    for item in CATALOG:
        if (item.type, item.version) == (type_, version):
            return item
    raise KeyError(f"no contract {type_} v{version}")
