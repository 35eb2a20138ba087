"""Analytics at scale: rebuild rate over 1,000,000 events; the monthly report over 100,000 cases.

    .venv/bin/python -m bench.analytics_scale [--events 1000000] [--cases 100000]

Baselines in the same run: for rebuild, a bare scan of the same inbox (read and decode every
event, nothing else); for the report, one SQL aggregate (count per channel) over the month.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bench.harness import postgres_env
from services.analytics import versions
from services.analytics.domain.facts import case_fact
from services.analytics.projection import _row, create_tables, inbox_row
from services.analytics.read_models import case_facts, inbox
from services.analytics.rebuild import rebuild
from shared.platform.settings import Settings
from shared.platform.sqlviews import create_engine

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 11, 1, tzinfo=UTC)


def case_events(i: int, rng: random.Random) -> list[dict]:
    number = f"{i:07d}"
    received = START + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
    closed = received + timedelta(days=rng.uniform(1, 25))
    steps = [
        (
            "intake",
            "intake.ComplaintRegistered",
            received,
            {
                "number": number,
                "received_at": received.isoformat(),
                "channel": rng.choice(["phone", "email", "web_form", "chat"]),
                "nature": rng.choice(["quality", "transport", "delivery"]),
                "severity": "level_3",
                "complainant": {"name": f"K{i % 5000}", "customer_id": f"K{i % 5000}"},
                "subject": {
                    "product": f"P{i % 40}",
                    "batch": f"B{i % 300}",
                    "region": rng.choice(["East", "West", "North", "South"]),
                    "quantity_inspected": 500,
                    "quantity_defective": rng.randrange(0, 30),
                },
            },
        ),
        (
            "routing",
            "routing.CaseAssigned",
            received + timedelta(seconds=1),
            {"unit": rng.choice(["quality_management", "logistics"])},
        ),
        (
            "intake",
            "intake.ComplaintAcknowledged",
            received + timedelta(hours=3),
            {"acknowledged_at": (received + timedelta(hours=3)).isoformat(), "on_time": True},
        ),
        (
            "intake",
            "intake.ComplaintJudged",
            received + timedelta(hours=5),
            {"valid": True, "reason": "ok"},
        ),
        (
            "routing",
            "routing.ClockStopped",
            received + timedelta(days=2),
            {
                "clock": "investigation_report",
                "at": (received + timedelta(days=2)).isoformat(),
                "met": True,
                "reason": "investigation report recorded",
            },
        ),
        (
            "settlement",
            "settlement.CreditNoteIssued",
            received + timedelta(days=3),
            {
                "document": "CN",
                "net": "100.00",
                "tax": "13.00",
                "gross": "113.00",
                "currency": "CNY",
            },
        ),
        ("intake", "intake.OutcomeConfirmed", closed - timedelta(hours=1), {"satisfaction": 4}),
        ("routing", "routing.CaseClosed", closed, {"outcome": "closed", "reason": "ok"}),
    ]
    return [
        {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "type": kind,
            "case_number": number,
            "producer": producer,
            "position": i * 8 + k,
            "occurred_at": at.isoformat(),
            "recorded_at": at.isoformat(),
            "data": data,
        }
        for k, (producer, kind, at, data) in enumerate(steps)
    ]


async def load_inbox(engine, events: int) -> None:
    rng = random.Random(5)
    rows = []
    async with engine.begin() as conn:
        for i in range(events // 8):
            rows.extend(inbox_row(e) for e in case_events(i, rng))
            if len(rows) >= 20_000:
                await conn.execute(inbox.insert(), rows)
                rows.clear()
        if rows:
            await conn.execute(inbox.insert(), rows)


async def load_facts(engine, cases: int) -> None:
    rng = random.Random(9)
    rows = []
    async with engine.begin() as conn:
        for i in range(cases):
            fact = case_fact(case_events(i, rng), ZONE)
            rows.append(_row(fact))
            if len(rows) >= 10_000:
                await conn.execute(case_facts.insert(), rows)
                rows.clear()
        if rows:
            await conn.execute(case_facts.insert(), rows)


async def scan(engine) -> float:
    started = time.perf_counter()
    count = 0
    async with engine.connect() as conn:
        async for _ in await conn.stream(select(inbox.c.envelope)):
            count += 1
    return count / (time.perf_counter() - started)


async def run(settings: Settings, events: int, cases: int) -> dict[str, float]:
    engine = create_engine(settings.storage, "analytics-bench.sqlite")
    await create_tables(engine)
    await load_inbox(engine, events)
    baseline = await scan(engine)
    result = await rebuild(engine, ZONE)
    async with engine.begin() as conn:
        await conn.execute(case_facts.delete())
    await load_facts(engine, cases)
    month = "2025-11"
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        report = await versions.compute_month(engine, month, ZONE)
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    async with engine.connect() as conn:
        await conn.execute(
            select(case_facts.c.channel, func.count())
            .where(case_facts.c.received_month == month)
            .group_by(case_facts.c.channel)
        )
    sql_ms = (time.perf_counter() - started) * 1000
    await engine.dispose()
    return {
        "rebuild": result["events_per_second"],
        "scan": baseline,
        "report_ms": sorted(timings)[2] * 1000,
        "sql_ms": sql_ms,
        "received": report["received"],
        "events": result["events"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows.append(
            (
                "SQLite",
                asyncio.run(
                    run(
                        Settings(service="analytics", data_dir=Path(folder)),
                        args.events,
                        args.cases,
                    )
                ),
            )
        )
    with postgres_env() as env:
        rows.append(
            (
                "PostgreSQL",
                asyncio.run(
                    run(
                        Settings(
                            service="analytics",
                            store="postgres",
                            postgres_url=env["COMPLAINTS_POSTGRES_URL"],
                            database_prefix=env["COMPLAINTS_DATABASE_PREFIX"],
                        ),
                        args.events,
                        args.cases,
                    )
                ),
            )
        )
    print(
        f"analytics: rebuild over {args.events:,} events; monthly report over "
        f"{args.cases:,} cases (one month, {rows[0][1]['received']:,} received in it)"
    )
    print(
        "| store | rebuild (events/s) | baseline: bare inbox scan (events/s) | "
        "monthly report (ms) | baseline: one SQL count per channel (ms) |\n|---|---|---|---|---|"
    )
    for name, r in rows:
        print(
            f"| {name} | {r['rebuild']:,.0f} | {r['scan']:,.0f} | {r['report_ms']:,.0f} | "
            f"{r['sql_ms']:,.1f} |"
        )


if __name__ == "__main__":
    main()
