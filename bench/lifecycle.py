"""A complaint's whole life, on the product and on a CRUD app doing the same, in the same run.

    .venv/bin/python -m bench.lifecycle [--cases 200] [--clients 10 40] [--warmup 100]
                                        [--rates 5 10 20] [--seconds 20]
                                        [--deployments embedded postgres]

The lifecycle: a clerk registers the complaint (intake); routing assigns it to a unit; the
unit's handler proposes a compensation; a manager approves it; settlement opens; finance pays
the compensation; the money is visible in analytics' read model. Every step is a real HTTP
call with the role's bearer token; the asynchronous steps are awaited as a front end would:
routed and settlement opened by a read with `Prefer: wait=10` (answered when the case
changes or appears; a server that does not wait is asked again every 20 ms), the money in
analytics by polling its read model every 20 ms.

The baseline (`bench/crud_lifecycle.py`) is one FastAPI + SQLAlchemy app on the same
database kind doing the same calls: one table, the same approval thresholds, a SQL sum for
the report; its "asynchronous" steps are visible at once (one GET each).

Closed loop: C clients, each with its own HTTP connections, running one lifecycle after
another, N lifecycles in all. Open loop: lifecycles started at a fixed rate whatever the
answers do. Each system first runs W unmeasured lifecycles with the most clients
(`--warmup`): a process just started compiles statements and fills caches at its first
requests, and a Kafka broker just started compiles its hot paths (the JVM's JIT), so the
first measured run would otherwise time the start-up, not the system. Printed: lifecycles per
second and the product's ratio to the baseline; p50 and p99 of each waiting step (routed
after registration, settlement after approval, analytics after payment) and of the whole
lifecycle; CPU milliseconds per lifecycle of each process, from /proc, net of what the
process burns idle (measured for 10 s before the load, after 5 s to settle), and that idle
rate itself, in percent of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.harness import production_env, users
from tests.support.auth import bearer
from tests.support.infra import ROOT, free_port
from tests.support.processes import CORE, ServiceProcesses
from tests.support.waiting import wait_until

STEPS = ("registered", "routed", "proposed", "approved", "settlement", "paid", "in_analytics")
#: The steps a caller waits for, and the step each is measured from.
WAITS = {"routed": "registered", "settlement": "approved", "in_analytics": "paid"}
POLL_SECONDS = 0.02
TICKS = os.sysconf("SC_CLK_TCK")
HEADERS = {role: bearer(role) for role in ("clerk", "handler", "manager", "finance")}


def complaint(i: int) -> dict:
    return {
        "channel": "email",
        "nature": "quality",
        "complainant": {"name": f"Customer {i}", "type": "key_account", "customer_id": "C-1001"},
        "problem": {"what": "solder bridges on J3", "where": "SMT line 2"},
        "description": "12 boards short",
    }


@dataclass
class Target:
    """Where a lifecycle's calls go, how a step is seen, and whose CPU counts."""

    label: str
    intake: str
    routing: str
    settlement: str
    in_analytics: Callable[[httpx.AsyncClient, str], object]
    approval: dict
    pids: dict[str, int] = field(default_factory=dict)


async def until(check) -> None:
    """Poll until `check` holds (the money in analytics' read model)."""
    while not await check():  # noqa: ASYNC110 - the step happens in another process
        await asyncio.sleep(POLL_SECONDS)


async def awaited(http: httpx.AsyncClient, url: str, role: str, done: Callable) -> None:
    """Read until `done(body)`, each read waiting for the resource to change or appear
    (`Prefer: wait`, with the last ETag); a server that answers at once is asked again
    after the poll interval."""
    tag = None
    while True:
        headers = {"Prefer": "wait=10", **({"If-None-Match": tag} if tag else {})}
        answer = await send(http, "GET", url, role, extra=headers)
        if answer.status_code == 200 and done(answer.json()):
            return
        if answer.status_code not in (200, 304, 404):
            raise RuntimeError(f"GET {url}: {answer.status_code} {answer.text}")
        tag = answer.headers.get("ETag", tag)
        if "Preference-Applied" not in answer.headers and answer.status_code != 304:
            await asyncio.sleep(POLL_SECONDS)


async def send(http: httpx.AsyncClient, method: str, url: str, role: str, body=None, extra=None):
    """One request; again if the server had closed the kept-alive connection just as it was
    reused (a race every HTTP client meets). A POST carries an Idempotency-Key, so the
    product answers a repeat with its first answer and does nothing twice."""
    headers = {**HEADERS[role], **(extra or {})}
    if method == "POST":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    for attempt in range(3):
        try:
            return await http.request(method, url, json=body, headers=headers)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def lifecycle(http: httpx.AsyncClient, target: Target, i: int) -> dict[str, float]:
    t = {"start": time.monotonic()}

    async def call(method: str, url: str, role: str, body: dict | None = None) -> httpx.Response:
        answer = await send(http, method, url, role, body)
        if answer.status_code >= 300:
            raise RuntimeError(f"{method} {url}: {answer.status_code} {answer.text}")
        return answer

    number = (await call("POST", f"{target.intake}/complaints", "clerk", complaint(i))).json()[
        "number"
    ]
    t["registered"] = time.monotonic()
    case = f"{target.routing}/cases/{number}"
    await awaited(http, case, "handler", lambda body: body["status"] == "assigned")
    t["routed"] = time.monotonic()
    remedies = {"currency": "CNY", "remedies": [{"kind": "compensation", "amount": "300.00"}]}
    await call("POST", f"{case}/remedies", "handler", remedies)
    t["proposed"] = time.monotonic()
    await call("POST", f"{case}/approval", "manager", target.approval)
    t["approved"] = time.monotonic()
    money = f"{target.settlement}/settlements/{number}"
    await awaited(http, money, "finance", lambda body: True)
    t["settlement"] = time.monotonic()
    paid = {"amount": "300.00", "payee": "C-1001"}
    await call("POST", f"{money}/compensations", "finance", paid)
    t["paid"] = time.monotonic()
    await until(lambda: target.in_analytics(http, number))
    t["in_analytics"] = time.monotonic()
    return t


#: The users an open loop's lifecycles take turns with (a lifecycle started while its user's
#: previous one still runs opens that user a second connection, as a browser tab would).
OPEN_LOOP_USERS = 40


async def closed_loop(target: Target, cases: int, clients: int) -> tuple[float, list[dict]]:
    counter = iter(range(cases))
    done: list[dict] = []

    async def client(http: httpx.AsyncClient) -> None:
        for i in counter:
            done.append(await lifecycle(http, target, i))

    async with users(clients, timeout=120) as https:
        started = time.monotonic()
        await asyncio.gather(*(client(http) for http in https))
        return time.monotonic() - started, done


async def open_loop(target: Target, rate: float, seconds: float) -> tuple[float, list[dict]]:
    async with users(OPEN_LOOP_USERS, timeout=120) as https:
        started, tasks = time.monotonic(), []
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            http = https[i % len(https)]
            tasks.append(asyncio.create_task(lifecycle(http, target, 100_000 + i)))
        done = await asyncio.gather(*tasks)
        return time.monotonic() - started, list(done)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


IDLE_SECONDS = 10


class CpuMeter:
    """CPU each process used during a run, net of its idle rate."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self._settle()
        start = {n: cpu_seconds(p) for n, p in pids.items()}
        time.sleep(IDLE_SECONDS)
        self.idle = {n: (cpu_seconds(p) - start[n]) / IDLE_SECONDS for n, p in pids.items()}

    def _settle(self) -> None:
        """Started just now: wait until start-up work (migrations, first checkpoint) is over,
        i.e. a second in which no process used more than 5% of a core (at most 30 s)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            before = {n: cpu_seconds(p) for n, p in self.pids.items()}
            time.sleep(1)
            if all(cpu_seconds(p) - before[n] < 0.05 for n, p in self.pids.items()):
                return

    @contextlib.contextmanager
    def measuring(self) -> Iterator[dict[str, float]]:
        used: dict[str, float] = {}
        start, began = {n: cpu_seconds(p) for n, p in self.pids.items()}, time.monotonic()
        yield used
        elapsed = time.monotonic() - began
        for name, pid in self.pids.items():
            used[name] = cpu_seconds(pid) - start[name] - self.idle[name] * elapsed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(label: str, load: str, seconds: float, done: list[dict], cpu: dict[str, float]) -> str:
    rate = len(done) / seconds
    lags = {step: [(t[step] - t[since]) * 1000 for t in done] for step, since in WAITS.items()}
    whole = [(t["in_analytics"] - t["start"]) * 1000 for t in done]
    waits = " | ".join(
        f"{percentile(v, 50):,.0f} / {percentile(v, 99):,.0f}" for v in lags.values()
    )
    per = ", ".join(f"{n} {s * 1000 / len(done):.0f}" for n, s in cpu.items())
    total = sum(cpu.values()) * 1000 / len(done)
    return (
        f"| {label} | {load} | {len(done)} | {rate:.1f} | {waits} | "
        f"{percentile(whole, 50):,.0f} / {percentile(whole, 99):,.0f} | {total:.0f} ({per}) |"
    )


HEADER = (
    "| system | load | lifecycles | per second | routed p50 / p99 ms | settlement p50 / p99 ms "
    "| analytics p50 / p99 ms | whole p50 / p99 ms | CPU ms per lifecycle |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


IDLE: list[str] = []


def run_all(target: Target, args: argparse.Namespace) -> dict[str, float]:
    """Every load against `target`, after the warm-up; the closed-loop rates by client count."""
    if args.warmup:
        asyncio.run(closed_loop(target, args.warmup, max(args.clients)))
    meter = CpuMeter(target.pids)
    idle = ", ".join(f"{name} {share * 100:.2f}" for name, share in meter.idle.items())
    IDLE.append(f"{target.label}, idle, % of one core: {idle}")
    rates = {}
    for clients in args.clients:
        with meter.measuring() as cpu:
            seconds, done = asyncio.run(closed_loop(target, args.cases, clients))
        rates[f"{clients} clients"] = len(done) / seconds
        print(row(target.label, f"closed, {clients} clients", seconds, done, cpu), flush=True)
    for rate in args.rates:
        with meter.measuring() as cpu:
            seconds, done = asyncio.run(open_loop(target, rate, args.seconds))
        print(row(target.label, f"open, {rate}/s offered", seconds, done, cpu), flush=True)
    return rates


class MoneySeen:
    """The cases whose compensation analytics holds, read from its views over one connection
    kept open: the watcher asks every 40 ms, and a PostgreSQL connection opened each time is
    a server process forked each time, CPU the product's database would be charged for."""

    SQL = "SELECT case_number FROM money_facts WHERE measure = 'compensation'"

    def __init__(self, connect: Callable[[], Any], missing: type[Exception]) -> None:
        self.connect = connect
        self.missing = missing
        self.db: Any = None

    def __call__(self) -> set[str]:
        try:
            if self.db is None:
                self.db = self.connect()
            return {row[0] for row in self.db.execute(self.SQL)}
        except self.missing:  # analytics has not made its views yet
            return set()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


@contextlib.contextmanager
def watching(query: MoneySeen) -> Iterator[Callable[[httpx.AsyncClient, str], Awaitable[bool]]]:
    """A thread asking `query` every 40 ms; yields the check a lifecycle's last step polls."""
    found: set[str] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            found.update(query())
            time.sleep(POLL_SECONDS * 2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()

    async def in_analytics(_: httpx.AsyncClient, number: str) -> bool:
        return number in found

    try:
        yield in_analytics
    finally:
        stop.set()
        watcher.join()
        query.close()


@contextlib.contextmanager
def product(label: str, env: dict[str, str], seen: Callable[[Path], MoneySeen]):
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
            with watching(seen(Path(folder) / "data")) as in_analytics:
                yield Target(
                    label,
                    system.url("intake"),
                    system.url("routing"),
                    system.url("settlement"),
                    in_analytics,
                    {},
                    {name: system.processes[name].pid for name in CORE},
                )
        finally:
            system.stop_all()


@contextlib.contextmanager
def baseline(label: str, dsn: str):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.crud_lifecycle:app", "--port", str(port)],
        env={**os.environ, "COMPLAINTS_BASELINE_DSN": dsn},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _up(f"{url}/health"), what="the CRUD baseline")

    async def in_report(http: httpx.AsyncClient, number: str) -> bool:
        answer = await send(http, "GET", f"{url}/reports/compensation/{number}", "finance")
        return answer.json()["paid"] is not None

    try:
        yield Target(label, url, url, url, in_report, {"level": "manager"}, {"crud": server.pid})
    finally:
        server.terminate()
        server.wait(timeout=10)


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def sqlite_money(data: Path) -> MoneySeen:
    path = data / "analytics-views.sqlite"
    return MoneySeen(
        # mode=rw: the file is analytics' to create, not the watcher's; closed by the main thread
        lambda: sqlite3.connect(
            f"file:{path}?mode=rw", uri=True, timeout=5, check_same_thread=False
        ),
        sqlite3.OperationalError,
    )


def postgres_money(url: str, database: str) -> Callable[[Path], MoneySeen]:
    import psycopg

    def factory(_: Path) -> MoneySeen:
        return MoneySeen(
            lambda: psycopg.connect(f"{url}/{database}", autocommit=True),
            psycopg.errors.UndefinedTable,
        )

    return factory


def compare(product_rates: dict[str, float], baseline_rates: dict[str, float]) -> None:
    for load, rate in product_rates.items():
        ratio = rate / baseline_rates[load]
        print(
            f"\n{load}: product {rate:.1f}/s, baseline {baseline_rates[load]:.1f}/s, "
            f"ratio {ratio:.2f}x",
            flush=True,
        )


def embedded(args: argparse.Namespace) -> None:
    with product("product, embedded", {"COMPLAINTS_STORE": "sqlite"}, sqlite_money) as target:
        rates = run_all(target, args)
    with (
        tempfile.TemporaryDirectory() as folder,
        baseline("CRUD, SQLite", f"sqlite+aiosqlite:///{folder}/crud.sqlite") as target,
    ):
        crud = run_all(target, args)
    compare(rates, crud)


def on_postgres(args: argparse.Namespace) -> None:
    with production_env() as env:
        url, prefix = env["COMPLAINTS_POSTGRES_URL"], env["COMPLAINTS_DATABASE_PREFIX"]
        seen = postgres_money(url, f"{prefix}analytics")
        with product("product, PostgreSQL + Kafka", env, seen) as target:
            rates = run_all(target, args)
        dsn = url.replace("postgresql://", "postgresql+asyncpg://") + f"/{prefix}intake"
        with baseline("CRUD, PostgreSQL", dsn) as target:
            crud = run_all(target, args)
    compare(rates, crud)


def add_warmup(parser: argparse.ArgumentParser) -> None:
    """`--warmup`, which `run_all` reads: unmeasured lifecycles before a system's runs."""
    parser.add_argument(
        "--warmup", type=int, default=100, help="unmeasured lifecycles before each system's runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200, help="lifecycles per closed run")
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 40])
    add_warmup(parser)
    parser.add_argument(
        "--rates", type=float, nargs="*", default=[5, 10, 20], help="open runs (none: closed only)"
    )
    parser.add_argument("--seconds", type=float, default=20, help="length of an open run")
    parser.add_argument("--deployments", nargs="+", default=["embedded", "postgres"])
    args = parser.parse_args()
    print(HEADER, flush=True)
    if "embedded" in args.deployments:
        embedded(args)
    if "postgres" in args.deployments:
        on_postgres(args)
    print("", *IDLE, sep="\n", flush=True)


if __name__ == "__main__":
    main()
