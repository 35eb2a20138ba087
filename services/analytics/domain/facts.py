"""What analytics knows about a case, as a pure fold over the case's integration events.

The fold runs over a case's events in one canonical order (when they happened, then the
producer's causal rank, then the producer's position), so the result does not depend on
the order they arrived in across topics; projecting, rebuilding and asking "as known at
time T" all run this same fold. The fact row carries the fold's cursor (the canonical key
of the last event folded in): an event that sorts after it is applied to the row as it
stands (`fold_further`); one that sorts before it means the case is folded again from all
its events. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shared.contracts.routing import StopCause
from shared.kernel.periods import month_of

#: Producers in causal order, to break ties between events of the same instant.
_PRODUCER_ORDER = {"intake": 0, "routing": 1, "settlement": 2}

#: An event's place in the canonical order: (occurred at, producer rank, position).
FoldKey = tuple[datetime, int, int]

#: The fact row's columns holding the cursor, in the order of a `FoldKey`.
CURSOR = ("folded_at", "folded_rank", "folded_position")


def _at(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def fold_key(event: dict[str, Any]) -> FoldKey:
    return (
        _at(event["occurred_at"]),
        _PRODUCER_ORDER.get(event["producer"], 9),
        event["position"],
    )


def canonical(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=fold_key)


def row_month(event: dict[str, Any], zone: ZoneInfo) -> str:
    """The business month an event's money counts in: the month it happened."""
    return month_of(_at(event["occurred_at"]), zone)


def case_fact(events: Iterable[dict[str, Any]], zone: ZoneInfo) -> dict[str, Any] | None:
    """One row per case, with its cursor; None until the registration is known."""
    fact: dict[str, Any] = {"clocks": {}, "reopened": 0, "repeat_links": 0}
    for e in canonical(events):
        _apply(fact, e, zone)
    return _finish(fact) if "case_number" in fact else None


def fold_further(
    fact: dict[str, Any], events: Iterable[dict[str, Any]], zone: ZoneInfo
) -> dict[str, Any] | None:
    """The stored fact with `events` folded in, when they all sort after its cursor.

    None when the fact has no cursor (written before cursors were kept) or when one of the
    events sorts at or before it (it arrived late across topics): the caller folds the case
    again from all its events, which gives what folding in order would have given.
    """
    cursor = tuple(fact.get(name) for name in CURSOR)
    ordered = canonical(events)
    if None in cursor or not ordered or fold_key(ordered[0]) <= cursor:
        return None
    further = {**fact, "clocks": dict(fact["clocks"])}
    for e in ordered:
        _apply(further, e, zone)
    return further


def _apply(fact: dict[str, Any], e: dict[str, Any], zone: ZoneInfo) -> None:
    """One step of the fold: what the event changes in the case's fact, and the cursor."""
    data, kind, at = e["data"], e["type"], _at(e["occurred_at"])
    fact.update(zip(CURSOR, fold_key(e), strict=True))
    if kind == "intake.ComplaintRegistered":
        subject, who = data.get("subject") or {}, data.get("complainant") or {}
        received = _at(data["received_at"])
        fact.update(
            case_number=e["case_number"],
            received_at=received,
            received_month=month_of(received, zone),
            channel=data["channel"],
            nature=data["nature"],
            severity=data.get("severity") or "level_3",
            customer=who.get("customer_id") or who.get("name"),
            customer_type=who.get("type"),
            product=subject.get("product"),
            part_no=subject.get("part_no"),
            batch=subject.get("batch"),
            region=subject.get("region"),
            inspected=subject.get("quantity_inspected"),
            defective=subject.get("quantity_defective"),
            status="open",
        )
    elif kind == "intake.ComplaintAcknowledged":
        fact.update(
            acknowledged_at=_at(data["acknowledged_at"]), acknowledged_on_time=data["on_time"]
        )
    elif kind == "intake.ComplaintJudged":
        fact["valid"] = data["valid"]
    elif kind == "intake.ComplaintClassified":
        for scheme in ("nature", "severity", "fault_class", "online_level", "cause"):
            if scheme in data["changes"]:
                fact[scheme] = data["changes"][scheme]
    elif kind == "intake.RepeatLinked":
        fact["repeat_links"] += 1
    elif kind == "intake.RepeatUnlinked":
        fact["repeat_links"] -= 1
    elif kind == "intake.OutcomeConfirmed":
        fact["satisfaction"] = data["satisfaction"]
    elif kind == "intake.ComplaintReopened":
        fact["reopened"] += 1
    elif kind == "routing.CaseAssigned" or kind == "routing.CaseReassigned":
        fact["unit"] = data["unit"]
    elif kind == "routing.ClockStopped" and _completes_step(data):
        fact["clocks"] = {**fact["clocks"], data["clock"]: {"met": data["met"], "at": data["at"]}}
    elif kind == "routing.CaseClosed":
        fact.update(closed_at=at, status=data["outcome"])


def _completes_step(stop: dict[str, Any]) -> bool:
    """A clock stopped because its step was done (not cut short by closing, withdrawal,
    a not-valid judgement or a reopening) counts towards the on-time rate of its step.

    Stops published before `cause` existed are told by their reason's wording, once, here.
    """
    cause = stop.get("cause")
    if cause is None:
        if stop["reason"] in ("not valid", "withdrawn", "reopened"):
            return False
        return stop["reason"] != "closed" or stop["clock"] == "close"
    return cause == StopCause.completed


def _finish(fact: dict[str, Any]) -> dict[str, Any]:
    for key in (
        "acknowledged_at",
        "acknowledged_on_time",
        "valid",
        "satisfaction",
        "unit",
        "closed_at",
        "fault_class",
        "online_level",
        "cause",
    ):
        fact.setdefault(key, None)
    return fact


#: Payments that name the voucher booking them; reversing that voucher undoes the payment.
PAYMENTS = ("settlement.AllowanceIssued", "settlement.CompensationAgreed")


def payments_by_voucher(events: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A case's payments by the voucher that books them (older events name none)."""
    return {
        e["data"]["voucher"]: e
        for e in events
        if e["type"] in PAYMENTS and e["data"].get("voucher")
    }


def money_rows(
    event: dict[str, Any], zone: ZoneInfo, payments: dict[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Money facts an event books, each in the business month it happened.

    A voucher reversing a payment's voucher books that payment's amounts negated, in the
    month of the reversal (`payments`: the case's payments by voucher), so the month the
    payment was made keeps its figure and the month it was undone shows the correction.
    """
    data, kind = event["data"], event["type"]
    if kind == "settlement.VoucherPosted":
        reversed_payment = (payments or {}).get(data.get("reverses") or "")
        if reversed_payment is None:
            return []
        return [
            {
                **row,
                "event_id": str(event["event_id"]),
                "month": row_month(event, zone),
                "amount": str(-Decimal(row["amount"])),
            }
            for row in money_rows(reversed_payment, zone)
        ]

    def row(
        measure: str, amount: str, currency: str, label: str | None = None, share: str | None = None
    ) -> dict[str, Any]:
        return {
            "event_id": str(event["event_id"]),
            "case_number": event["case_number"],
            "month": row_month(event, zone),
            "measure": measure,
            "label": label,
            "currency": currency,
            "amount": str(Decimal(amount)),
            "share": share,
        }

    if kind == "settlement.CreditNoteIssued":
        return [row("refund", data["gross"], data["currency"])]
    if kind == "settlement.AllowanceIssued":
        return [row("allowance", data["gross"], data["currency"])]
    if kind == "settlement.CompensationAgreed":
        return [row("compensation", data["amount"], data["currency"], data["kind"])]
    if kind == "settlement.CostRecorded":
        return [row("cost_item", data["amount"], data["currency"], data["item"])]
    if kind == "settlement.CostsApportioned":
        return [
            row(
                f"cost_party:{i}",
                s["amount"],
                data["currency"],
                f"{s['kind']}:{s['name']}",
                str(s["ratio"]),
            )
            for i, s in enumerate(data["shares"])
        ]
    return []
