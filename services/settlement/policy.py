"""The company's settlement policy (002 §十三.2, 004): the default over-receipt tolerance,
the cost sheet's items and sign-off roles, and the bounds of fines.

A value the application is given, like routing's deadline policy and authority:
`SettlementApplication` holds the policy in force (the shipped `settlement_policy.json`
unless wiring passes another) and hands it to every command with the document numbering.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

POLICY_FILE = Path(__file__).with_name("settlement_policy.json")


@dataclass(frozen=True)
class FineBounds:
    least: Decimal
    most: Decimal

    def hold(self, amount: Decimal) -> bool:
        return self.least <= amount <= self.most


@dataclass(frozen=True)
class SettlementPolicy:
    #: The over-receipt ratio (超量允收比率) when neither settlement nor customer sets one.
    default_over_receipt_tolerance: Decimal
    #: The items of the cost sheet (seed 000); others are recorded as `custom:<name>`.
    cost_items: frozenset[str]
    #: Who signs the cost sheet off, each a different person.
    sign_off_roles: tuple[str, ...]
    #: Fines per currency (004); a currency without bounds cannot be fined.
    fine_bounds: Mapping[str, FineBounds]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SettlementPolicy:
        return cls(
            default_over_receipt_tolerance=Decimal(data["default_over_receipt_tolerance"]),
            cost_items=frozenset(data["cost_items"]),
            sign_off_roles=tuple(data["sign_off_roles"]),
            fine_bounds={
                currency: FineBounds(Decimal(b["min"]), Decimal(b["max"]))
                for currency, b in data["fine_bounds"].items()
            },
        )


@cache
def shipped_policy() -> SettlementPolicy:
    """The policy shipped in `settlement_policy.json` (read once)."""
    return SettlementPolicy.from_dict(json.loads(POLICY_FILE.read_text(encoding="utf-8")))
