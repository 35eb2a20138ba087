"""Double-entry vouchers (传票) for every financial effect, against a configurable chart.

A voucher cannot be built unbalanced: debits equal credits to the cent, every line has one
side only, every amount is exact to the currency's minor unit. Corrections are reversal
vouchers with the sides swapped; a posted voucher is never edited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from shared.kernel.money import Money, at_minor_unit

CHART_FILE = Path(__file__).with_name("chart_of_accounts.json")


class UnbalancedVoucher(ValueError):
    pass


@cache
def chart() -> dict[str, dict[str, str]]:
    return json.loads(CHART_FILE.read_text(encoding="utf-8"))["accounts"]


@dataclass(frozen=True)
class Line:
    account: str  # a key of the chart
    debit: Decimal
    credit: Decimal
    memo: str = ""
    party: str | None = None

    def as_dict(self, currency: str) -> dict[str, Any]:
        """The line as posted: both sides at the currency's minor unit (`"0.00"`, `"12.50"`),
        as an ERP's journal import reads them, however the amount was spelled when given."""
        entry = chart()[self.account]
        return {
            "account": self.account,
            "code": entry["code"],
            "name": entry["zh-CN"],
            "debit": at_minor_unit(self.debit, currency),
            "credit": at_minor_unit(self.credit, currency),
            "memo": self.memo,
            "party": self.party,
        }


def dr(account: str, amount: Money, memo: str = "", party: str | None = None) -> Line:
    return Line(account, amount.amount, Decimal(0), memo, party)


def cr(account: str, amount: Money, memo: str = "", party: str | None = None) -> Line:
    return Line(account, Decimal(0), amount.amount, memo, party)


def voucher_lines(currency: str, lines: list[Line]) -> list[dict[str, Any]]:
    """Check and serialise a voucher's lines; zero lines are dropped, imbalance is refused."""
    kept = [line for line in lines if line.debit or line.credit]
    if not kept:
        raise UnbalancedVoucher("a voucher needs at least one non-zero line")
    for line in kept:
        if line.account not in chart():
            raise UnbalancedVoucher(f"account {line.account!r} is not in the chart")
        if (line.debit and line.credit) or line.debit < 0 or line.credit < 0:
            raise UnbalancedVoucher("each line is a positive debit or a positive credit")
        for side in (line.debit, line.credit):
            if not Money(side, currency).is_exact():
                raise UnbalancedVoucher(f"{side} is not exact to the {currency} minor unit")
    debits = sum((line.debit for line in kept), Decimal(0))
    credits = sum((line.credit for line in kept), Decimal(0))
    if debits != credits:
        raise UnbalancedVoucher(f"debits {debits} != credits {credits}")
    return [line.as_dict(currency) for line in kept]


def reversed_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reversal of a posted voucher: the same lines with the sides swapped."""
    return [
        {
            **line,
            "debit": line["credit"],
            "credit": line["debit"],
            "memo": f"reversal: {line['memo']}".strip(),
        }
        for line in lines
    ]


def is_balanced(lines: list[dict[str, Any]]) -> bool:
    return sum(Decimal(x["debit"]) for x in lines) == sum(Decimal(x["credit"]) for x in lines)
