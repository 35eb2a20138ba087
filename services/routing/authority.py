"""Approval authority by amount (核决权限, seed 002 §十一), configurable per currency.

A currency without configured thresholds cannot be approved at all: the product will not
guess what a manager may sign in a currency nobody set limits for.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from shared.kernel.errors import Invalid

AUTHORITY_FILE = Path(__file__).with_name("authority.json")


@cache
def _config() -> dict:
    return json.loads(AUTHORITY_FILE.read_text(encoding="utf-8"))


def levels() -> tuple[str, ...]:
    return tuple(_config()["levels"])


def required_level(amount: Decimal, currency: str) -> str:
    """The lowest level whose limit covers `amount` (limits are inclusive)."""
    limits = _config()["thresholds"].get(currency)
    if limits is None:
        raise Invalid(
            f"no approval thresholds are configured for {currency}",
            field="currency",
            rule="approval_thresholds",
        )
    for level in levels():
        if level not in limits or amount <= Decimal(limits[level]):
            return level
    return levels()[-1]


def covers(level: str, required: str) -> bool:
    return levels().index(level) >= levels().index(required)
