"""A complaint desk registers complaints; each gets the next number of its month."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.intake.contracts import to_integration
from shared.kernel.errors import Conflict
from shared.kernel.meta import command_meta, current_correlation
from shared.platform import idempotency
from shared.platform.idempotency import IdempotentRequest
from shared.platform.outbox import OutboxReader
from tests.support.builders import CLERK, clerk_meta, intake_app, registration


def test_complaints_are_numbered_gaplessly_within_their_month():
    app = intake_app()
    first = app.register(registration(), clerk_meta()).complaint
    second = app.register(registration(), clerk_meta()).complaint
    assert (first.number, second.number) == ("2611-0001", "2611-0002")


def test_the_serial_restarts_in_the_next_business_month():
    app = intake_app()
    app.register(registration(received_at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC)), clerk_meta())
    # 16:30 UTC on 30 Nov is already 1 Dec in Shanghai.
    december = app.register(
        registration(received_at=datetime(2026, 11, 30, 16, 30, tzinfo=UTC)), clerk_meta()
    ).complaint
    assert december.number == "2612-0001"


def test_the_acknowledgement_is_due_24_hours_after_receipt():
    complaint = intake_app().register(registration(), clerk_meta()).complaint
    assert complaint.acknowledge_due == complaint.received_at + timedelta(hours=24)


@pytest.mark.parametrize(
    ("changes", "level", "rule"),
    [
        ({"channel": "regulator"}, "level_1", "channel:regulator"),
        ({"channel": "media"}, "level_1", "channel:media"),
        ({"complainant": {"name": "Wu", "type": "vip"}}, "level_1", "customer:vip"),
        ({"flags": ("public_exposure",)}, "level_1", "flag:public_exposure"),
        ({"complainant": {"name": "Wu", "type": "key_account"}}, "level_2", "customer:key_account"),
        (
            {"complainant": {"name": "Wu", "type": "consumer"}, "nature": "billing"},
            "level_2",
            "nature:billing",
        ),
        ({"complainant": {"name": "Wu", "type": "consumer"}}, "level_3", "default"),
    ],
)
def test_severity_follows_the_escalation_rules_and_records_which_fired(changes, level, rule):
    app = intake_app()
    app.register(registration(**changes), clerk_meta())
    event = OutboxReader("intake", app.recorder, app.mapper, to_integration).read(0, 99).events[0]
    assert (event.data["severity"], event.data["severity_rule"]) == (level, rule)


def keyed(key: str, fingerprint: str) -> None:
    """The HTTP edge serves a request carrying an Idempotency-Key."""
    idempotency.serve(IdempotentRequest(key, "clerk-wang POST /complaints", fingerprint))


def test_a_retried_registration_with_the_same_key_returns_the_first_complaint():
    app = intake_app()
    keyed("key-1", "hash-a")
    first = app.register(registration(), clerk_meta())
    keyed("key-1", "hash-a")
    again = app.register(registration(), clerk_meta())
    assert (again.replayed, again.complaint.number) == (True, first.complaint.number)
    keyed("key-1", "hash-b")
    with pytest.raises(Conflict, match="different request") as refused:
        app.register(registration(), clerk_meta())
    assert refused.value.field == "Idempotency-Key"
    assert app.register(registration(), clerk_meta()).complaint.number == "2611-0002"


def test_the_registration_leaves_as_a_versioned_integration_event():
    app = intake_app()
    complaint = app.register(registration(), clerk_meta()).complaint
    outbox = OutboxReader("intake", app.recorder, app.mapper, to_integration)
    page = outbox.read(after=0, limit=100)

    [event] = page.events  # the number-sequence events are internal
    assert event.type == "intake.ComplaintRegistered"
    assert event.schema_version == 1
    assert event.case_number == complaint.number
    assert event.actor.id == "clerk-wang"
    assert event.data["subject"]["batch"] == "2645"
    assert page.next_after == page.head
    # Reading again yields the same ids: a re-published event is recognisable.
    assert outbox.read(after=0, limit=100).events[0].event_id == event.event_id


def test_a_request_correlation_id_continues_into_the_event():
    token = current_correlation.set("5b0c7f9e-4a7e-4d0b-9a43-2f0f5c1d7a11")
    try:
        assert command_meta(CLERK)["correlation_id"] == "5b0c7f9e-4a7e-4d0b-9a43-2f0f5c1d7a11"
    finally:
        current_correlation.reset(token)
    assert UUID(command_meta(CLERK)["correlation_id"])  # a fresh flow without a header
