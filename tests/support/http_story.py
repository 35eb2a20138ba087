"""A case told over HTTP, each step by the role that may take it, for the e2e stories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.support.auth import bearer
from tests.support.waiting import wait_until

COMPLAINT = {
    "channel": "phone",
    "nature": "quality",
    "complainant": {"name": "Zhang San", "customer_id": "C-1001"},
    "problem": {"what": "cracked housing", "where": "on delivery"},
    "description": "cracked housing",
}
INVESTIGATION = {
    "problem": {"what": "solder bridges", "where": "J3"},
    "five_whys": ["bridges", "paste too thick", "stencil worn"],
    "root_cause": "stencil used beyond its life",
    "responsible_parties": [{"kind": "internal_unit", "name": "SMT", "share": "100"}],
}
ACTION = {
    "kind": "corrective",
    "description": "stencil life",
    "owner": "pe-zhao",
    "due": "2026-12-31",
}


def call(method: str, url: str, role: str, body: dict | None = None) -> Any:
    answer = httpx.request(method, url, json=body, headers=bearer(role), timeout=10)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def seen(url: str, check: Callable[[Any], bool]) -> Any:
    """What `url` answers an auditor once `check` holds for it."""

    def probe() -> Any:
        answer = httpx.get(url, headers=bearer("auditor"), timeout=5)
        return answer.status_code == 200 and check(answer.json()) and answer.json()

    return wait_until(probe, what=url)


def investigated_and_proposed(case: str, amount: str, quantity: int) -> None:
    """The unit investigates and proposes returning the goods, with a corrective action."""
    call("POST", f"{case}/investigation", "handler", INVESTIGATION)
    line = {"kind": "return", "amount": amount, "quantity": quantity, "unit_price": "200.00"}
    proposal = {
        "currency": "CNY",
        "remedies": [{**line, "part_no": "PCB-7731"}],
        "actions": [ACTION],
    }
    call("POST", f"{case}/remedies", "handler", proposal)


def settled_and_ready_to_close(urls: dict[str, str], number: str, quantity: int) -> None:
    """Goods received, credit note, completion, follow-up, the customer's confirmation: the
    closing gate is open."""
    money = f"{urls['settlement']}/settlements/{number}"
    case = f"{urls['routing']}/cases/{number}"
    call("POST", f"{money}/receipts", "finance", {"part_no": "PCB-7731", "quantity": quantity})
    call("POST", f"{money}/credit-note", "finance")
    call("POST", f"{money}/completion", "finance")
    follow_up = {"responsible_dealt_with": "SMT lead warned", "people_briefed": "shift briefed"}
    call("POST", f"{case}/follow-up", "handler", follow_up)
    seen(f"{urls['intake']}/complaints/{number}", lambda c: c["status"] == "settled")
    call(
        "POST",
        f"{urls['intake']}/complaints/{number}/confirmation",
        "customer",
        {"satisfaction": 4},
    )
    seen(f"{case}/closing-gate", lambda g: g["can_close"])


def registered_and_opened(intake: str, routing: str) -> dict:
    """A complaint registered at the desk, once routing has opened its case: intake's answer."""
    registered = call("POST", f"{intake}/complaints", "clerk", COMPLAINT)
    seen(f"{routing}/cases/{registered['number']}", lambda _: True)
    return registered
