"""A feed never stalls on one event, for any producer, on either transport.

An event its contract refuses (stored by older code; here forced past the edge on purpose)
is withheld in order, recorded with the reason, and reported (readiness degraded, a metric);
the events after it flow on at once. An admin repairs it, and it is published as its type.
"""

from __future__ import annotations

import asyncio
from unittest.mock import patch

import pytest
from fastapi.testclient import TestClient

from services.analytics.application import AnalyticsApplication
from services.analytics.contracts import to_integration as analytics_contract
from services.intake.application import IntakeApplication
from services.intake.contracts import to_integration as intake_contract
from services.intake.main import create_app as intake_service
from services.routing.application import RoutingApplication
from services.routing.commands import Propose
from services.routing.contracts import to_integration as routing_contract
from services.settlement.application import SettlementApplication
from services.settlement.commands import AgreeCompensation
from services.settlement.contracts import to_integration as settlement_contract
from shared.platform.bus.kafka import KafkaPublisher
from shared.platform.eventstore import persistence_env
from shared.platform.outbox import OutboxReader
from shared.platform.relay import Relay
from shared.platform.settings import Settings
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.builders import clerk_meta, registration
from tests.support.infra import topic_events
from tests.support.routing_story import AUTHORITY, HANDLER, registered_event
from tests.support.settlement_story import FINANCE, approval

pytestmark = pytest.mark.integration

POISON = {"remedy": "return", "amount": "1E+3", "currency": "CNY"}  # what "1e3" once became
COMPLAINT = {
    "channel": "phone",
    "nature": "quality",
    "complainant": {"name": "Li"},
    "problem": {"what": "cracked", "where": "home"},
    "description": "cracked housing",
}


def test_the_http_feed_withholds_a_poisoned_event_and_flows_on_until_an_admin_repairs_it(
    tmp_path,
):
    settings = Settings(service="intake", data_dir=tmp_path / "data", consumers_enabled=False)
    with TestClient(intake_service(settings), headers=bearer("service")) as feed:
        intake = feed.app.state.runtime.app
        poisoned = [
            intake.register(registration(demands=POISON), clerk_meta()).complaint.number
            for _ in range(2)
        ]
        later = feed.post("/complaints", json=COMPLAINT, headers=bearer("clerk")).json()["number"]

        page = feed.get("/events", params={"after": 0}).json()
        assert [e["case_number"] for e in page["events"]] == [later]
        ready = feed.get("/ready").json()
        assert (ready["status"], ready["withheld"]) == ("degraded", 2)
        assert "complaints_outbox_withheld 2.0" in feed.get("/metrics").text

        withheld = withheld_one_by_one(feed)
        assert [w["case_number"] for w in withheld] == poisoned
        assert all("amount" in w["reason"] for w in withheld)
        for w in withheld:
            url = f"/outbox/withheld/{w['position']}/republish"
            body = {
                "type": "intake.ComplaintRegistered",
                "schema_version": 1,
                "data": repaired(intake.complaint(w["case_number"])),
            }
            still_wrong = feed.post(url, json={**body, "data": {}}, headers=bearer("admin"))
            assert (still_wrong.status_code, still_wrong.json()["errors"][0]["rule"]) == (
                422,
                "contract",
            )
            assert feed.post(url, json=body, headers=bearer("admin")).status_code == 200
            assert feed.post(url, json=body, headers=bearer("admin")).status_code == 409
            if w is withheld[0]:
                ready = feed.get("/ready").json()
                assert (ready["status"], ready["withheld"]) == ("degraded", 1)

        rest = feed.get("/events", params={"after": page["next_after"]}).json()["events"]
        republished = [e for e in rest if e["case_number"] in poisoned]
        assert [e["case_number"] for e in republished] == poisoned
        assert {e["type"] for e in republished} == {"intake.ComplaintRegistered"}
        assert {e["data"]["demands"]["amount"] for e in republished} == {"1000"}
        assert feed.get("/ready").json()["status"] == "ready"
        assert "complaints_outbox_withheld 0.0" in feed.get("/metrics").text


def withheld_one_by_one(feed: TestClient) -> list[dict]:
    """The withheld events, a page of one at a time, followed to the end."""
    items, after = [], 0
    while True:
        page = feed.get(
            "/outbox/withheld", params={"after": after, "limit": 1}, headers=bearer("auditor")
        ).json()
        if not page["items"]:
            assert page["next_after"] == after
            return items
        items += page["items"]
        after = page["next_after"]


def repaired(stored) -> dict:
    """The poisoned complaint's registration as its contract wants it."""
    return {
        "number": stored.number,
        "received_at": stored.received_at.isoformat(),
        "channel": stored.channel,
        "nature": stored.nature,
        "complainant": stored.complainant,
        "subject": stored.subject,
        "description": stored.description,
        "demands": {**POISON, "amount": "1000"},
        "taken_by": stored.taken_by,
    }


def poison_intake(app) -> None:
    app.register(registration(demands=POISON), clerk_meta())
    app.register(registration(description="the next complaint"), clerk_meta())


def stored_as_typed(module: str):
    """Older code stored an amount as it was typed, "1E+3" included; today's spells it at the
    minor unit ("1000.00") before storing it."""
    return patch(f"{module}.at_minor_unit", lambda amount, currency: amount)


def poison_routing(app) -> None:
    event = registered_event()
    app.save(*app.policy(event))
    number = event.case_number
    for amount in ("1E+3", "1000.00"):  # a proposal as older code stored it, then a good one
        remedies = [{"kind": "compensation", "amount": amount}]
        with stored_as_typed("services.routing.domain.approval"):
            app.change(
                Propose(number, remedies=remedies, currency="CNY", actions=[], authority=AUTHORITY),
                HANDLER,
            )


def poison_settlement(app) -> None:
    opened = approval(remedies=[{"kind": "compensation", "amount": "300.00"}])
    app.save(*app.policy(opened))
    for amount in ("1E+2", "50.00"):
        with stored_as_typed("services.settlement.domain.state"):
            app.act(
                AgreeCompensation(
                    opened.case_number, amount=amount, kind="compensation", payee="C"
                ),
                FINANCE,
            )


def poison_analytics(app) -> None:
    for kind in ("draft", "final"):  # "draft" is no kind the contract knows
        app.publish("2026-10", 1 if kind == "draft" else 2, kind, {"received": 1}, clerk_meta())


PRODUCERS = {
    "intake": (IntakeApplication, intake_contract, poison_intake),
    "routing": (RoutingApplication, routing_contract, poison_routing),
    "settlement": (SettlementApplication, settlement_contract, poison_settlement),
    "analytics": (AnalyticsApplication, analytics_contract, poison_analytics),
}


def producer(name: str, settings: Settings):
    kind, contract, poison = PRODUCERS[name]
    env = persistence_env(settings)
    app = kind(env, "Asia/Shanghai") if kind is IntakeApplication else kind(env)
    poison(app)
    return app, OutboxReader(name, app.recorder, app.mapper, contract)


@pytest.mark.parametrize("name", list(PRODUCERS))
def test_every_producers_outbox_withholds_its_poison_and_reads_on(name, tmp_path):
    settings = Settings(service=name, data_dir=tmp_path / "data")
    app, outbox = producer(name, settings)
    head = outbox.head()
    page = outbox.read(0, 1000)
    app.withhold(page.withheld)
    assert page.withheld, "the poisoned event was withheld"
    assert page.next_after == head  # read past it, in one page
    assert len(app.withheld(limit=1000)[0]) == len(page.withheld)
    assert app.unrepaired_withheld() == len(page.withheld)
    poisoned = {w.position for w in page.withheld}
    after = [e for e in page.events if e.position > min(poisoned)]
    assert after, "what came after the poison is published"
    app.close()


@pytest.mark.parametrize("name", list(PRODUCERS))
def test_the_relay_withholds_a_poisoned_event_and_publishes_what_follows(
    name, production_env, tmp_path
):
    settings = settings_from(production_env, name, data_dir=str(tmp_path / "data"))
    app, outbox = producer(name, settings)

    async def relay_everything() -> list[dict]:
        publisher = KafkaPublisher(settings.kafka)
        await publisher.start()
        try:
            relay = Relay(app, outbox, publisher, batch_size=500, poll_interval=0.05)
            while await relay.run_once():
                pass
        finally:
            await publisher.close()
        return await topic_events(settings.kafka_bootstrap, settings.kafka.topic(settings.service))

    published = asyncio.run(relay_everything())
    withheld, _ = app.withheld(limit=1000)
    assert withheld, "the poisoned event was withheld, not published"
    last_withheld = max(w.position for w in withheld)
    assert any(e["position"] > last_withheld for e in published), "and what follows flows"
    assert {e["position"] for e in published}.isdisjoint(w.position for w in withheld)
    app.close()
