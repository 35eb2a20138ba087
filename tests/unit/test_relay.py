"""The relay publishes the outbox in order, and only then records how far it got."""

import pytest

from services.intake.contracts import to_integration
from shared.platform.outbox import OutboxReader
from shared.platform.relay import RELAY_STREAM, Relay
from tests.support.builders import clerk_meta, intake_app, registration
from tests.support.fakes import RecordingPublisher


def relay_for(app, publisher, batch_size=100):
    outbox = OutboxReader("intake", app.recorder, app.mapper, to_integration)
    return Relay(app, outbox, publisher, batch_size=batch_size, poll_interval=0.01)


async def test_the_outbox_is_published_in_order_page_by_page():
    app = intake_app()
    for _ in range(3):
        app.register(registration(), clerk_meta())
    publisher = RecordingPublisher()
    relay = relay_for(app, publisher, batch_size=2)
    while await relay.run_once():
        pass
    assert [e.case_number for e in publisher.sent] == ["2611-0001", "2611-0002", "2611-0003"]
    assert app.tracked_position(RELAY_STREAM) == app.recorder.max_notification_id()


async def test_a_failed_publish_does_not_advance_and_the_retry_republishes_the_same_ids():
    app = intake_app()
    app.register(registration(), clerk_meta())
    publisher = RecordingPublisher(fail_times=1)
    relay = relay_for(app, publisher)
    with pytest.raises(ConnectionError):
        await relay.run_once()
    assert app.tracked_position(RELAY_STREAM) is None
    await relay.run_once()
    [event] = publisher.sent
    assert event.case_number == "2611-0001"
