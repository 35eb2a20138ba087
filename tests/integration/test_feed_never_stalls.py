"""A feed never stalls on one event, on either transport.

An event its contract refuses (stored by older code; here forced past the edge on purpose)
is withheld in order, recorded with the reason, and reported (readiness degraded, a metric);
the events after it flow on at once. An admin repairs it, and it is published as its type.
"""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from services.intake.main import create_app as intake_service
from services.settlement.contracts import to_integration as settlement_contract
from shared.bus.kafka import KafkaPublisher
from shared.eventstore import persistence_env
from shared.outbox import OutboxReader
from shared.relay import Relay
from shared.settings import Settings
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.builders import clerk_meta, registration
from tests.support.infra import topic_events
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
        poisoned = intake.register(registration(demands=POISON), clerk_meta()).complaint.number
        later = feed.post("/complaints", json=COMPLAINT, headers=bearer("clerk")).json()["number"]

        page = feed.get("/events", params={"after": 0}).json()
        assert [e["case_number"] for e in page["events"]] == [later]
        ready = feed.get("/ready").json()
        assert (ready["status"], ready["withheld"]) == ("degraded", 1)
        assert "complaints_outbox_withheld 1.0" in feed.get("/metrics").text

        [withheld] = feed.get("/outbox/withheld", headers=bearer("auditor")).json()["items"]
        assert withheld["case_number"] == poisoned
        assert "amount" in withheld["reason"]
        stored = intake.complaint(poisoned)
        repaired = {
            "number": poisoned,
            "received_at": stored.received_at.isoformat(),
            "channel": stored.channel,
            "nature": stored.nature,
            "complainant": stored.complainant,
            "subject": stored.subject,
            "description": stored.description,
            "demands": {**POISON, "amount": "1000"},
            "taken_by": stored.taken_by,
        }
        url = f"/outbox/withheld/{withheld['position']}/republish"
        body = {"type": "intake.ComplaintRegistered", "schema_version": 1, "data": repaired}
        still_wrong = feed.post(url, json={**body, "data": {}}, headers=bearer("admin"))
        assert (still_wrong.status_code, still_wrong.json()["errors"][0]["rule"]) == (
            422,
            "contract",
        )
        assert feed.post(url, json=body, headers=bearer("admin")).status_code == 200
        assert feed.post(url, json=body, headers=bearer("admin")).status_code == 409

        rest = feed.get("/events", params={"after": page["next_after"]}).json()["events"]
        [republished] = [e for e in rest if e["case_number"] == poisoned]
        assert republished["type"] == "intake.ComplaintRegistered"
        assert republished["data"]["demands"]["amount"] == "1000"
        assert feed.get("/ready").json()["status"] == "ready"


def test_the_relay_withholds_a_poisoned_event_and_publishes_what_follows(production_env, tmp_path):
    settings = settings_from(production_env, "settlement", data_dir=str(tmp_path / "data"))
    from services.settlement.application import SettlementApplication

    settlement = SettlementApplication(persistence_env(settings))
    opened = approval(remedies=[{"kind": "compensation", "amount": "300.00"}])
    settlement.save(*settlement.policy(opened))
    number = opened.case_number
    # Forced past the edge: the aggregate, as older code did, keeps "1E+2" as given.
    settlement.act(
        number, "agree_compensation", FINANCE, amount="1E+2", kind="compensation", payee="C"
    )
    settlement.act(
        number, "agree_compensation", FINANCE, amount="50.00", kind="compensation", payee="C"
    )

    async def relay_everything() -> list[dict]:
        publisher = KafkaPublisher(settings)
        await publisher.start()
        try:
            outbox = OutboxReader(
                "settlement", settlement.recorder, settlement.mapper, settlement_contract
            )
            relay = Relay(settlement, outbox, publisher, batch_size=500, poll_interval=0.05)
            while await relay.run_once():
                pass
        finally:
            await publisher.close()
        return await topic_events(settings.kafka_bootstrap, settings.topic(settings.service))

    published = asyncio.run(relay_everything())
    amounts = [
        e["data"]["amount"] for e in published if e["type"] == "settlement.CompensationAgreed"
    ]
    assert amounts == ["50.00"]  # the poisoned one withheld, the next one through
    withheld = {w.domain_type for w in settlement.withheld()}
    assert withheld == {"Settlement.CompensationAgreed", "Settlement.VoucherPosted"}
    settlement.close()
