"""Approval authority by amount (核决权限, seed 002 §十一), configurable per currency.

A value the application is given, like the deadline policy: `RoutingApplication` holds the
authority in force (the shipped `authority.json` unless wiring passes another), and the
commands that need it (propose, approve) carry it to the case. A currency without
configured thresholds cannot be approved at all: the product will not guess what a manager
may sign in a currency nobody set limits for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from shared.kernel.errors import Invalid

AUTHORITY_FILE = Path(__file__).with_name("authority.json")


@dataclass(frozen=True)
class Authority:
    #: Levels from the lowest to the highest.
    levels: tuple[str, ...]
    #: {currency: {level: the largest amount it may approve}}; the top level has no limit.
    thresholds: Mapping[str, Mapping[str, Decimal]]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Authority:
        return cls(
            levels=tuple(data["levels"]),
            thresholds={
                currency: {level: Decimal(str(limit)) for level, limit in limits.items()}
                for currency, limits in data["thresholds"].items()
            },
        )

    def required_level(self, amount: Decimal, currency: str) -> str:
        """The lowest level whose limit covers `amount` (limits are inclusive)."""
        limits = self.thresholds.get(currency)
        if limits is None:
            raise Invalid(
                f"no approval thresholds are configured for {currency}",
                field="currency",
                rule="approval_thresholds",
            )
        for level in self.levels:
            if level not in limits or amount <= limits[level]:
                return level
        return self.levels[-1]

    def covers(self, level: str, required: str) -> bool:
        return self.levels.index(level) >= self.levels.index(required)


@cache
def shipped_authority() -> Authority:
    """The authority shipped in `authority.json` (read once)."""
    return Authority.from_dict(json.loads(AUTHORITY_FILE.read_text(encoding="utf-8")))
