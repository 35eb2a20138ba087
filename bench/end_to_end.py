"""End to end: complaints per second carried through the services into analytics, and lag.

    .venv/bin/python -m bench.end_to_end [--complaints 1000] [--concurrency 20]

All four services run as processes, on the embedded default (SQLite, HTTP feeds) and on
PostgreSQL + Kafka, with default settings (one process per service, relay and consumers
in it). Clients register complaints as fast as intake answers; a watcher polls analytics'
case facts for each case with the unit routing assigned (so it has gone intake -> routing
-> analytics; settlement consumes the same registrations). Printed side by side with the
baseline of the same run: the rate at which intake acknowledged them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.harness import production_env, users
from bench.intake_registration import complaint
from tests.support.auth import bearer
from tests.support.processes import ServiceProcesses


async def register(url: str, total: int, concurrency: int, acked: dict[str, float]) -> None:
    counter = iter(range(total))

    async def client(http: httpx.AsyncClient) -> None:
        for i in counter:
            answer = await http.post("/complaints", json=complaint(i))
            answer.raise_for_status()
            acked[answer.json()["number"]] = time.monotonic()

    async with users(
        concurrency, base_url=url, timeout=60, headers=bearer("clerk", "bench-clerk")
    ) as https:
        await asyncio.gather(*(client(http) for http in https))


def watch(query, seen: dict[str, float], total: int, stop: threading.Event) -> None:
    while not stop.is_set() and len(seen) < total:
        now = time.monotonic()
        for number in query():
            seen.setdefault(number, now)
        time.sleep(0.1)


def measure(label: str, env: dict[str, str], query_factory, total: int, concurrency: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        system = ServiceProcesses(
            {
                "COMPLAINTS_DATA_DIR": str(Path(folder) / "data"),
                "COMPLAINTS_RATE_LIMIT_PER_MINUTE": "0",
                **env,
            },
            Path(folder),
        )
        system.start_all()
        try:
            query = query_factory(Path(folder) / "data")
            acked: dict[str, float] = {}
            seen: dict[str, float] = {}
            stop = threading.Event()
            watcher = threading.Thread(target=watch, args=(query, seen, total, stop))
            watcher.start()
            started = time.monotonic()
            asyncio.run(register(system.url("intake"), total, concurrency, acked))
            registered = time.monotonic() - started
            watcher.join(timeout=600)
            stop.set()
        finally:
            system.stop_all()
    lags = sorted((seen[n] - acked[n]) * 1000 for n in acked if n in seen)
    through = max(seen.values()) - min(acked.values())
    p99 = lags[min(len(lags) - 1, round(0.99 * len(lags)))]
    return (
        f"| {label} | {len(acked):,} | {len(acked) / registered:,.0f} | {len(seen) / through:,.0f} "
        f"| {statistics.median(lags):,.0f} | {p99:,.0f} |"
    )


def sqlite_facts(data: Path):
    def query() -> list[str]:
        path = data / "analytics-views.sqlite"
        if not path.exists():
            return []
        with contextlib.closing(sqlite3.connect(path, timeout=5)) as db:
            try:
                rows = db.execute("SELECT case_number FROM case_facts WHERE unit IS NOT NULL")
                return [r[0] for r in rows]
            except sqlite3.OperationalError:
                return []

    return query


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    print(
        "| deployment | complaints | baseline: intake acknowledged per s | carried to analytics "
        "per s | lag p50 ms | lag p99 ms |\n|---|---|---|---|---|---|"
    )
    print(
        measure(
            "embedded (SQLite, HTTP feeds)",
            {"COMPLAINTS_STORE": "sqlite"},
            sqlite_facts,
            args.complaints,
            args.concurrency,
        ),
        flush=True,
    )
    with production_env() as kafka:
        import psycopg

        url, prefix = kafka["COMPLAINTS_POSTGRES_URL"], kafka["COMPLAINTS_DATABASE_PREFIX"]

        def pg_facts(_: Path):
            def query() -> list[str]:
                with psycopg.connect(f"{url}/{prefix}analytics") as db:
                    try:
                        rows = db.execute(
                            "SELECT case_number FROM case_facts WHERE unit IS NOT NULL"
                        )
                        return [r[0] for r in rows]
                    except psycopg.errors.UndefinedTable:
                        return []

            return query

        print(
            measure("PostgreSQL + Kafka", kafka, pg_facts, args.complaints, args.concurrency),
            flush=True,
        )


if __name__ == "__main__":
    main()
