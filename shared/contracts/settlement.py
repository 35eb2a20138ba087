"""Contracts published by settlement on `complaints.settlement.v1` (what ERP subscribes to)."""

from __future__ import annotations

from pydantic import Field

from shared.contracts.common import DECIMAL_PATTERN, Contract, Party, RemedyLine


class SettlementOpenedV1(Contract):
    customer: Party
    remedies: list[RemedyLine]
    total_amount: str = Field(pattern=DECIMAL_PATTERN)
    currency: str


class SettlementCompletedV1(Contract):
    total_amount: str = Field(pattern=DECIMAL_PATTERN)
    currency: str
    completed_by: str
