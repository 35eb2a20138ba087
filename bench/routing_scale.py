"""Routing at scale: rule evaluation rate, and one scheduler tick among 100,000 open cases.

    .venv/bin/python -m bench.routing_scale [--cases 100000]

Baselines in the same run: rules against the same routes hand-coded as an if/elif chain;
the tick's due-time index query against a scan of every open case's deadlines (what a
scheduler without the index would do on each tick).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench.harness import postgres_env
from services.routing import read_models
from services.routing.rules import shipped_rules
from shared.platform.settings import Settings
from shared.platform.sqlviews import create_engine

NATURES = ["quality", "transport", "repair", "delivery", "service", "billing", "network"]
CHANNELS = ["phone", "email", "web_form", "chat", "regulator", "media", "head_office"]
CLOCKS = ["acknowledge", "unit_conclusion", "investigation_report", "close"]


def facts(rng: random.Random) -> dict:
    return {
        "channel": rng.choice(CHANNELS),
        "nature": rng.choice(NATURES),
        "sim_ok": rng.random() > 0.1,
        "handset_ok": rng.random() > 0.1,
        "signal_dbm": rng.uniform(-120, -60),
        "interference_dbm": rng.uniform(-110, -70),
    }


def hand_coded(f: dict) -> str:
    if f["channel"] in ("regulator", "consumer_association"):
        return "escalate-regulator"
    if f["channel"] == "media":
        return "escalate-media"
    if f["channel"] == "head_office":
        return "escalate-head-office"
    if f["nature"] == "network":
        if not f["sim_ok"]:
            return "telecom-sim"
        if not f["handset_ok"]:
            return "telecom-handset"
        if f["signal_dbm"] < -94:
            return "telecom-coverage"
        if f["interference_dbm"] > -85:
            return "telecom-interference"
        return "telecom-core"
    return {
        "transport": "transport",
        "quality": "quality",
        "repair": "repair",
        "delivery": "delivery",
    }.get(f["nature"], "catch-all")


def rules_rate(count: int) -> tuple[float, float]:
    rng = random.Random(7)
    samples = [facts(rng) for _ in range(count)]
    rules = shipped_rules()
    started = time.perf_counter()
    decided = [rules.decide(f).rule.id for f in samples]
    ours = count / (time.perf_counter() - started)
    started = time.perf_counter()
    expected = [hand_coded(f) for f in samples]
    baseline = count / (time.perf_counter() - started)
    assert decided == expected, "the rule engine and the baseline disagree"
    return ours, baseline


async def populate(engine, cases: int, start: datetime) -> None:
    await read_models.create_tables(engine)
    rng = random.Random(11)
    deadlines, timers = [], []
    for i in range(cases):
        number = f"{2600 + i // 9999:04d}-{i % 9999 + 1:04d}"
        received = start + timedelta(seconds=rng.uniform(0, 30 * 86400))
        for clock, days in zip(CLOCKS, (1, 3, 3, 13), strict=True):
            due = received + timedelta(days=days)
            deadlines.append({"number": number, "clock": clock, "due": due})
            for timer, at in (
                ("warning", due - timedelta(hours=8)),
                ("reminder", due),
                ("escalation", due + timedelta(hours=24)),
            ):
                timers.append({"number": number, "clock": clock, "timer": timer, "due_at": at})
    async with engine.begin() as conn:
        for table, rows in ((read_models.deadlines, deadlines), (read_models.timers, timers)):
            for chunk in range(0, len(rows), 20_000):
                await conn.execute(table.insert(), rows[chunk : chunk + 20_000])


async def timed(work, repeat: int = 7) -> float:
    """Median milliseconds of `repeat` runs after one warm-up."""
    await work()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


async def tick_costs(settings: Settings, cases: int) -> dict[str, float]:
    engine = create_engine(settings.storage, "routing-views.sqlite")
    start = datetime(2026, 10, 1, tzinfo=UTC)
    began = time.perf_counter()
    await populate(engine, cases, start)
    load_seconds = time.perf_counter() - began
    nothing_due = start - timedelta(days=1)
    some_due = start + timedelta(hours=17)  # the earliest few hundred warnings

    async def full_scan() -> None:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(read_models.deadlines))).all()
        [r for r in rows if r.due <= some_due]

    figures = {
        "load_s": load_seconds,
        "tick_none_due_ms": await timed(lambda: read_models.due_cases(engine, nothing_due, 200)),
        "tick_200_due_ms": await timed(lambda: read_models.due_cases(engine, some_due, 200)),
        "scan_ms": await timed(full_scan, repeat=3),
        "due": len(await read_models.due_cases(engine, some_due, 200)),
    }
    await engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    ours, baseline = rules_rate(args.cases)
    print(f"rule evaluation over {args.cases:,} cases (shipped rule set, 13 rules)")
    print("| evaluator | decisions per second |\n|---|---|")
    print(f"| rule set as data, with trace | {ours:,.0f} |")
    print(f"| baseline: hand-coded if/elif | {baseline:,.0f} |")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite = Settings(service="routing", data_dir=Path(folder))
        rows.append(("SQLite", asyncio.run(tick_costs(sqlite, args.cases))))
    with postgres_env() as env:
        pg = Settings(
            service="routing",
            store="postgres",
            postgres_url=env["COMPLAINTS_POSTGRES_URL"],
            database_prefix=env["COMPLAINTS_DATABASE_PREFIX"],
        )
        rows.append(("PostgreSQL", asyncio.run(tick_costs(pg, args.cases))))
    print(
        f"\nscheduler tick among {args.cases:,} open cases "
        f"({args.cases * 4:,} running clocks, {args.cases * 12:,} timer rows)"
    )
    print(
        "| store | tick, nothing due (ms) | tick, 200 cases due (ms) | "
        "baseline: scan every open case (ms) |\n|---|---|---|---|"
    )
    for name, f in rows:
        print(
            f"| {name} | {f['tick_none_due_ms']:.2f} | {f['tick_200_due_ms']:.2f} | "
            f"{f['scan_ms']:.0f} |"
        )


if __name__ == "__main__":
    main()
