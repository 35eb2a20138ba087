"""A steady load of complaints, each taken through the whole lifecycle to a credit note.

Used by the fault tests that break things under load: a driver re-reads each case's state
before every step, so a request whose answer a fault lost is never blindly repeated.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from shared.kernel import clock
from tests.support.auth import bearer
from tests.support.erp import run_erp_consumer
from tests.support.waiting import wait_until

COMPLAINTS = 40
RATE_PER_SECOND = 2.0
PRICE = Decimal("100.00")


class Driver:
    """Takes each acknowledged complaint to a credit note, re-reading state after any error.

    Every step is decided from what the services say now, so a request whose answer was
    lost to a fault is never blindly repeated: the next read shows whether it took effect.
    """

    def __init__(self, urls: dict[str, str], *, keep_alive: bool = True) -> None:
        self.urls = urls
        # Behind a load balancer each request opens its own connection, so that requests
        # spread over the replicas instead of following one kept-alive connection.
        limits = httpx.Limits(max_keepalive_connections=None if keep_alive else 0)
        self.http = httpx.Client(timeout=5, limits=limits)
        self.acknowledged: dict[str, float] = {}
        self.routed: dict[str, float] = {}
        self.done: dict[str, float] = {}
        self.stop = threading.Event()
        self.faults_over = threading.Event()

    def get(self, service: str, path: str):
        try:
            answer = self.http.get(f"{self.urls[service]}{path}", headers=bearer("auditor"))
        except httpx.HTTPError:
            return None
        return answer.json() if answer.status_code == 200 else None

    def post(
        self, service: str, path: str, role: str, body=None, **headers
    ) -> httpx.Response | None:
        try:
            return self.http.post(
                f"{self.urls[service]}{path}", json=body, headers={**bearer(role), **headers}
            )
        except httpx.HTTPError:
            return None

    def register(self, index: int) -> None:
        body = {
            "channel": "phone",
            "nature": "quality",
            "complainant": {"name": f"Customer {index}", "customer_id": f"C-{index}"},
            "subject": {"part_no": "PCB-7731", "batch": f"B-{index}"},
            "problem": {"what": "cracked housing", "where": "on delivery"},
            "description": f"complaint {index} under load",
        }
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            answer = self.post(
                "intake", "/complaints", "clerk", body, **{"Idempotency-Key": f"load-{index}"}
            )
            if answer is not None and answer.status_code == 201:
                self.acknowledged.setdefault(answer.json()["number"], time.monotonic())
                return
            time.sleep(0.5)
        raise AssertionError(f"complaint {index} was never acknowledged")

    def arrive(self) -> None:
        """At a steady rate: at least COMPLAINTS, and on until every fault has happened."""
        index = 0
        while not self.stop.is_set() and (index < COMPLAINTS or not self.faults_over.is_set()):
            started = time.monotonic()
            self.register(index)
            index += 1
            time.sleep(max(0.0, 1 / RATE_PER_SECOND - (time.monotonic() - started)))

    def advance(self, number: str) -> None:
        case = self.get("routing", f"/cases/{number}")
        if case is None:
            return
        self.routed.setdefault(number, time.monotonic())
        if case["status"] == "assigned":
            remedy = {
                "kind": "return",
                "amount": str(PRICE),
                "quantity": 1,
                "unit_price": str(PRICE),
                "part_no": "PCB-7731",
            }
            self.post(
                "routing",
                f"/cases/{number}/remedies",
                "handler",
                {"currency": "CNY", "remedies": [remedy]},
            )
        elif case["status"] == "proposed":
            self.post("routing", f"/cases/{number}/approval", "manager")
        elif case["status"] == "approved":
            settlement = self.get("settlement", f"/settlements/{number}")
            if settlement is None:
                return
            if not settlement["received"].get("PCB-7731"):
                self.post(
                    "settlement",
                    f"/settlements/{number}/receipts",
                    "finance",
                    {"part_no": "PCB-7731", "quantity": 1},
                )
            elif settlement["credit_note"] is None:
                self.post("settlement", f"/settlements/{number}/credit-note", "finance")
            else:
                self.done.setdefault(number, time.monotonic())

    def drive(self) -> None:
        while not self.stop.is_set():
            for number in list(self.acknowledged):
                if number not in self.done:
                    self.advance(number)
            time.sleep(0.2)


def count_per_case(postgres, database: str, table: str, topic: str) -> dict[str, int]:
    """How many events of `topic` each case has in a store."""
    with postgres.connect(database) as conn:
        rows = conn.execute(
            f"SELECT convert_from(state, 'UTF8')::json->'meta'->>'case_number', count(*) "
            f"FROM {table} WHERE topic LIKE %s GROUP BY 1",
            (f"%{topic}",),
        ).fetchall()
    return dict(rows)


def run(driver: Driver) -> tuple[threading.Thread, threading.Thread]:
    """Start the arrivals and the lifecycle driver, each in its own thread."""
    threads = threading.Thread(target=driver.arrive), threading.Thread(target=driver.drive)
    for thread in threads:
        thread.start()
    return threads


def finish(driver: Driver, threads: tuple[threading.Thread, threading.Thread]) -> None:
    """Once the faults are over: every acknowledged complaint through to its credit note."""
    driver.faults_over.set()
    try:
        threads[0].join(timeout=300)
        wait_until(
            lambda: len(driver.done) == len(driver.acknowledged) >= COMPLAINTS,
            timeout=240,
            what="every acknowledged complaint through to its credit note",
        )
    finally:
        driver.stop.set()
        threads[1].join(timeout=30)


@dataclass
class Reckoning:
    """What the stores, the ERP feed and analytics say after a run under load."""

    acknowledged: set[str]
    lost: set[str]
    duplicated: dict[str, tuple]
    settled: Decimal
    erp: Decimal
    erp_unbalanced: list
    analytics: Decimal
    stalls: list[float]

    def lines(self) -> list[str]:
        return [
            f"acknowledged commands: {len(self.acknowledged)} registrations",
            f"lost: {len(self.lost)}",
            f"duplicated effects: {len(self.duplicated)}",
            f"longest stall, acknowledged to routed: {max(self.stalls):.1f} s "
            f"(median {statistics.median(self.stalls):.1f} s)",
            f"money: settlement {self.settled} = ERP {self.erp} = analytics {self.analytics} CNY",
        ]

    def assert_exact(self) -> None:
        assert len(self.acknowledged) >= COMPLAINTS
        assert self.lost == set()
        assert self.duplicated == {}
        assert self.erp_unbalanced == []
        assert self.settled == self.erp == self.analytics == PRICE * len(self.acknowledged)


def reckon(driver: Driver, postgres, pg_prefix: str, env: dict[str, str], folder: Path):
    """Count each acknowledged case's effects in the stores, and the money in three places."""

    def counts(service: str, topic: str) -> dict[str, int]:
        return count_per_case(postgres, f"{pg_prefix}{service}", f"{service}_events", topic)

    registered = counts("intake", "Complaint.Registered")
    opened = counts("routing", "Case.Opened")
    approved = counts("routing", "Case.RemedyApproved")
    notes = counts("settlement", "Settlement.CreditNoteIssued")
    acknowledged = set(driver.acknowledged)
    lost = {n for n in acknowledged if not (registered.get(n) and opened.get(n) and notes.get(n))}
    duplicated = {
        n: found
        for n in acknowledged
        if (found := (registered.get(n), opened.get(n), approved.get(n), notes.get(n)))
        != (1, 1, 1, 1)
    }
    settled = sum(
        (
            Decimal(driver.get("settlement", f"/settlements/{n}")["credit_note"]["gross"])
            for n in acknowledged
        ),
        Decimal(0),
    )
    erp = run_erp_consumer(env, folder, f"{pg_prefix}erp")
    month = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")

    def analytics_refunds() -> Decimal:
        now = clock.now().isoformat().replace("+", "%2B")
        report = driver.get("analytics", f"/reports/monthly/{month}?as_of={now}")
        return Decimal((report or {}).get("report", {}).get("refunds", {}).get("CNY", "0"))

    wait_until(
        lambda: analytics_refunds() == settled, timeout=60, what="analytics counted every refund"
    )
    return Reckoning(
        acknowledged,
        lost,
        duplicated,
        settled,
        Decimal(erp["documents"]["credit_notes"]["CNY"]),
        erp["unbalanced"],
        analytics_refunds(),
        [driver.routed[n] - driver.acknowledged[n] for n in acknowledged],
    )
