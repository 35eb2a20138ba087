"""A wall clock set back (an NTP step, a restored virtual machine, a drill's shift undone):
a case's steps stay in order in time, no deadline gets shorter, and no retry waits for the
clock to catch up (ADR 37)."""

from datetime import timedelta

from services.intake.commands import Acknowledge, Judge
from services.intake.contracts import to_integration as intake_contract
from services.notifications.application import Outcome
from services.notifications.domain import Backoff
from services.routing.commands import PauseClock, ResumeClock
from shared.kernel.case_number import aggregate_id
from tests.support.builders import clerk_meta, intake_app, registration
from tests.support.notifications_story import notifications_app, plan_all
from tests.support.routing_story import HANDLER, opened
from tests.support.timing import RECEIVED


def timestamps(app, stream):
    return [event.timestamp for event in app.events.get(stream)]


def test_a_step_after_the_clock_went_back_is_recorded_at_the_last_step_not_before_it(
    time_machine,
):
    desk = intake_app()
    number = desk.register(registration(), clerk_meta()).complaint.number
    registered_at = time_machine.now()

    time_machine.set(registered_at - timedelta(hours=1))
    desk.change(Acknowledge(number, reply="we are on it"), clerk_meta())

    complaint = desk.complaint(number)
    assert complaint.acknowledged_at == registered_at, "acknowledged before it was registered"
    stream = aggregate_id("intake.complaint", number)
    assert timestamps(desk, stream) == sorted(timestamps(desk, stream))

    # Once the clock passes the last step again, steps carry the clock's time.
    time_machine.set(registered_at + timedelta(minutes=5))
    desk.change(Judge(number, valid=True, reason="defect confirmed", reply=None), clerk_meta())
    assert timestamps(desk, stream)[-1] == registered_at + timedelta(minutes=5)


def test_a_pause_resumed_after_the_clock_went_back_does_not_shorten_the_deadline(time_machine):
    routing, number = opened(received_at=RECEIVED)
    due = routing.case(number).clocks["close"].due
    time_machine.set(RECEIVED + timedelta(days=1))
    routing.change(PauseClock(number, name="close", reason="waiting for samples"), HANDLER)

    time_machine.set(RECEIVED + timedelta(hours=12))  # twelve hours back
    routing.change(ResumeClock(number, name="close", reason="samples arrived"), HANDLER)

    assert routing.case(number).clocks["close"].due == due


def test_a_delivery_that_failed_after_the_clock_went_back_is_retried_after_its_backoff(
    time_machine,
):
    """A retry is a schedule the dispatcher compares with the wall clock: taken from it,
    not from the delivery's held time, or a clock set back an hour delays it an hour."""
    notifications = notifications_app()
    notifications.backoff = Backoff(timedelta(seconds=10), timedelta(minutes=5), timedelta(days=1))
    desk = intake_app()
    complainant = {"name": "Li", "type": "consumer", "contact": "li@example.com"}
    desk.register(registration(complainant=complainant), clerk_meta())
    [delivery] = plan_all(notifications, (desk, "intake", intake_contract))
    queued_at = time_machine.now()

    time_machine.set(queued_at - timedelta(hours=1))
    notifications.record(delivery.id, Outcome(False, 503, "busy"))

    retry_at = notifications.delivery(delivery.id).due_at
    assert retry_at <= time_machine.now() + timedelta(seconds=10)
