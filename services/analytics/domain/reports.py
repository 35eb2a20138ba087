"""The monthly statistics report (客户投诉案件统计表) and the weekly summary, as pure functions.

They take fact rows and money rows, whether loaded from the read models (live), folded from
the inbox up to a past time (as-of), or built by a test from its own scenario. Definitions:

- a case counts in the month it was received (business time zone) for received, breakdowns,
  validity, acknowledgement time and defect rates; in the month it closed for closed, time to
  close, reopen rate and satisfaction; steps count in the month they finished;
- money counts in the month it was booked (the event's business month), per currency;
- rates are decimal fractions with 4 places; times are hours with 2 places; p90 is the
  nearest-rank 90th percentile.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shared.kernel.money import at_minor_unit

CLOSED = ("closed", "not_valid", "withdrawn")
FOUR = Decimal("0.0001")
TWO = Decimal("0.01")


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    year, number = (int(x) for x in month.split("-"))
    start = datetime.combine(date(year, number, 1), time(), zone)
    following = date(year + number // 12, number % 12 + 1, 1)
    return start, datetime.combine(following, time(), zone)


def rate(part: int, whole: int) -> str | None:
    return str((Decimal(part) / Decimal(whole)).quantize(FOUR, ROUND_HALF_UP)) if whole else None


def hours(delta: timedelta) -> Decimal:
    return Decimal(delta.total_seconds()) / Decimal(3600)


def mean_and_p90(values: list[Decimal]) -> dict[str, str | int | None]:
    if not values:
        return {"mean": None, "p90": None, "count": 0}
    ordered = sorted(values)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    mean = sum(ordered, Decimal(0)) / len(ordered)
    return {
        "mean": str(mean.quantize(TWO, ROUND_HALF_UP)),
        "p90": str(p90.quantize(TWO, ROUND_HALF_UP)),
        "count": len(ordered),
    }


def _counts(rows: Iterable[dict[str, Any]], key: str) -> dict[str, int]:
    return dict(sorted(Counter(str(r.get(key) or "unspecified") for r in rows).items()))


def _in(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def _at(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _when(value: Any) -> datetime:
    """A time the fact always has (received; closed for a closed case)."""
    moment = _at(value)
    if moment is None:
        raise ValueError("a fact without the time it must have")
    return moment


def monthly(
    facts: list[dict[str, Any]], money: list[dict[str, Any]], month: str, zone: ZoneInfo
) -> dict[str, Any]:
    start, end = month_bounds(month, zone)
    received = [f for f in facts if f["received_month"] == month]
    closed = [f for f in facts if f["status"] in CLOSED and _in(_at(f["closed_at"]), start, end)]
    open_at_end = [
        f
        for f in facts
        if _when(f["received_at"]) < end
        and not (f["status"] in CLOSED and _when(f["closed_at"]) < end)
    ]
    judged = [f for f in received if f["valid"] is not None]

    steps: dict[str, list[bool]] = defaultdict(list)
    for fact in facts:
        for clock, stop in (fact["clocks"] or {}).items():
            if _in(_at(stop["at"]), start, end):
                steps[clock].append(stop["met"])

    acknowledge = [
        hours(_when(f["acknowledged_at"]) - _when(f["received_at"]))
        for f in received
        if f["acknowledged_at"]
    ]
    to_close = [hours(_when(f["closed_at"]) - _when(f["received_at"])) for f in closed]
    satisfaction = [f["satisfaction"] for f in closed if f["satisfaction"] is not None]

    return {
        "month": month,
        "received": len(received),
        "closed": len(closed),
        "open_at_month_end": len(open_at_end),
        "valid_rate": rate(sum(1 for f in judged if f["valid"]), len(judged)),
        "by_channel": _counts(received, "channel"),
        "by_nature": _counts(received, "nature"),
        "by_class": _counts(received, "fault_class"),
        "by_severity": _counts(received, "severity"),
        "by_unit": _counts(received, "unit"),
        "by_cause": _counts(received, "cause"),
        "by_product": _counts(received, "product"),
        "by_customer": _counts(received, "customer"),
        "by_region": _counts(received, "region"),
        "on_time_rate": {
            clock: {"on_time": sum(met), "total": len(met), "rate": rate(sum(met), len(met))}
            for clock, met in sorted(steps.items())
        },
        "hours_to_acknowledge": mean_and_p90(acknowledge),
        "hours_to_close": mean_and_p90(to_close),
        "reopen_rate": rate(sum(1 for f in closed if f["reopened"]), len(closed)),
        "mean_satisfaction": (
            str((Decimal(sum(satisfaction)) / len(satisfaction)).quantize(TWO, ROUND_HALF_UP))
            if satisfaction
            else None
        ),
        **_money(money, month),
        "defect_rate_by_product": _defect_rates(received, "product"),
        "defect_rate_by_batch": _defect_rates(received, "batch"),
        "repeat_customers": _repeats(received),
    }


def _money(money: list[dict[str, Any]], month: str) -> dict[str, Any]:
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    items: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    parties: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in money:
        if row["month"] != month:
            continue
        amount = Decimal(str(row["amount"]))
        measure = row["measure"]
        if measure in ("refund", "allowance", "compensation"):
            sums[measure][row["currency"]] += amount
        elif measure == "cost_item":
            items[row["currency"]][row["label"]] += amount
        elif measure.startswith("cost_party:"):
            parties[row["currency"]][row["label"]] += amount

    def plain(table: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, str]]:
        return {
            k: {k2: at_minor_unit(v, k) for k2, v in sorted(row.items())}
            for k, row in sorted(table.items())
        }

    def with_shares(table: dict[str, dict[str, Decimal]]) -> dict[str, Any]:
        result = {}
        for currency, row in sorted(table.items()):
            total = sum(row.values(), Decimal(0))
            result[currency] = {
                party: {
                    "amount": at_minor_unit(amount, currency),
                    "share": rate_decimal(amount, total),
                }
                for party, amount in sorted(row.items())
            }
        return result

    return {
        "refunds": {c: at_minor_unit(v, c) for c, v in sorted(sums["refund"].items())},
        "allowances": {c: at_minor_unit(v, c) for c, v in sorted(sums["allowance"].items())},
        "compensation": {c: at_minor_unit(v, c) for c, v in sorted(sums["compensation"].items())},
        "costs_by_item": plain(items),
        "costs_by_party": with_shares(parties),
    }


def rate_decimal(part: Decimal, whole: Decimal) -> str | None:
    return str((part / whole).quantize(FOUR, ROUND_HALF_UP)) if whole else None


def _defect_rates(received: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    inspected: dict[str, int] = defaultdict(int)
    defective: dict[str, int] = defaultdict(int)
    for fact in received:
        if fact.get(key) and fact.get("inspected"):
            inspected[fact[key]] += fact["inspected"]
            defective[fact[key]] += fact.get("defective") or 0
    return {
        k: {
            "inspected": inspected[k],
            "defective": defective[k],
            "rate": rate(defective[k], inspected[k]),
        }
        for k in sorted(inspected)
    }


def _repeats(received: list[dict[str, Any]]) -> dict[str, Any]:
    per_customer = Counter(f["customer"] for f in received if f.get("customer"))
    return {
        "customers": {c: n for c, n in sorted(per_customer.items()) if n > 1},
        "linked_repeats": sum(1 for f in received if f["repeat_links"] > 0),
    }


def weekly(
    facts: list[dict[str, Any]], money: list[dict[str, Any]], week: str, zone: ZoneInfo
) -> dict[str, Any]:
    """Last week's complaints and their handling, for Monday's management meeting (003 §5.3)."""
    year, number = int(week[:4]), int(week[6:])
    start = datetime.combine(date.fromisocalendar(year, number, 1), time(), zone)
    end = start + timedelta(days=7)
    received = [f for f in facts if _in(_at(f["received_at"]), start, end)]
    closed = [f for f in facts if f["status"] in CLOSED and _in(_at(f["closed_at"]), start, end)]
    late = [
        (f["case_number"], clock)
        for f in facts
        for clock, stop in (f["clocks"] or {}).items()
        if _in(_at(stop["at"]), start, end) and not stop["met"]
    ]
    return {
        "week": week,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "received": len(received),
        "closed": len(closed),
        "by_severity": _counts(received, "severity"),
        "by_unit": _counts(received, "unit"),
        "level_1": sorted(f["case_number"] for f in received if f["severity"] == "level_1"),
        "late_steps": [{"case_number": n, "clock": c} for n, c in sorted(late)],
    }
