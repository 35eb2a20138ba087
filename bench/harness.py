"""Shared pieces of the benchmark scripts: infrastructure, service processes, load, figures."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.auth import bearer
from tests.support.infra import start_kafka, start_postgres, unique_prefix
from tests.support.processes import ServiceProcesses


@dataclass
class Figures:
    label: str
    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def row(self) -> str:
        return (
            f"| {self.label} | {self.requests} | {self.throughput:,.0f} | "
            f"{self.percentile(50):.1f} | {self.percentile(99):.1f} | "
            f"{statistics.fmean(self.latencies_ms):.1f} |"
        )


HEADER = "| run | requests | per second | p50 ms | p99 ms | mean ms |\n|---|---|---|---|---|---|"


@contextmanager
def postgres_env():
    server = start_postgres()
    prefix = unique_prefix()
    server.create_databases(prefix)
    try:
        yield {
            "COMPLAINTS_STORE": "postgres",
            "COMPLAINTS_POSTGRES_URL": server.url,
            "COMPLAINTS_DATABASE_PREFIX": prefix,
            "COMPLAINTS_POSTGRES_POOL_SIZE": "20",
        }
    finally:
        server.stop()


@contextmanager
def production_env():
    """PostgreSQL databases and one Kafka broker, as the services' environment (the shape
    `docker-compose.yml` deploys), on fresh databases and topics."""
    with postgres_env() as env:
        broker = start_kafka()
        try:
            yield {
                **env,
                "COMPLAINTS_TRANSPORT": "kafka",
                "COMPLAINTS_KAFKA_BOOTSTRAP": broker.bootstrap,
                "COMPLAINTS_KAFKA_TOPIC_PREFIX": unique_prefix().rstrip("_"),
            }
        finally:
            broker.stop()


@contextmanager
def service(name: str, env: dict[str, str], **settings: str):
    with tempfile.TemporaryDirectory() as folder:
        processes = ServiceProcesses(
            {"COMPLAINTS_DATA_DIR": str(Path(folder) / "data"), **env}, Path(folder)
        )
        processes.start(name, **settings)
        try:
            yield processes.url(name)
        finally:
            processes.stop_all()


@contextlib.asynccontextmanager
async def users(count: int, **options: Any) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One HTTP client (`httpx.AsyncClient(**options)`), with its own kept-alive
    connections, per user, as people at their desks have: a single client shared by all
    would be a load generator that slows down as they are added (httpx's pool looks at
    every connection it holds, with a system call each, at every request; with 40 users
    waiting on three services that was most of the lifecycle benchmark's own CPU, taken
    from the two cores the systems share)."""
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(httpx.AsyncClient(**options)) for _ in range(count)]


async def closed_loop(
    url: str, path: str, body: Callable[[int], dict[str, Any]], total: int, concurrency: int
) -> tuple[float, list[float]]:
    """`concurrency` users, each with its own client, sending their next request when the
    last one answered."""
    latencies: list[float] = []
    counter = iter(range(total))

    async def client(http: httpx.AsyncClient) -> None:
        for i in counter:
            started = time.perf_counter()
            response = await http.post(path, json=body(i))
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code >= 300:
                raise RuntimeError(f"{response.status_code}: {response.text}")

    async with users(concurrency, base_url=url, timeout=60, headers=bearer("clerk")) as https:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for http in https))
        return time.perf_counter() - started, latencies


async def open_loop(
    url: str, path: str, body: Callable[[int], dict[str, Any]], rate: float, seconds: float
) -> tuple[float, list[float]]:
    """Requests started at a fixed rate whatever the answers do (no coordinated omission)."""
    latencies: list[float] = []
    total = int(rate * seconds)

    async def one(http: httpx.AsyncClient, i: int, due: float) -> None:
        response = await http.post(path, json=body(i))
        latencies.append((time.perf_counter() - due) * 1000)
        if response.status_code >= 300:
            raise RuntimeError(f"{response.status_code}: {response.text}")

    async with httpx.AsyncClient(
        base_url=url,
        timeout=60,
        limits=httpx.Limits(max_connections=200),
        headers=bearer("clerk"),
    ) as http:
        started = time.perf_counter()
        tasks = []
        for i in range(total):
            due = started + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(http, i, due)))
        await asyncio.gather(*tasks)
        return time.perf_counter() - started, latencies
