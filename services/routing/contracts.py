"""Routing's domain events -> public integration events (shared/contracts/routing.py)."""

from __future__ import annotations

from typing import Any

from services.routing.domain import Case
from shared.contracts.routing import CaseAssignedV1, RemedyApprovedV1, RemedyProposedV1
from shared.outbox import Published


def to_integration(e: Any) -> Published | None:
    if isinstance(e, Case.Assigned):
        data = CaseAssignedV1(unit=e.unit, rule_id=e.rule_id, ruleset_version=e.ruleset_version)
        return _published("routing.CaseAssigned", e, data)
    if isinstance(e, Case.RemedyProposed):
        data = RemedyProposedV1(
            remedies=e.remedies, total_amount=e.total_amount, currency=e.currency
        )
        return _published("routing.RemedyProposed", e, data)
    if isinstance(e, Case.RemedyApproved):
        data = RemedyApprovedV1(
            approver_id=e.approver_id,
            approver_level=e.approver_level,
            required_level=e.required_level,
            remedies=e.remedies,
            total_amount=e.total_amount,
            currency=e.currency,
            customer=e.customer,
            unit=e.unit,
        )
        return _published("routing.RemedyApproved", e, data)
    return None


def _published(type_: str, e: Any, data: Any) -> Published:
    return Published(type_, 1, e.meta["case_number"], e.timestamp, data.model_dump(mode="json"))
