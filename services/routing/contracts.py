"""Routing's public contract: assignment, remedy proposal and approval events."""

from __future__ import annotations

from typing import Any

from services.routing.domain import Case
from shared.outbox import Published


def to_integration(e: Any) -> Published | None:
    if isinstance(e, Case.Assigned):
        return Published(
            "routing.CaseAssigned",
            1,
            _number(e),
            e.timestamp,
            {
                "unit": e.unit,
                "rule_id": e.rule_id,
                "ruleset_version": e.ruleset_version,
            },
        )
    if isinstance(e, Case.RemedyProposed):
        return Published(
            "routing.RemedyProposed",
            1,
            _number(e),
            e.timestamp,
            {
                "remedies": e.remedies,
                "total_amount": e.total_amount,
                "currency": e.currency,
            },
        )
    if isinstance(e, Case.RemedyApproved):
        return Published(
            "routing.RemedyApproved",
            1,
            _number(e),
            e.timestamp,
            {
                "approver_id": e.approver_id,
                "approver_level": e.approver_level,
                "required_level": e.required_level,
                "remedies": e.remedies,
                "total_amount": e.total_amount,
                "currency": e.currency,
                "customer": e.customer,
                "unit": e.unit,
            },
        )
    return None


def _number(e: Any) -> str:
    return e.meta["case_number"]
