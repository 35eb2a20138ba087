"""The tracking consumer: each upstream event has its effect once, or is dead-lettered."""

import pytest
from eventsourcing import persistence
from eventsourcing.domain import Aggregate

from services.intake.commands import Acknowledge
from services.intake.contracts import to_integration as intake_contract
from shared.platform.bus import Delivery, parse_delivery
from shared.platform.consumer import TrackingConsumer
from shared.platform.deadletter import DeadLetter
from shared.platform.handlers import ApplicationHandler
from shared.platform.outbox import OutboxReader
from tests.support.builders import clerk_meta, intake_app, registration, routing_app
from tests.support.fakes import ListSubscription, feed_delivery
from tests.support.routing_story import registered_event


def registrations(count):
    intake = intake_app()
    for _ in range(count):
        intake.register(registration(), clerk_meta())
    return (
        OutboxReader("intake", intake.recorder, intake.mapper, intake_contract).read(0, 100).events
    )


def positions_saved(app):
    """The tracking position of each save the application makes from now on."""
    saves = []
    save_tracked = app.save_tracked
    app.save_tracked = lambda tracking, *aggregates: (
        saves.append(tracking.notification_id) or save_tracked(tracking, *aggregates)
    )
    return saves


def cases_in(routing):
    return [
        n
        for n in routing.recorder.select_notifications(start=1, limit=1000)
        if n.topic.endswith("Case.Opened")
    ]


async def test_a_redelivered_event_is_skipped_and_offsets_move_after_effects():
    routing = routing_app()
    [event] = registrations(1)
    subscription = ListSubscription([feed_delivery(event)], [feed_delivery(event)])
    consumer = TrackingConsumer(
        "routing", ApplicationHandler(routing, routing.policy), subscription, max_attempts=3
    )
    await consumer.run()

    assert (consumer.processed, consumer.skipped) == (1, 1)
    assert len(cases_in(routing)) == 1
    assert len(subscription.committed) == 2


class CountingLookups(ApplicationHandler):
    """Routing's handler, counting how often the consumer asks whether a position is done."""

    lookups = 0

    async def is_processed(self, stream: str, position: int) -> bool:
        self.lookups += 1
        return await super().is_processed(stream, position)


async def test_a_single_delivery_is_a_page_of_one_checked_inside_its_own_transaction():
    # A quiet system delivers one event at a time. The page's transaction reads the tracked
    # position itself, so asking first would be a second round trip for every event.
    routing = routing_app()
    [event] = registrations(1)
    handler = CountingLookups(routing, routing.policy)
    subscription = ListSubscription([feed_delivery(event)], [feed_delivery(event)])
    consumer = TrackingConsumer("routing", handler, subscription, max_attempts=3)
    await consumer.run()

    assert (consumer.processed, consumer.skipped, handler.lookups) == (1, 1, 0)
    assert len(cases_in(routing)) == 1


async def test_a_page_of_events_is_applied_as_if_one_by_one_each_seeing_the_one_before():
    # Two complaints registered, then the first acknowledged: one page for routing. The
    # acknowledgement's policy must find the case its registration opened in the same page.
    intake = intake_app()
    first = intake.register(registration(), clerk_meta()).complaint.number
    intake.register(registration(), clerk_meta())
    intake.change(Acknowledge(first, reply="We are on it."), clerk_meta())
    events = OutboxReader("intake", intake.recorder, intake.mapper, intake_contract).read(0, 100)
    routing = routing_app()
    subscription = ListSubscription([feed_delivery(e) for e in events.events])
    consumer = TrackingConsumer(
        "routing", ApplicationHandler(routing, routing.policy), subscription, max_attempts=1
    )
    await consumer.run()

    assert consumer.processed == len(events.events)
    assert len(cases_in(routing)) == 2
    assert routing.case(first).clocks["acknowledge"].state == "stopped"
    assert routing.tracked_position("intake#feed") == events.events[-1].position


async def test_events_the_service_does_not_react_to_join_the_run_of_one_save():
    # Routing reacts to registrations only here; two events of another type about the first
    # case sit between them. They read and change nothing, so the page is one transaction.
    first, second = registrations(2)
    unheeded = [
        first.model_copy(update={"type": "intake.Teleported", "position": second.position + n})
        for n in (1, 2)
    ]
    page = [first, *unheeded, second.model_copy(update={"position": second.position + 3})]
    routing = routing_app()
    saves = positions_saved(routing)
    consumer = TrackingConsumer(
        "routing",
        ApplicationHandler(routing, routing.policy),
        ListSubscription([feed_delivery(e) for e in page]),
        max_attempts=1,
    )
    await consumer.run()

    assert len(cases_in(routing)) == 2
    assert saves == [page[-1].position]


async def test_a_page_of_only_events_the_service_does_not_react_to_saves_nothing():
    # Kafka delivers routing's topic whole to intake, which reacts to one type of nine. A
    # page of the others changes nothing; a transaction would only record that it was read.
    [first] = registrations(1)
    unheeded = [
        first.model_copy(update={"type": "intake.Teleported", "position": first.position + n})
        for n in (1, 2)
    ]
    routing = routing_app()
    saves = positions_saved(routing)
    consumer = TrackingConsumer(
        "routing",
        ApplicationHandler(routing, routing.policy),
        ListSubscription(
            [feed_delivery(first, "t:0")], [feed_delivery(e, "t:0") for e in unheeded]
        ),
        max_attempts=1,
    )
    await consumer.run()

    assert consumer.processed == 3
    assert saves == [first.position]  # the registration's save; the page after it, none
    assert len(cases_in(routing)) == 1


async def test_a_republished_older_position_in_the_same_partition_is_skipped():
    routing = routing_app()
    first, second = registrations(2)
    stream = [
        feed_delivery(first, "t:0"),
        feed_delivery(second, "t:0"),
        feed_delivery(first, "t:0"),
    ]
    consumer = TrackingConsumer(
        "routing",
        ApplicationHandler(routing, routing.policy),
        ListSubscription(stream),
        max_attempts=3,
    )
    await consumer.run()
    assert (consumer.processed, consumer.skipped) == (2, 1)


async def test_a_failing_event_is_retried_then_dead_lettered_and_the_stream_moves_on():
    routing = routing_app()
    poison, good = registrations(2)
    attempts = []

    def policy(event):
        if event.event_id == poison.event_id:
            attempts.append(event.position)
            raise KeyError("complainant")
        return routing.policy(event)

    subscription = ListSubscription([feed_delivery(poison), feed_delivery(good)])
    consumer = TrackingConsumer(
        "routing", ApplicationHandler(routing, policy), subscription, max_attempts=3
    )
    await consumer.run()

    # Once as part of the page with the good event, then three times on its own.
    assert len(attempts) == 1 + 3
    assert consumer.dead_lettered == 1
    assert subscription.dead_letters[0][1] == "KeyError: 'complainant'"
    assert len(cases_in(routing)) == 1
    letter = routing.repository.get(DeadLetter.create_id(feed_delivery(poison).source))
    assert letter.position == poison.position
    # The poison's position is tracked: redelivering it does nothing more.
    again = TrackingConsumer(
        "routing",
        ApplicationHandler(routing, policy),
        ListSubscription([feed_delivery(poison)]),
        max_attempts=3,
    )
    await again.run()
    assert (again.skipped, len(attempts)) == (1, 4)


async def test_unreadable_bytes_are_dead_lettered_once():
    routing = routing_app()
    garbage: Delivery = parse_delivery(b"{not json", "t[0]@7", "t:0")
    assert garbage.event is None
    subscription = ListSubscription([garbage], [garbage])
    consumer = TrackingConsumer(
        "routing", ApplicationHandler(routing, routing.policy), subscription, max_attempts=3
    )
    await consumer.run()
    assert consumer.dead_lettered == 2  # reported twice, stored once
    stored = routing.repository.get(DeadLetter.create_id("t[0]@7"))
    assert isinstance(stored, Aggregate)
    assert stored.version == 1
    assert "not a valid envelope" in stored.reason


async def test_a_message_breaking_its_contract_is_not_trusted_with_the_position_it_claims():
    """Anyone who can write to a topic can claim any position. A registration whose payload
    names another case is dead-lettered without moving the stream's tracking, so the real
    event after it is applied, not skipped as a redelivery of position 10⁶."""
    routing = routing_app()
    first, second = registrations(2)
    forged = first.model_copy(
        update={"position": 1_000_000, "data": {**first.data, "number": second.case_number}}
    )

    def at(offset, event):
        return parse_delivery(event.to_bytes(), f"t[0]@{offset}", "t:0")

    subscription = ListSubscription([at(5, forged), at(6, second)], [at(5, forged)])
    consumer = TrackingConsumer(
        "routing", ApplicationHandler(routing, routing.policy), subscription, max_attempts=3
    )
    await consumer.run()

    assert [c.originator_id for c in cases_in(routing)] == [routing.case(second.case_number).id]
    assert routing.tracked_position("intake#t:0") == second.position
    assert consumer.dead_lettered == 2  # delivered twice, kept once
    letter = routing.repository.get(DeadLetter.create_id("t[0]@5"))
    assert (letter.position, letter.redriven) == (None, False)
    assert "is not the envelope's case_number" in letter.reason


@pytest.mark.parametrize(
    "failures",
    [
        # The store restarting: the delivery waits, however few attempts it has.
        [persistence.OperationalError("server closed the connection")] * 2,
        # Workers of several partitions numbering from one gapless sequence: a save can
        # lose the race to another writer again and again.
        [persistence.IntegrityError("duplicate key (originator_id, originator_version)")] * 5,
    ],
    ids=["store outage", "lost races"],
)
async def test_a_good_event_meeting_an_outage_or_lost_races_is_applied_not_dead_lettered(
    failures,
):
    routing = routing_app()
    [event] = registrations(1)
    handler = ApplicationHandler(routing, routing.policy)
    pending = iter(failures)
    handle = handler.handle

    async def flaky(event, stream):
        failure = next(pending, None)
        if failure is not None:
            raise failure
        return await handle(event, stream)

    handler.handle = flaky
    consumer = TrackingConsumer(
        "routing", handler, ListSubscription([feed_delivery(event)]), max_attempts=1
    )
    await consumer.run()

    assert (consumer.processed, consumer.dead_lettered) == (1, 0)
    assert len(cases_in(routing)) == 1


def test_a_database_shutting_down_is_an_outage_and_a_bad_statement_is_not():
    from sqlalchemy.exc import DBAPIError

    from shared.platform.consumer import store_unavailable

    class DriverError(Exception):
        def __init__(self, sqlstate):
            super().__init__(sqlstate)
            self.sqlstate = sqlstate

    def wrapped(sqlstate):
        return DBAPIError("INSERT ...", {}, DriverError(sqlstate))

    assert store_unavailable(wrapped("57P03"))  # the database system is shutting down
    assert store_unavailable(wrapped("08006"))  # connection failure
    assert not store_unavailable(wrapped("22021"))  # invalid byte sequence: a bad message


async def test_an_event_breaking_its_contract_or_of_an_unknown_version_is_dead_lettered_at_once():
    routing = routing_app()
    registered = registered_event()
    broken = registered.model_copy(update={"data": {**registered.data, "received_at": "soon"}})
    after = registered.position
    future = registered.model_copy(update={"schema_version": 9, "position": after + 1})
    unknown_type = registered.model_copy(
        update={"type": "intake.Teleported", "position": after + 2}
    )
    subscription = ListSubscription([feed_delivery(e) for e in (broken, future, unknown_type)])
    handler = ApplicationHandler(routing, routing.policy)
    consumer = TrackingConsumer("routing", handler, subscription, max_attempts=5)
    await consumer.run()
    reasons = [reason for _, reason in subscription.dead_letters]
    assert len(reasons) == 2, reasons
    assert "breaks its contract" in reasons[0]
    assert "received_at" in reasons[0]
    assert "version 9 is not a published contract" in reasons[1]
    assert consumer.processed == 1  # a type published later is skipped, not poison
