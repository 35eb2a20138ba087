"""A service killed between a command's commit and its answer: the retry gets that answer.

A burst of approvals reaches routing, then a burst of credit notes reaches settlement, each
request with its own Idempotency-Key, from several clients at once. Each service is started
to SIGKILL itself as the Nth answer is about to leave, twice, so some commands commit and are
never answered, and others never run. Every client retries what got no answer, with the same
key, against the restarted service: every retry is answered 200 (the committed ones replayed,
never a 409 "already issued"), and each case has exactly one approval and one credit note.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.processes import ServiceProcesses
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

CASES = 8
#: The answer each incarnation of the service dies before (then one that does not die).
DEATHS = ("4", "5")
COMPLAINT = {
    "channel": "email",
    "nature": "quality",
    "complainant": {"name": "Zhang San", "customer_id": "C-1001"},
    "subject": {"part_no": "PCB-7731"},
    "problem": {"what": "cracked housing", "where": "on delivery"},
    "description": "cracked housing",
}
RETURN = {
    "currency": "CNY",
    "remedies": [
        {
            "kind": "return",
            "amount": "2400.00",
            "quantity": 12,
            "unit_price": "200.00",
            "part_no": "PCB-7731",
        }
    ],
}


def burst(
    processes: ServiceProcesses,
    service: str,
    requests: list[tuple[str, dict[str, Any] | None, str, dict[str, str]]],
) -> dict[str, httpx.Response]:
    """Send every request at once; the service dies (twice) mid-burst and is restarted;
    what got no answer is retried with its key until answered. Returns each final answer."""
    answers: dict[str, httpx.Response] = {}
    lives = [*DEATHS, None]

    def send(request: tuple[str, dict[str, Any] | None, str, dict[str, str]]) -> None:
        path, body, key, who = request
        headers = {**who, "Idempotency-Key": key}
        with contextlib.suppress(httpx.TransportError):  # no answer: died; retried below
            answers[key] = httpx.post(
                processes.url(service) + path, json=body, headers=headers, timeout=30
            )

    for life in lives:
        extra = {"fault_kill_before_answer": life} if life else {}
        process = processes.start(service, **extra)
        pending = [r for r in requests if r[2] not in answers]
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(send, pending))
        if life:
            assert process.wait(timeout=60) == -9, processes.logs()
            processes.processes.pop(service)
    assert set(answers) == {key for _, _, key, _ in requests}
    return answers


def test_a_service_killed_between_commit_and_answer_answers_every_retry_once(processes):
    processes.start("intake")
    processes.start("settlement")
    processes.start("routing")
    with httpx.Client(timeout=10, headers=bearer("clerk")) as client:
        numbers = [
            client.post(f"{processes.url('intake')}/complaints", json=COMPLAINT).json()["number"]
            for _ in range(CASES)
        ]
    handler = bearer("handler", unit="quality_management")
    for number in numbers:
        wait_until(
            lambda n=number: (
                httpx.get(f"{processes.url('routing')}/cases/{n}", headers=handler).status_code
                == 200
            ),
            what=f"case {number} opened",
        )
        proposed = httpx.post(
            f"{processes.url('routing')}/cases/{number}/remedies", json=RETURN, headers=handler
        )
        assert proposed.status_code == 200, proposed.text
    processes.kill("routing")

    approvals = burst(
        processes,
        "routing",
        [(f"/cases/{n}/approval", None, f"approve-{n}", bearer("manager")) for n in numbers],
    )
    assert {a.status_code for a in approvals.values()} == {200}, [
        a.text for a in approvals.values() if a.status_code != 200
    ]
    assert all(len(a.json()["approvals"]) == 1 for a in approvals.values())
    assert any(a.headers.get("Idempotent-Replayed") for a in approvals.values()), (
        "some approval committed before its answer was lost, and was replayed"
    )

    finance = bearer("finance")
    for number in numbers:
        wait_until(
            lambda n=number: (
                httpx.get(
                    f"{processes.url('settlement')}/settlements/{n}", headers=finance
                ).status_code
                == 200
            ),
            what=f"settlement {number} opened",
        )
        received = httpx.post(
            f"{processes.url('settlement')}/settlements/{number}/receipts",
            json={"part_no": "PCB-7731", "quantity": 12},
            headers=finance,
        )
        assert received.status_code == 200, received.text
    processes.kill("settlement")

    notes = burst(
        processes,
        "settlement",
        [(f"/settlements/{n}/credit-note", None, f"credit-{n}", finance) for n in numbers],
    )
    assert {a.status_code for a in notes.values()} == {200}, [
        a.text for a in notes.values() if a.status_code != 200
    ]
    assert any(a.headers.get("Idempotent-Replayed") for a in notes.values())
    documents = set()
    for number in numbers:
        now = httpx.get(
            f"{processes.url('settlement')}/settlements/{number}", headers=finance
        ).json()
        answered = notes[f"credit-{number}"].json()["credit_note"]
        assert answered == now["credit_note"], "the retry got the note that was issued"
        credit_vouchers = [v for v in now["vouchers"].values() if "credit_note" in v["source"]]
        assert len(credit_vouchers) == 1
        documents.add(answered["document"])
    assert len(documents) == CASES, "one credit note each, none doubled"
