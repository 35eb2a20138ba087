"""Event contracts are public APIs: documented, generated from code, and honoured."""

import json

import jsonschema
import pytest

from services.intake.contracts import to_integration as intake_contract
from services.routing.contracts import to_integration as routing_contract
from services.settlement.contracts import to_integration as settlement_contract
from shared.contracts import CATALOG
from shared.contracts.documents import SCHEMAS, schema_files
from shared.envelope import Actor
from shared.meta import command_meta
from shared.outbox import OutboxReader
from tests.support.builders import (
    clerk_meta,
    intake_app,
    registration,
    routing_app,
    settlement_app,
)


def test_the_committed_documents_are_what_the_code_generates():
    stale = [
        str(p) for p, text in schema_files().items() if not p.exists() or p.read_text() != text
    ]
    assert not stale, "run `python -m shared.contracts.documents` and commit: " + ", ".join(stale)


def test_every_contract_has_a_schema_and_an_asyncapi_message():
    asyncapi = json.loads((SCHEMAS.parent / "asyncapi.json").read_text())
    for item in CATALOG:
        assert (SCHEMAS / f"{item.type}.v{item.version}.json").exists()
        assert f"{item.type}.v{item.version}" in asyncapi["components"]["messages"]


def published_events():
    """One full case through the three producers, as their outboxes publish it."""
    intake, routing, settlement = intake_app(), routing_app(), settlement_app()
    intake.register(registration(), clerk_meta())
    events = OutboxReader("intake", intake.recorder, intake.mapper, intake_contract).read(0, 99)
    [registered] = events.events
    routing.save(*routing.policy(registered))
    manager = command_meta(Actor(id="mgr-li", role="manager"))
    routing.propose(
        registered.case_number,
        [{"kind": "return", "amount": "120.50", "quantity": 1, "unit_price": "120.50"}],
        "CNY",
        manager,
    )
    routing.approve(registered.case_number, "mgr-li", "manager", manager)
    routed = OutboxReader("routing", routing.recorder, routing.mapper, routing_contract).read(0, 99)
    [approved] = [e for e in routed.events if e.type == "routing.RemedyApproved"]
    settlement.save(*settlement.policy(approved))
    settled = OutboxReader(
        "settlement", settlement.recorder, settlement.mapper, settlement_contract
    ).read(0, 99)
    return [registered, *routed.events, *settled.events]


@pytest.mark.parametrize("event", published_events(), ids=lambda e: e.type)
def test_what_is_published_validates_against_the_published_schema(event):
    envelope_schema = json.loads((SCHEMAS / "envelope.v1.json").read_text())
    jsonschema.validate(json.loads(event.model_dump_json()), envelope_schema)
    data_schema = json.loads((SCHEMAS / f"{event.type}.v{event.schema_version}.json").read_text())
    jsonschema.validate(event.data, data_schema)
