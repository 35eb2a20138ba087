"""Contracts published by routing on `complaints.routing.v1`."""

from __future__ import annotations

from pydantic import Field

from shared.contracts.common import DECIMAL_PATTERN, Contract, Party, RemedyLine


class CaseAssignedV1(Contract):
    unit: str
    rule_id: str = Field(description="The routing rule that decided")
    ruleset_version: str


class RemedyProposedV1(Contract):
    remedies: list[RemedyLine]
    total_amount: str = Field(pattern=DECIMAL_PATTERN)
    currency: str


class RemedyApprovedV1(Contract):
    approver_id: str
    approver_level: str
    required_level: str
    remedies: list[RemedyLine]
    total_amount: str = Field(pattern=DECIMAL_PATTERN)
    currency: str
    customer: Party
    unit: str
