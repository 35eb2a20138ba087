"""Registration throughput and latency at intake, on SQLite and PostgreSQL, in one run,
beside a CRUD baseline on the same PostgreSQL, and latency at a fixed request rate.

    .venv/bin/python -m bench.intake_registration [--requests 2000] [--concurrency 20]
                                                   [--rate 100] [--seconds 10]

Each store gets a fresh intake process (relay and consumers off, to measure registration
alone: numbering, idempotency-free insert of sequence + complaint in one transaction).
The baseline (bench/crud_baseline.py) writes one row per complaint through the same web stack.
Prints Markdown tables; copy them into docs/benchmarks.md with the command and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
from urllib.parse import urlsplit

from bench.harness import HEADER, Figures, closed_loop, open_loop, postgres_env, service
from tests.support.infra import ROOT, free_port
from tests.support.waiting import wait_until

QUIET = {
    "COMPLAINTS_RELAY_ENABLED": "false",
    "COMPLAINTS_CONSUMERS_ENABLED": "false",
    "COMPLAINTS_LOG_LEVEL": "WARNING",
    # One clerk sends thousands of requests; the per-token limit would measure itself.
    "COMPLAINTS_RATE_LIMIT_PER_MINUTE": "0",
}


def complaint(i: int) -> dict:
    return {
        "channel": "phone",
        "nature": "quality",
        "complainant": {"name": f"Customer {i % 500}", "customer_id": f"C-{i % 500}"},
        "subject": {"part_no": f"P-{i % 97}", "batch": f"B-{i % 31}"},
        "problem": {"what": "cracked housing", "where": "on delivery"},
        "description": f"complaint {i}",
    }


def measure(label: str, env: dict[str, str], requests: int, concurrency: int) -> Figures:
    with service("intake", {**QUIET, **env}) as url:
        asyncio.run(closed_loop(url, "/complaints", complaint, 100, concurrency))  # warm-up
        seconds, latencies = asyncio.run(
            closed_loop(url, "/complaints", complaint, requests, concurrency)
        )
    return Figures(label, requests, seconds, latencies)


def at_rate(label: str, env: dict[str, str], rate: float, seconds: float) -> Figures:
    with service("intake", {**QUIET, **env}) as url:
        asyncio.run(closed_loop(url, "/complaints", complaint, 100, 10))  # warm-up
        elapsed, latencies = asyncio.run(open_loop(url, "/complaints", complaint, rate, seconds))
    return Figures(label, len(latencies), elapsed, latencies)


def baseline(postgres_url: str, database: str, requests: int, concurrency: int) -> Figures:
    port = free_port()
    netloc = urlsplit(postgres_url).netloc
    env = {
        "COMPLAINTS_BASELINE_DSN": f"postgresql+asyncpg://{netloc}/{database}",
        "PATH": "/usr/bin:/bin",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.crud_baseline:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        wait_until(lambda: _up(httpx, url), what="baseline up")
        asyncio.run(closed_loop(url, "/complaints", complaint, 100, concurrency))
        seconds, latencies = asyncio.run(
            closed_loop(url, "/complaints", complaint, requests, concurrency)
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    return Figures(
        f"baseline: CRUD row, PostgreSQL, {concurrency} clients", requests, seconds, latencies
    )


def _up(httpx, url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    sqlite = {"COMPLAINTS_STORE": "sqlite"}
    rows = [measure(f"SQLite, {args.concurrency} clients", sqlite, args.requests, args.concurrency)]
    rated = [at_rate(f"SQLite, open loop {args.rate:g}/s", sqlite, args.rate, args.seconds)]
    with postgres_env() as env:
        rows.append(
            measure(f"PostgreSQL, {args.concurrency} clients", env, args.requests, args.concurrency)
        )
        rated.append(
            at_rate(f"PostgreSQL, open loop {args.rate:g}/s", env, args.rate, args.seconds)
        )
        rows.append(
            baseline(
                env["COMPLAINTS_POSTGRES_URL"],
                f"{env['COMPLAINTS_DATABASE_PREFIX']}intake",
                args.requests,
                args.concurrency,
            )
        )
    print(f"intake registration, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(HEADER)
    for row in rows:
        print(row.row())
    ratio = rows[1].throughput / rows[2].throughput
    print(f"\nregistration on PostgreSQL = {ratio:.2f} x the CRUD baseline's throughput")
    print(f"\nlatency at a fixed rate ({args.seconds:g} s, requests started on schedule)")
    print(HEADER)
    for row in rated:
        print(row.row())


if __name__ == "__main__":
    main()
