"""People and systems are told: a case from registration to closure, with the emails read
back from a real SMTP server and the webhooks from a real HTTP receiver.

The customer (who gave an email address) hears of the registration, the reply, the
judgement, the refund and the closure, in Chinese; the quality desk of the assignment and the
closure; its manager that a remedy awaits approval. Three webhook subscribers: one that
answers, one that fails three times first, one that never answers. The first gets every
event it subscribed to, signed; the second gets its event on the fourth attempt, logged; the
third is parked after its retry window, and delays neither of the others.
"""

import json
import time
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from tests.support.auth import bearer
from tests.support.http_story import (
    call,
    investigated_and_proposed,
    seen,
    settled_and_ready_to_close,
)
from tests.support.processes import DEPLOYMENTS, ServiceProcesses, deployment_env
from tests.support.receivers import SmtpSink, WebhookReceiver
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

CUSTOMER = "li.na@example.com"
DESK, MANAGER = "quality-desk@example.com", "quality-manager@example.com"


@pytest.fixture(params=DEPLOYMENTS)
def told(request, tmp_path):
    stores = deployment_env(request, tmp_path)
    with SmtpSink() as smtp, WebhookReceiver() as receiver:
        processes = ServiceProcesses(
            {
                **stores,
                "COMPLAINTS_SMTP_HOST": "127.0.0.1",
                "COMPLAINTS_SMTP_PORT": str(smtp.port),
                "COMPLAINTS_DELIVERY_ATTEMPT_TIMEOUT_SECONDS": "1",
                "COMPLAINTS_DELIVERY_FIRST_RETRY_SECONDS": "0.2",
                "COMPLAINTS_DELIVERY_LONGEST_RETRY_SECONDS": "0.4",
                "COMPLAINTS_DELIVERY_RETRY_WINDOW_SECONDS": "3",
            },
            tmp_path,
        )
        processes.start_all()
        processes.start("notifications")
        yield processes, smtp, receiver
        processes.stop_all()


def signed_by(secret: str, arrival) -> bool:
    """The HMAC of the Standard Webhooks scheme, at the timestamp the header gives (the
    library's own check also refuses timestamps 5 minutes off the receiver's wall clock,
    and the services here run on the tests' shifted clock)."""
    at = datetime.fromtimestamp(int(arrival.headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(arrival.headers["webhook-id"], at, arrival.body)
    return expected in arrival.headers["webhook-signature"].split(" ")


def test_a_case_told_to_customer_staff_and_subscribers_from_registration_to_closure(told):
    processes, smtp, receiver = told
    urls = {s: processes.url(s) for s in ("intake", "routing", "settlement", "notifications")}
    intake, routing, settlement = urls["intake"], urls["routing"], urls["settlement"]
    notifications = urls["notifications"]

    hooks = {
        path: call(
            "POST",
            f"{notifications}/webhooks",
            "admin",
            {"url": receiver.url(path), "event_types": types},
        )
        for path, types in (
            ("/ok", ["settlement.*", "routing.CaseClosed"]),
            ("/flaky", ["routing.CaseClosed"]),
            ("/never", ["intake.*"]),
        )
    }
    listed = call("GET", f"{notifications}/webhooks", "auditor")["items"]
    assert len(listed) == 3
    assert all("secret" not in item for item in listed)

    number = call(
        "POST",
        f"{intake}/complaints",
        "clerk",
        {
            "channel": "phone",
            "nature": "quality",
            "complainant": {
                "name": "李娜",
                "type": "consumer",
                "customer_id": "C-1001",
                "contact": CUSTOMER,
            },
            "subject": {"part_no": "PCB-7731", "batch": "2645", "quantity_defective": 12},
            "problem": {"what": "solder bridges on J3", "where": "SMT line 2"},
            "description": "12 boards short",
            "demands": {"remedy": "return", "amount": "2400.00", "currency": "CNY"},
        },
    )["number"]
    case = f"{routing}/cases/{number}"
    seen(case, lambda c: c["status"] == "assigned")
    call(
        "POST",
        f"{intake}/complaints/{number}/acknowledgement",
        "clerk",
        {"reply": "已收到，正在核查。"},
    )
    call(
        "POST", f"{intake}/complaints/{number}/judgement", "clerk", {"valid": True, "reason": "ok"}
    )
    investigated_and_proposed(case, "2400.00", 12)
    call("POST", f"{case}/approval", "manager")
    seen(f"{settlement}/settlements/{number}", lambda s: True)
    settled_and_ready_to_close(urls, number, 12)
    closing = time.monotonic()
    call("POST", f"{case}/closure", "manager", {"reason": "all four conditions met"})

    # Email: who was told what, in which language, with the case in the reply address.
    wait_until(lambda: len(smtp.to(DESK)) >= 2 and len(smtp.to(CUSTOMER)) >= 5, what="emails")
    customer = [str(m["Subject"]) for m in smtp.to(CUSTOMER)]
    assert customer == [
        f"您的投诉已受理（编号 {number}）",
        f"投诉 {number}：答复",
        f"投诉 {number}：已进入处理",
        f"投诉 {number}：退款 2400.00 CNY",
        f"投诉 {number} 已结案",
    ]
    assert [str(m["Subject"]) for m in smtp.to(DESK)] == [
        f"投诉 {number} 已分派至贵部门",
        f"投诉 {number} 已结案",
    ]
    assert [str(m["Subject"]) for m in smtp.to(MANAGER)] == [f"投诉 {number}：处理方案待批示"]
    first = smtp.to(CUSTOMER)[0]
    assert first["Reply-To"] == f"complaints+{number}@example.com"
    assert first["Content-Language"] == "zh-CN"
    assert "已收到，正在核查。" in smtp.to(CUSTOMER)[1].get_content()
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids)), "an email was sent twice"

    # Webhooks: each subscribed event, signed; the flaky receiver's on the 4th attempt.
    closed = lambda arrivals: [a for a in arrivals if '"routing.CaseClosed"' in a.body]  # noqa: E731
    wait_until(lambda: closed(receiver.at("/ok")) and len(receiver.at("/flaky")) >= 4, what="hooks")
    ok = receiver.at("/ok")
    types = [json.loads(a.body)["type"] for a in ok]
    assert {"settlement.SettlementOpened", "settlement.CreditNoteIssued"} <= set(types)
    assert set(types) <= {*(t for t in types if t.startswith("settlement.")), "routing.CaseClosed"}
    assert len({a.headers["webhook-id"] for a in ok}) == len(ok), "a webhook was sent twice"
    assert all(signed_by(hooks["/ok"]["secret"], a) for a in ok)
    flaky = receiver.at("/flaky")
    assert len(flaky) == 4
    assert len({a.headers["webhook-id"] for a in flaky}) == 1, "one delivery, retried"
    assert signed_by(hooks["/flaky"]["secret"], flaky[-1])

    def log(path, status=None):
        query = {"status": status} if status else {}
        url = f"{notifications}/webhooks/{hooks[path]['id']}/deliveries"
        return httpx.get(url, params=query, headers=bearer("auditor"), timeout=5).json()["items"]

    [flaky_delivery] = wait_until(lambda: log("/flaky", "sent"), what="the retry logged")
    assert (flaky_delivery["attempts"], flaky_delivery["last_status_code"]) == (4, 200)

    # The receiver that never answers: parked after its window, each attempt cut at 1 s.
    parked = wait_until(
        lambda: len(log("/never", "parked")) == len(log("/never")) and log("/never"),
        timeout=60,
        what="parked",
    )
    assert all("no answer within 1 s" in d["last_error"] for d in parked)
    assert parked[0]["attempts"] >= 2  # retried with backoff until the window closed
    assert {d["event_type"] for d in parked} >= {"intake.ComplaintRegistered"}
    # ...while the answering receiver was served at once, not after the hanging one.
    [closure] = closed(ok)
    assert closure.at - closing < 10  # room for a loaded machine; the order below is the proof
    assert max(a.at for a in receiver.at("/never")) > closure.at, "the hanging one was still held"
    again = call("POST", f"{notifications}/deliveries/{parked[0]['id']}/redelivery", "admin")
    assert again["status"] == "queued"
    metrics = httpx.get(f"{notifications}/metrics", timeout=5).text
    assert 'complaints_deliveries{status="sent"}' in metrics
    assert 'complaints_delivery_attempts{channel="webhook",outcome="failed"}' in metrics
