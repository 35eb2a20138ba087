"""Contracts published by analytics on `complaints.analytics.v1`.

`case_number` in the envelope is the partition key: for an alert, the case that completed the
cluster; for a report, `report-<period>`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.contracts.common import Contract


class RecallCandidateRaisedV1(Contract):
    batch: str = Field(description="Batch / date code complained of in several regions")
    regions: dict[str, list[str]] = Field(description="region -> case numbers")
    window_days: int


class ReportPublishedV1(Contract):
    period: str = Field(description="2026-11 (monthly) or 2026-W47 (weekly)")
    version: int
    kind: Literal["final", "amended", "weekly"]
    headline: dict[str, Any] = Field(description="received, closed, open, valid rate")
