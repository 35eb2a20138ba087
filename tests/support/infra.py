"""Real PostgreSQL and Kafka for the integration, e2e and fault tiers, via deploy/ scripts.

Started once per test session on free loopback ports, with their data under var/test/;
each test isolates itself with its own database prefix and topic prefix.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
TEST_VAR = ROOT / "var" / "test"
SERVICES = ("intake", "routing", "settlement", "analytics", "notifications")


#: Where listening ports are picked from: below the kernel's ephemeral range, from which
#: every outgoing connection takes its local port. A port picked from that range (as
#: `bind(0)` does) could be taken by some connection of a process started meanwhile, before
#: the server meant for it binds; the server then dies with "address already in use".
LISTEN_PORTS = range(15_000, 32_000)
_issued: set[int] = set()


def _ephemeral() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32_768, 61_000)


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int = 1) -> int:
    """The first of `count` consecutive free ports, never handed out before in this run (a
    Kafka node takes two: its clients' and its controller's)."""
    ephemeral = _ephemeral()
    for _ in range(500):
        port = random.choice(LISTEN_PORTS)
        block = range(port, port + count)
        if any(p in _issued or p in ephemeral for p in block):
            continue
        if all(_bindable(p) for p in block):
            _issued.update(block)
            return port
    raise RuntimeError(f"no {count} consecutive free ports in {LISTEN_PORTS}")


def free_port() -> int:
    return free_ports(1)


def _script(path: str, *args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(ROOT / path), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{path} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


@dataclass
class Postgres:
    url: str  # postgresql://complaints:complaints@127.0.0.1:PORT
    home: Path

    def create_databases(self, prefix: str) -> None:
        with psycopg.connect(f"{self.url}/postgres", autocommit=True) as conn:
            for service in SERVICES:
                conn.execute(f"CREATE DATABASE {prefix}{service}")

    def connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(f"{self.url}/{database}", autocommit=True)

    def stop(self) -> None:
        """Stop the server and delete its data: it was only ever for this session."""
        _script("deploy/postgres/postgres.sh", "stop", env={"PG_HOME_DIR": str(self.home)})
        shutil.rmtree(self.home, ignore_errors=True)

    def restart(self) -> None:
        """Fast shutdown (every connection cut) and start on the same data and port."""
        _script("deploy/postgres/postgres.sh", "restart", env={"PG_HOME_DIR": str(self.home)})


@dataclass
class Kafka:
    bootstrap: str  # a comma-separated list, one address per node
    home: Path

    def _run(self, *args: str) -> str:
        return _script("deploy/kafka/kafka.sh", *args, env={"KAFKA_HOME_DIR": str(self.home)})

    def stop(self) -> None:
        """Stop the nodes and delete their data: they were only ever for this session."""
        self._run("stop")
        shutil.rmtree(self.home, ignore_errors=True)

    def restart(self) -> None:
        """Stop the nodes and start them again on the same data: topics and offsets kept."""
        self._run("restart")

    def kill(self, node: int) -> None:
        """kill -9 one node (broker and controller)."""
        self._run("kill", str(node))

    def launch(self, node: int) -> None:
        """Start a killed node again on its data; it catches up as a follower."""
        self._run("launch", str(node))


def start_postgres() -> Postgres:
    home = TEST_VAR / f"postgres-{os.getpid()}"
    url = _script(
        "deploy/postgres/postgres.sh",
        "start",
        str(free_port()),
        env={"PG_HOME_DIR": str(home), "PG_FSYNC": "off"},
    )
    return Postgres(url, home)


def start_kafka(nodes: int = 1) -> Kafka:
    """One broker, or a cluster of `nodes` (3: replication factor 3, min.insync.replicas 2)."""
    home = TEST_VAR / f"kafka-{nodes}-{os.getpid()}"
    bootstrap = _script(
        "deploy/kafka/kafka.sh",
        "start",
        str(free_ports(2 * nodes)),
        env={"KAFKA_HOME_DIR": str(home), "KAFKA_NODES": str(nodes)},
    )
    return Kafka(bootstrap, home)


async def partition_leader(bootstrap: str, topic: str, partition: int = 0) -> int:
    """The node id leading a partition of `topic` now."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return next(p["leader"] for p in described["partitions"] if p["partition"] == partition)


def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}_"


async def poison(bootstrap: str, topic: str, count: int) -> None:
    """Put `count` messages no consumer can read onto `topic`."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(count):
            await producer.send_and_wait(topic, b"\x00not an envelope", key=f"p{i}".encode())
    finally:
        await producer.stop()


async def topic_records(bootstrap: str, topic: str) -> list[tuple[int, dict]]:
    """(partition, envelope) of every event on `topic` from the start, in each partition's
    order, as a subscriber reads it (JSON decoded)."""
    import json

    from aiokafka import AIOKafkaConsumer

    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await reader.start()
    try:
        records = []
        while batches := await reader.getmany(timeout_ms=1000):
            for tp, messages in batches.items():
                records += [(tp.partition, json.loads(m.value)) for m in messages if m.value]
        return records
    finally:
        await reader.stop()


async def topic_events(bootstrap: str, topic: str) -> list[dict]:
    """Every envelope on `topic` from the start."""
    return [envelope for _, envelope in await topic_records(bootstrap, topic)]


async def partition_positions(bootstrap: str, topic: str) -> dict[int, list[int]]:
    """The producer positions on each partition of `topic`, in the order they were written."""
    found: dict[int, list[int]] = {}
    for partition, envelope in await topic_records(bootstrap, topic):
        found.setdefault(partition, []).append(envelope["position"])
    return found


def repeats_in_order(partitions: dict[int, list[int]]) -> int:
    """How many positions were published twice, asserting that on every partition each
    position arrives in order: a lower one only ever repeats what was already sent (a page a
    killed relay sent and did not record)."""
    repeats = 0
    for positions in partitions.values():
        highest, seen = 0, set()
        for position in positions:
            assert position > highest or position in seen, f"{position} after {highest}"
            repeats += position in seen
            highest, seen = max(highest, position), seen | {position}
    return repeats
