"""Contracts published by intake on `complaints.intake.v1`."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from shared.contracts.common import DECIMAL_PATTERN, Contract, Party


class Subject(Contract):
    product: str | None = None
    order_no: str | None = None
    part_no: str | None = None
    batch: str | None = None
    quantity_inspected: int | None = None
    quantity_defective: int | None = None
    region: str | None = None


class Demands(Contract):
    remedy: str | None = None
    amount: str | None = Field(default=None, pattern=DECIMAL_PATTERN)
    currency: str | None = None


class ComplaintRegisteredV1(Contract):
    number: str = Field(description="Case number YYMM-NNNN")
    received_at: AwareDatetime
    channel: str
    nature: str
    complainant: Party
    subject: Subject
    description: str
    demands: Demands
    taken_by: str = Field(description="First-contact owner (首问负责人)")
