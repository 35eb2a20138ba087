"""Event contracts are public APIs: documented, generated from code, and honoured."""

import json
from dataclasses import replace
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
from shared.contracts import CATALOG, Unprocessable, parse
from shared.contracts.documents import SCHEMAS, schema_files
from shared.kernel import clock
from shared.kernel.clock import ManualClock
from shared.kernel.values import MAX_TEXT
from shared.platform.outbox import OutboxReader
from tests.support.builders import (
    analytics_app,
    clerk_meta,
    intake_app,
    registration,
    routing_app,
    settlement_app,
)
from tests.support.lifecycle_story import FINANCE, lifecycle
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
            *published(apps[0], "intake", intake_contract),
            *published(apps[1], "routing", routing_contract),
            *published(apps[2], "settlement", settlement_contract),
            *published(apps[3], "analytics", analytics_contract),
            *told(apps),
        ]
    finally:
        clock.install_clock(business_clock())


def published(app, producer, contract):
    """The app's outbox, in which nothing of the story is withheld: every event it publishes
    passes the check its consumers make (`parse`), the type in the catalogue included."""
    page = OutboxReader(producer, app.recorder, app.mapper, contract).read(0, 10_000)
    assert page.withheld == [], [w.reason for w in page.withheld]
    return page.events


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
    return published(notifications, "notifications", notifications_contract)


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


@pytest.mark.parametrize("event", PUBLISHED, ids=lambda e: f"{e.type}@{e.position}")
def test_what_is_published_parses_as_consumers_parse_it(event):
    parse(event.type, event.schema_version, event.data, event.case_number)


def published_registration():
    return next(e for e in PUBLISHED if e.type == "intake.ComplaintRegistered")


def test_a_registration_whose_payload_names_another_case_is_refused():
    """Routing would open the payload's case, analytics fold the envelope's: one event, two
    cases. A consumer dead-letters it instead (a forged or broken producer)."""
    event = published_registration()
    other = "2611-0999" if event.case_number != "2611-0999" else "2611-0998"
    with pytest.raises(Unprocessable, match="is not the envelope's case_number"):
        parse(event.type, 1, {**event.data, "number": other}, event.case_number)
    with pytest.raises(Unprocessable, match="is not the envelope's case_number"):
        parse(event.type, 1, event.data, other)


@pytest.mark.parametrize("number", ["0000-0001", "report-2026-W48", "", "2611-0042 "])
def test_a_case_event_about_no_case_number_is_refused(number):
    """A number no desk could issue never enters a store downstream."""
    event = published_registration()
    with pytest.raises(Unprocessable):
        parse(event.type, 1, {**event.data, "number": number}, number)
    approved = next(e for e in PUBLISHED if e.type == "routing.RemedyApproved")
    with pytest.raises(Unprocessable, match="case_number"):
        parse(approved.type, 1, approved.data, number)


@pytest.mark.parametrize(
    "forged",
    [
        {"description": "x" * (MAX_TEXT + 1)},
        {"flags": ["x" * (MAX_TEXT + 1)]},
        {"subject": {"attributes": {"note": "x" * (MAX_TEXT + 1)}}},
    ],
    ids=["a field", "a list item", "a map value"],
)
def test_no_published_text_is_longer_than_any_desk_could_type(forged):
    """A forged event cannot fill a consumer's store with megabytes of text: the bound is
    the longest any endpoint accepts, so nothing a desk registered is ever refused."""
    event = published_registration()
    parse(event.type, 1, {**event.data, "description": "x" * MAX_TEXT}, event.case_number)
    with pytest.raises(Unprocessable, match="at most 20000 characters"):
        parse(event.type, 1, {**event.data, **forged}, event.case_number)


def test_a_repeat_link_names_a_case_number():
    linked = {"earlier": "report-2026-W48", "matched_on": ["order_no"]}
    with pytest.raises(Unprocessable, match="breaks its contract"):
        parse("intake.RepeatLinked", 1, linked, "2611-0042")


def test_a_producer_withholds_what_its_consumers_would_refuse():
    """The outbox applies the consumers' own check: a contract mapping that let a payload name
    another case is caught at the producer, where it can be repaired, not dead-lettered by
    every consumer."""
    intake = intake_app()
    intake.register(registration(), clerk_meta())

    def misnumbered(domain_event):
        draft = intake_contract(domain_event)
        return draft and replace(draft, data={**draft.data, "number": "2611-0999"})

    page = OutboxReader("intake", intake.recorder, intake.mapper, misnumbered).read(0, 100)
    assert page.events == []
    [withheld] = page.withheld
    assert "is not the envelope's case_number" in withheld.reason
