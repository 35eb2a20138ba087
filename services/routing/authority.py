"""Approval authority by amount (核决权限, seed 002 §十一): who must approve a remedy."""

from __future__ import annotations

from decimal import Decimal

#: Ordered from lowest to highest authority.
LEVELS = ("manager", "deputy_general_manager", "general_manager")

#: Upper bounds (inclusive) per level in CNY; above the last bound, the general manager.
DEFAULT_THRESHOLDS = {
    "CNY": (Decimal("100000.00"), Decimal("150000.00")),
}


def required_level(amount: Decimal, currency: str) -> str:
    manager_max, deputy_max = DEFAULT_THRESHOLDS.get(currency, DEFAULT_THRESHOLDS["CNY"])
    if amount <= manager_max:
        return "manager"
    if amount <= deputy_max:
        return "deputy_general_manager"
    return "general_manager"


def covers(level: str, required: str) -> bool:
    return LEVELS.index(level) >= LEVELS.index(required)
