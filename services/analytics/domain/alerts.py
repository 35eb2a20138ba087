"""Recall candidates: the same batch complained of in N regions within D days."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.meta import Meta


class BatchAlert(ClockedAggregate):
    """The same batch complained of in N regions within D days: a recall candidate."""

    @staticmethod
    def create_id(batch: str, **_: Any) -> Any:
        return aggregate_id("analytics.batch-alert", batch)

    class Raised(ClockedAggregate.Created):
        batch: str
        regions: dict[str, list[str]]
        window_days: int
        meta: Meta

    @event(Raised)
    def __init__(
        self, batch: str, regions: dict[str, list[str]], window_days: int, meta: Meta
    ) -> None:
        self.batch = batch
