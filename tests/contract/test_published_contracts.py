"""Event contracts are public APIs: documented, generated from code, and honoured."""

import json
from datetime import UTC, datetime

import jsonschema
import pytest

from services.analytics.contracts import to_integration as analytics_contract
from services.intake.contracts import to_integration as intake_contract
from services.notifications.application import Outcome
from services.notifications.commands import Subscribe
from services.notifications.contracts import to_integration as notifications_contract
from services.routing.contracts import to_integration as routing_contract
from services.settlement.contracts import to_integration as settlement_contract
from shared.contracts import CATALOG
from shared.contracts.documents import SCHEMAS, schema_files
from shared.kernel import clock
from shared.kernel.clock import ManualClock
from tests.support.builders import analytics_app, intake_app, routing_app, settlement_app
from tests.support.lifecycle_story import FINANCE, lifecycle, outbox
from tests.support.notifications_story import notifications_app, plan_all
from tests.support.timing import business_clock


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
    """Every published type, from the lifecycle story on in-memory stores."""
    machine = ManualClock(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    clock.install_clock(machine)
    try:
        apps = intake_app(), routing_app(), settlement_app(), analytics_app()
        lifecycle(*apps, machine)
        return [
            *outbox(apps[0], "intake", intake_contract),
            *outbox(apps[1], "routing", routing_contract),
            *outbox(apps[2], "settlement", settlement_contract),
            *outbox(apps[3], "analytics", analytics_contract),
            *told(apps),
        ]
    finally:
        clock.install_clock(business_clock())


def told(apps):
    """Notifications told of the story: one message accepted, one refused for good."""
    notifications = notifications_app()
    notifications.manage(
        Subscribe("erp", "https://erp.example/h", ("*",), "", "whsec_AAAA"), FINANCE
    )
    planned = plan_all(
        notifications,
        (apps[0], "intake", intake_contract),
        (apps[2], "settlement", settlement_contract),
    )
    notifications.record(planned[0].id, Outcome(True, 200, "ok"))
    notifications.record(planned[1].id, Outcome(False, 550, "no such user", permanent=True))
    return outbox(notifications, "notifications", notifications_contract)


PUBLISHED = published_events()


def test_the_story_publishes_every_catalogued_type():
    missing = {item.type for item in CATALOG} - {e.type for e in PUBLISHED}
    assert not missing


@pytest.mark.parametrize("event", PUBLISHED, ids=lambda e: f"{e.type}@{e.position}")
def test_what_is_published_validates_against_the_published_schema(event):
    envelope_schema = json.loads((SCHEMAS / "envelope.v1.json").read_text())
    jsonschema.validate(json.loads(event.model_dump_json()), envelope_schema)
    data_schema = json.loads((SCHEMAS / f"{event.type}.v{event.schema_version}.json").read_text())
    jsonschema.validate(event.data, data_schema)
