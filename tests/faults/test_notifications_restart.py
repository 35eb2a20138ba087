"""Reminders (催办单) are emailed once, though notifications is SIGKILLed while sending them.

Ten cases are registered; routing then runs thirty days ahead, so every clock of every case
fires its warning, reminder and escalation (150 timers), each an email to the unit's desk or
its manager. The SMTP server is slow to accept, one message at a time, and notifications is
killed while it sends. Restarted, it sends the rest: every timer's email arrives, and the one
attempt the kill may have cut between the server's acceptance and its record is the only
repeat, with the same Message-ID (which is how a mail system drops it).
"""

import sqlite3
from collections import Counter
from datetime import timedelta

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.processes import ServiceProcesses, steady_registration
from tests.support.receivers import SmtpSink
from tests.support.timing import clock_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

CASES = 10
TIMERS_PER_CASE = 15
TIMER_SUBJECTS = ("时限预警", "催办单", "升级：")


def timer_emails(smtp) -> list[str]:
    return [
        m["Message-ID"] for m in list(smtp.messages) if str(m["Subject"]).startswith(TIMER_SUBJECTS)
    ]


def fired(store) -> int:
    with sqlite3.connect(store) as db:
        return db.execute(
            "SELECT count(*) FROM stored_events WHERE topic LIKE '%Case.TimerFired'"
        ).fetchone()[0]


def test_a_notifications_service_killed_while_sending_reminders_sends_each_once(tmp_path):
    with SmtpSink(delay=0.03) as smtp:
        processes = ServiceProcesses(
            {
                "COMPLAINTS_STORE": "sqlite",
                "COMPLAINTS_DATA_DIR": str(tmp_path / "data"),
                "COMPLAINTS_TRANSPORT": "http",
                "COMPLAINTS_POLL_INTERVAL_SECONDS": "0.05",
                "COMPLAINTS_SCHEDULER_INTERVAL_SECONDS": "0.05",
                "COMPLAINTS_SMTP_HOST": "127.0.0.1",
                "COMPLAINTS_SMTP_PORT": str(smtp.port),
                "COMPLAINTS_DELIVERY_CONCURRENCY": "1",
            },
            tmp_path,
        )
        try:
            processes.start("intake")
            processes.start("routing")
            with httpx.Client(
                base_url=processes.url("intake"), timeout=10, headers=bearer("clerk")
            ) as client:
                for n in range(CASES):
                    assert client.post("/complaints", json=steady_registration(n)).is_success
            store = tmp_path / "data" / "routing.sqlite"
            processes.stop_all()

            later = clock_env(timedelta(days=30))["COMPLAINTS_CLOCK_SHIFT_SECONDS"]
            processes.start("intake")
            processes.start("routing", clock_shift_seconds=later)
            wait_until(lambda: fired(store) == CASES * TIMERS_PER_CASE, timeout=60, what="fired")
            processes.start("notifications")
            wait_until(lambda: len(timer_emails(smtp)) >= 20, timeout=60, what="sending began")
            processes.kill("notifications")
            before_kill = len(timer_emails(smtp))
            assert before_kill < CASES * TIMERS_PER_CASE, "killed while sending"

            processes.start("notifications")
            wait_until(
                lambda: len(set(timer_emails(smtp))) >= CASES * TIMERS_PER_CASE,
                timeout=120,
                what="every reminder sent",
            )
            processes.stop_all()
        finally:
            processes.stop_all()
        received = timer_emails(smtp)
        repeats = [i for i, n in Counter(received).items() if n > 1]
        print(f"\nkilled after {before_kill} reminders; {len(received)} received, {repeats=}")
        assert len(set(received)) == CASES * TIMERS_PER_CASE
        assert len(received) - len(set(received)) <= 1, "only the attempt in flight repeats"
