"""Who is told what, and when: planning deliveries from the producers' events, retries and
parking, quiet hours, and the signature a webhook receiver checks."""

from datetime import UTC, datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from standardwebhooks import Webhook

from services.intake.contracts import to_integration as intake_contract
from services.notifications.application import Outcome, new_subscription_secret
from services.notifications.channels import compose
from services.notifications.commands import Pause, Redeliver, RotateSecret, Subscribe
from services.notifications.domain import Backoff, Delivery, Status
from services.notifications.rules import NotificationRules, QuietHours, email_address
from services.routing.contracts import to_integration as routing_contract
from services.settlement.contracts import to_integration as settlement_contract
from shared.contracts import Unprocessable
from shared.kernel import clock
from shared.kernel.clock import ManualClock
from shared.kernel.errors import Conflict
from shared.kernel.meta import Actor, command_meta
from shared.platform.outbox import OutboxReader
from tests.support.builders import (
    analytics_app,
    clerk_meta,
    intake_app,
    registration,
    routing_app,
    settlement_app,
)
from tests.support.lifecycle_story import lifecycle
from tests.support.notifications_story import notifications_app, plan_all
from tests.support.timing import business_clock

ADMIN = command_meta(Actor(id="admin-he", role="admin"))
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def machine():
    machine = ManualClock(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    clock.install_clock(machine)
    yield machine
    clock.install_clock(business_clock())


def told(deliveries, address):
    return sorted(d.event_type for d in deliveries if d.recipient == address)


def test_a_customer_with_an_email_address_is_told_of_registration_and_reply_in_chinese(machine):
    intake, notifications = intake_app(), notifications_app()
    complainant = {"name": "李娜", "type": "consumer", "contact": "li.na@example.com"}
    number = intake.register(registration(complainant=complainant), clerk_meta()).complaint.number
    from services.intake.commands import Acknowledge

    intake.change(Acknowledge(number, reply="我们已收到，正在核查。"), clerk_meta())

    planned = plan_all(notifications, (intake, "intake", intake_contract))

    assert told(planned, "li.na@example.com") == [
        "intake.ComplaintAcknowledged",
        "intake.ComplaintRegistered",
    ]
    registered = next(d for d in planned if d.event_type == "intake.ComplaintRegistered")
    assert registered.content["subject"] == f"您的投诉已受理（编号 {number}）"
    assert registered.content["reply_to"] == f"complaints+{number}@example.com"
    assert registered.content["message_id"] == f"<{registered.id}@example.com>"
    message = compose(registered)
    assert message["Content-Language"] == "zh-CN"
    assert message["X-Complaints-Case"] == number
    assert "2026-11-05 10:00 (Asia/Shanghai)" in message.get_content()


def test_the_same_event_planned_again_plans_nothing_more(machine):
    intake, notifications = intake_app(), notifications_app()
    complainant = {"name": "Li", "type": "consumer", "contact": "li@example.com", "foreign": True}
    intake.register(registration(complainant=complainant), clerk_meta())
    first = plan_all(notifications, (intake, "intake", intake_contract))
    again = plan_all(notifications, (intake, "intake", intake_contract))
    assert len(first) == 1
    assert first[0].content["language"] == "en"
    assert again == []


def test_a_whole_story_tells_handlers_managers_and_report_readers(machine):
    apps = intake_app(), routing_app(), settlement_app(), analytics_app()
    lifecycle(*apps, machine)
    notifications = notifications_app()
    planned = plan_all(
        notifications,
        (apps[0], "intake", intake_contract),
        (apps[1], "routing", routing_contract),
        (apps[2], "settlement", settlement_contract),
    )
    # Reassigned to after-sales, whose desk is told of every later step addressed to it.
    assert "routing.CaseReassigned" in told(planned, "after-sales@example.com")
    assert "routing.RemedyProposed" in told(planned, "after-sales-manager@example.com")
    assert {d.channel.value for d in planned} == {"email"}  # no subscription, no webhook
    # The registration builder gives no email address: customers are not written to.
    assert not [d for d in planned if d.audience.value == "customer"]


def test_an_escalation_above_the_unit_goes_to_that_level():
    rules = NotificationRules.load()
    assert rules.staff_addresses(
        rules.rules[0].audience.manager, "logistics", "senior_management"
    ) == ["general-manager@example.com"]
    assert rules.staff_addresses(rules.rules[0].audience.manager, "logistics", "unit_manager") == [
        "logistics-manager@example.com"
    ]
    assert rules.staff_addresses(rules.rules[0].audience.handler, "unknown_unit") == [
        "service-desk@example.com"
    ]


@pytest.mark.parametrize(
    ("local", "held_until"),
    [
        ("2026-12-03 21:30", "2026-12-04 08:00"),
        ("2026-12-04 02:00", "2026-12-04 08:00"),
        ("2026-12-04 07:59", "2026-12-04 08:00"),
        ("2026-12-04 08:00", None),
        ("2026-12-04 20:59", None),
    ],
)
def test_staff_quiet_hours_hold_a_message_until_morning(local, held_until):
    quiet = QuietHours.model_validate({"start": "21:00", "end": "08:00"})
    now = datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
    until = quiet.held_until(now, SHANGHAI)
    expected = datetime.fromisoformat(held_until).replace(tzinfo=SHANGHAI) if held_until else None
    assert until == expected


def test_a_reminder_planned_at_night_waits_but_an_escalation_does_not(machine):
    machine.set(datetime(2026, 11, 5, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    apps = intake_app(), routing_app(), settlement_app(), analytics_app()
    lifecycle(*apps, machine)
    notifications = notifications_app(NotificationRules.load())
    notifications.horizon = timedelta(days=30)
    machine.set(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    planned = plan_all(notifications, (apps[1], "routing", routing_contract))
    morning = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    held = {d.event_type: d.due_at for d in planned if d.audience.value == "handler"}
    assert held
    assert set(held.values()) == {morning}
    urgent = [d for d in planned if d.event_type == "routing.CaseEscalated"]
    assert urgent
    assert all(d.due_at == machine.now() for d in urgent)


def test_email_addresses_are_recognised_and_phones_are_not():
    assert email_address(" li.na@example.com ") == "li.na@example.com"
    assert email_address("138 0000 0000") is None
    assert email_address("li@localhost") is None
    assert email_address("a@b@c.com") is None


def test_retries_back_off_with_jitter_then_park_at_the_end_of_the_window(machine):
    backoff = Backoff(timedelta(seconds=10), timedelta(minutes=5), timedelta(minutes=10))
    delays = [backoff.delay(n, Random(n)) for n in range(1, 9)]
    for n, delay in enumerate(delays, start=1):
        full = min(timedelta(minutes=5), timedelta(seconds=10) * 2 ** (n - 1))
        assert full / 2 <= delay <= full

    notifications = notifications_app()
    notifications.backoff = backoff
    intake = intake_app()
    complainant = {"name": "Li", "type": "consumer", "contact": "li@example.com"}
    intake.register(registration(complainant=complainant), clerk_meta())
    [delivery] = plan_all(notifications, (intake, "intake", intake_contract))
    attempts = 0
    while notifications.delivery(delivery.id).pending:
        notifications.record(delivery.id, Outcome(False, 451, "try later"))
        attempts += 1
        retry_at = notifications.delivery(delivery.id).due_at
        if retry_at:
            machine.set(retry_at)
    parked = notifications.delivery(delivery.id)
    assert parked.status is Status.parked
    assert parked.attempts == attempts >= 5
    assert parked.last_error.startswith(f"gave up after {attempts} attempts")

    notifications.redeliver(Redeliver(str(delivery.id), timedelta(hours=1)), ADMIN)
    notifications.record(delivery.id, Outcome(True, 250, "ok"))
    sent = notifications.delivery(delivery.id)
    assert (sent.status, sent.attempts, sent.last_status_code) == (Status.sent, attempts + 1, 250)


def test_a_subscriber_gets_what_it_subscribed_to_and_can_verify_it(machine):
    intake, notifications = intake_app(), notifications_app()
    secret = new_subscription_secret()
    notifications.manage(
        Subscribe("s-1", "https://erp.example.com/h", ("intake.*",), "", secret), ADMIN
    )
    notifications.manage(
        Subscribe("s-2", "https://x.example.com/h", ("routing.*",), "", secret), ADMIN
    )
    notifications.manage(Subscribe("s-3", "https://y.example.com/h", ("*",), "", secret), ADMIN)
    notifications.manage(Pause("s-3", True), ADMIN)
    intake.register(registration(), clerk_meta())

    [delivery] = plan_all(notifications, (intake, "intake", intake_contract))

    assert (delivery.recipient, delivery.channel.value) == ("s-1", "webhook")
    body = delivery.content["body"]
    signature = Webhook(secret).sign(str(delivery.id), machine.now(), body)
    headers = {
        "webhook-id": str(delivery.id),
        "webhook-timestamp": str(int(machine.now().timestamp())),
        "webhook-signature": signature,
    }
    machine.set(datetime.now(UTC))  # the receiver's check is against its own wall clock
    headers["webhook-timestamp"] = str(int(machine.now().timestamp()))
    headers["webhook-signature"] = Webhook(secret).sign(str(delivery.id), machine.now(), body)
    assert Webhook(secret).verify(body, headers)["type"] == "intake.ComplaintRegistered"


def test_a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(machine):
    notifications = notifications_app()
    old, new = new_subscription_secret(), new_subscription_secret()
    notifications.manage(Subscribe("s-1", "https://erp.example.com/h", ("*",), "", old), ADMIN)
    notifications.manage(RotateSecret("s-1", new, timedelta(hours=24)), ADMIN)
    subscription = notifications.webhooks().get("s-1")

    assert subscription.signing_secrets(machine.now()) == (new, old)
    assert subscription.signing_secrets(machine.now() + timedelta(hours=24)) == (new,)
    notifications.manage(RotateSecret("s-1", old, timedelta(0)), ADMIN)  # a leaked secret
    assert notifications.webhooks().get("s-1").signing_secrets(machine.now()) == (old,)


def test_a_redelivery_of_a_pending_delivery_is_refused(machine):
    intake, notifications = intake_app(), notifications_app()
    complainant = {"name": "Li", "type": "consumer", "contact": "li@example.com"}
    intake.register(registration(complainant=complainant), clerk_meta())
    [delivery] = plan_all(notifications, (intake, "intake", intake_contract))
    assert isinstance(notifications.delivery(delivery.id), Delivery)
    with pytest.raises(Conflict):
        notifications.redeliver(Redeliver(str(delivery.id), timedelta(hours=1)), ADMIN)


def test_an_event_that_breaks_its_contract_is_unprocessable_and_plans_nothing(machine):
    intake, notifications = intake_app(), notifications_app()
    intake.register(registration(), clerk_meta())
    [event] = (
        OutboxReader("intake", intake.recorder, intake.mapper, intake_contract).read(0, 9).events
    )
    broken = event.model_copy(update={"type": "intake.ComplaintAcknowledged", "data": {}})
    with pytest.raises(Unprocessable, match="breaks its contract"):
        notifications.policy(broken)


def test_an_event_older_than_the_horizon_is_told_to_nobody_but_its_contacts_are_kept(machine):
    intake, notifications = intake_app(), notifications_app()
    complainant = {"name": "Li", "type": "consumer", "contact": "li@example.com"}
    number = intake.register(registration(complainant=complainant), clerk_meta()).complaint.number
    machine.advance(timedelta(days=8))  # first started on a live system, a week later

    assert plan_all(notifications, (intake, "intake", intake_contract)) == []
    assert notifications.contacts(number).customer_address == "li@example.com"


@pytest.mark.parametrize(
    ("place", "address"),
    [
        (("levels", "senior_management"), "general manager"),
        (("reports",), "reports@localhost"),
        (("otherwise", "handler"), "a" * 250 + "@example.com"),
    ],
)
def test_a_staff_address_that_is_not_one_is_refused_when_the_rules_load(place, address):
    """Refused at start, not learnt from bounces: the deliveries view keeps 254 characters."""
    rules = NotificationRules.load().model_dump(mode="json")
    where = rules["directory"]
    *path, last = place
    for key in path:
        where = where[key]
    if isinstance(where.get(last), list):
        where[last] = [address]
    else:
        where[last] = address
    with pytest.raises(ValidationError, match="is not an email address"):
        NotificationRules.model_validate(rules)


def test_a_subject_longer_than_the_deliveries_view_holds_ends_in_an_ellipsis():
    """Templates are installation data: a first line that grows past what the view keeps is
    shortened where it is rendered, so the delivery is still listed (and still sent)."""
    from services.notifications.messages import SUBJECT_LENGTH, Templates

    context = {
        "number": "2611-" + "9" * 600,
        "event_type": "intake.ComplaintRegistered",
        "customer": "Li Na",
        "occurred_at": "2026-11-05 10:00",
    }
    subject = Templates(SHANGHAI).render("registered", "en", context).subject

    assert len(subject) == SUBJECT_LENGTH
    assert subject.startswith("Your complaint 2611-999")
    assert subject.endswith("…")


def test_a_subject_is_one_header_line_whatever_the_words_put_in_it():
    """A carriage return in a subject is refused by every mail library (header injection):
    one in a customer's words would fail every attempt until the delivery is parked."""
    from services.notifications.messages import Templates

    context = {
        "number": "2611-0001\r\tBcc: x@example.com",
        "event_type": "intake.ComplaintRegistered",
        "customer": "Li Na",
        "occurred_at": "2026-11-05 10:00",
    }
    subject = Templates(SHANGHAI).render("registered", "en", context).subject

    assert subject == "Your complaint 2611-0001 Bcc: x@example.com is registered"
