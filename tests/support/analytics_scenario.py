"""A seeded scenario for analytics: cases as plain specs, and the envelopes they produce.

The specs are the test's own truth: expected figures are computed from them directly, never
through analytics' code. The envelopes are what intake, routing and settlement would publish.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.kernel.case_number import numbering_period

CHANNELS = ["phone", "email", "web_form", "regulator", "chat"]
NATURES = ["quality", "transport", "delivery", "service"]
REGIONS = ["East", "West", "North", "South"]
PRODUCTS = ["PCB-A", "PCB-B", "Housing"]
UNITS = ["quality_management", "logistics", "production_planning", "customer_service"]
CAUSES = ["transport_damage", "technical_defect", "customer_misuse", None]


@dataclass
class CaseSpec:
    number: str
    received_at: datetime
    channel: str
    nature: str
    severity: str
    region: str
    product: str
    batch: str
    customer: str
    inspected: int
    defective: int
    unit: str
    cause: str | None
    ack_at: datetime | None
    ack_on_time: bool | None
    valid: bool | None
    steps: list[tuple[str, datetime, bool]] = field(default_factory=list)
    closed_at: datetime | None = None
    outcome: str | None = None
    reopened: bool = False
    satisfaction: int | None = None
    money: list[tuple[str, str, Decimal, datetime, str | None]] = field(default_factory=list)
    # (measure, currency, amount, booked_at, label) ; measure: refund|allowance|compensation|
    # cost_item ; cost shares are in `shares`
    shares: list[tuple[str, str, Decimal, str, datetime]] = field(default_factory=list)
    # (currency, party "kind:name", amount, ratio, booked_at)


def scenario(count: int = 240, seed: int = 20261123) -> list[CaseSpec]:
    rng = random.Random(seed)
    specs = []
    start = datetime(2026, 7, 31, 16, 0, tzinfo=UTC)  # 1 Aug 00:00 in Shanghai
    for i in range(count):
        received = start + timedelta(minutes=rng.randrange(0, 92 * 24 * 60))
        if i % 40 == 0:  # a few right at the business month's turn (Shanghai, UTC+8)
            received = datetime(2026, 9, 30, 15, 59, tzinfo=UTC) + timedelta(minutes=i % 3)
        spec = CaseSpec(
            number=f"{numbering_period(received, 'Asia/Shanghai')}-{i + 1:04d}",
            received_at=received,
            channel=rng.choice(CHANNELS),
            nature=rng.choice(NATURES),
            severity=rng.choice(["level_1", "level_2", "level_3"]),
            region=rng.choice(REGIONS),
            product=rng.choice(PRODUCTS),
            batch=f"B{rng.randrange(1, 8)}",
            customer=f"K-{rng.randrange(1, 60)}",
            inspected=rng.randrange(100, 1000),
            defective=0,
            unit=rng.choice(UNITS),
            cause=rng.choice(CAUSES),
            ack_at=None,
            ack_on_time=None,
            valid=None,
        )
        spec.defective = rng.randrange(0, spec.inspected // 10)
        if rng.random() < 0.9:
            spec.ack_at = received + timedelta(hours=rng.uniform(0.5, 40))
            spec.ack_on_time = spec.ack_at <= received + timedelta(hours=24)
        if rng.random() < 0.85:
            spec.valid = rng.random() < 0.8
        if spec.valid:
            report_at = received + timedelta(days=rng.uniform(1, 5))
            spec.steps.append(
                ("investigation_report", report_at, report_at <= received + timedelta(days=3))
            )
            if rng.random() < 0.7:
                booked = received + timedelta(days=rng.uniform(2, 12))
                kind = rng.choice(["refund", "allowance", "compensation"])
                currency = rng.choice(["CNY", "CNY", "USD"])
                amount = Decimal(rng.randrange(100, 500_000)) / 100
                spec.money.append((kind, currency, amount, booked, None))
                cost = Decimal(rng.randrange(1000, 90_000)) / 100
                spec.money.append(("cost_item", "CNY", cost, booked, "return_freight"))
                carrier = (cost * Decimal("0.6")).quantize(Decimal("0.01"))
                spec.shares.append(("CNY", "carrier:SF", carrier, "60", booked))
                spec.shares.append(("CNY", "internal_unit:QA", cost - carrier, "40", booked))
            if rng.random() < 0.75:
                spec.closed_at = received + timedelta(days=rng.uniform(3, 30))
                spec.outcome = "closed"
                spec.steps.append(
                    ("close", spec.closed_at, spec.closed_at <= received + timedelta(days=13))
                )
                spec.reopened = rng.random() < 0.1
                if rng.random() < 0.8:
                    spec.satisfaction = rng.randrange(1, 6)
        elif spec.valid is False:
            spec.closed_at = received + timedelta(days=rng.uniform(0.5, 4))
            spec.outcome = "not_valid"
        specs.append(spec)
    return specs


class Publisher:
    """Numbers each producer's events like its notification log would."""

    def __init__(self) -> None:
        self.positions = {"intake": 0, "routing": 0, "settlement": 0}

    def envelope(
        self,
        producer: str,
        type_: str,
        case: str,
        at: datetime,
        data: dict[str, Any],
        recorded_at: datetime | None = None,
    ) -> dict[str, Any]:
        self.positions[producer] += 1
        return {
            "envelope_version": 1,
            "event_id": str(uuid.uuid4()),
            "type": type_,
            "schema_version": 1,
            "case_number": case,
            "occurred_at": at.isoformat(),
            "recorded_at": (recorded_at or at).isoformat(),
            "producer": producer,
            "position": self.positions[producer],
            "causation_id": None,
            "correlation_id": str(uuid.uuid4()),
            "actor": {"id": "scenario", "role": "system"},
            "data": data,
        }


def envelopes(specs: list[CaseSpec]) -> list[dict[str, Any]]:
    """Every case's events, in each producer's own order (time order)."""
    timeline: list[tuple[datetime, str, str, str, dict[str, Any]]] = []
    for s in specs:

        def add(at, producer, type_, data, s=s):
            timeline.append((at, producer, type_, s.number, data))

        add(
            s.received_at,
            "intake",
            "intake.ComplaintRegistered",
            {
                "number": s.number,
                "received_at": s.received_at.isoformat(),
                "channel": s.channel,
                "nature": s.nature,
                "severity": s.severity,
                "complainant": {"name": s.customer, "type": "consumer", "customer_id": s.customer},
                "subject": {
                    "product": s.product,
                    "batch": s.batch,
                    "region": s.region,
                    "quantity_inspected": s.inspected,
                    "quantity_defective": s.defective,
                },
                "description": "x",
                "demands": {},
                "taken_by": "clerk",
            },
        )
        add(
            s.received_at + timedelta(seconds=1),
            "routing",
            "routing.CaseAssigned",
            {"unit": s.unit, "rule_id": "r", "ruleset_version": "1"},
        )
        if s.cause:
            add(
                s.received_at + timedelta(seconds=2),
                "intake",
                "intake.ComplaintClassified",
                {"changes": {"cause": s.cause}, "reason": "scenario"},
            )
        if s.ack_at:
            add(
                s.ack_at,
                "intake",
                "intake.ComplaintAcknowledged",
                {
                    "reply": "noted",
                    "acknowledged_at": s.ack_at.isoformat(),
                    "on_time": s.ack_on_time,
                },
            )
        if s.valid is not None:
            add(
                s.received_at + timedelta(hours=1),
                "intake",
                "intake.ComplaintJudged",
                {"valid": s.valid, "reason": "scenario", "reply": None if s.valid else "no"},
            )
        for clock, at, met in s.steps:
            add(
                at,
                "routing",
                "routing.ClockStopped",
                {
                    "clock": clock,
                    "at": at.isoformat(),
                    "met": met,
                    "reason": "closed" if clock == "close" else "investigation report recorded",
                },
            )
        for measure, currency, amount, at, label in s.money:
            data = {
                "refund": {
                    "document": "CN",
                    "net": str(amount),
                    "tax": "0",
                    "gross": str(amount),
                    "currency": currency,
                },
                "allowance": {
                    "document": "AC",
                    "mode": "percent",
                    "value": "1",
                    "lines": [],
                    "net": str(amount),
                    "tax": "0",
                    "gross": str(amount),
                    "currency": currency,
                },
                "compensation": {
                    "amount": str(amount),
                    "kind": "compensation",
                    "payee": "c",
                    "currency": currency,
                },
                "cost_item": {
                    "item": label,
                    "amount": str(amount),
                    "accounting_unit": "u",
                    "owner": "o",
                    "currency": currency,
                },
            }[measure]
            type_ = {
                "refund": "settlement.CreditNoteIssued",
                "allowance": "settlement.AllowanceIssued",
                "compensation": "settlement.CompensationAgreed",
                "cost_item": "settlement.CostRecorded",
            }[measure]
            add(at, "settlement", type_, data)
        if s.shares:
            at = s.shares[0][4]
            add(
                at + timedelta(seconds=1),
                "settlement",
                "settlement.CostsApportioned",
                {
                    "total": str(sum(a for _, _, a, _, _ in s.shares)),
                    "currency": "CNY",
                    "shares": [
                        {
                            "kind": p.split(":")[0],
                            "name": p.split(":")[1],
                            "ratio": r,
                            "amount": str(a),
                        }
                        for _, p, a, r, _ in s.shares
                    ],
                },
            )
        if s.reopened:
            add(
                s.closed_at - timedelta(hours=1),
                "intake",
                "intake.ComplaintReopened",
                {"cycle": 2, "previous_cycle": 1, "reason": "scenario"},
            )
        if s.satisfaction:
            add(
                s.closed_at - timedelta(minutes=30),
                "intake",
                "intake.OutcomeConfirmed",
                {"satisfaction": s.satisfaction, "comment": None},
            )
        if s.closed_at:
            add(
                s.closed_at,
                "routing",
                "routing.CaseClosed",
                {"outcome": s.outcome, "reason": "scenario"},
            )
    publisher = Publisher()
    return [
        publisher.envelope(producer, type_, case, at, data)
        for at, producer, type_, case, data in sorted(timeline, key=lambda t: t[0])
    ]
