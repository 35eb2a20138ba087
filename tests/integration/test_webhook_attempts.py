"""A webhook goes to the addresses its host resolves to when it is sent, and only if none of
them is in a refused network: an installation that refuses loopback parks a delivery to
`localhost` at once, saying why, and the receiver hears nothing; the same delivery under the
default rules arrives, with the receiver's own name in `Host`. While a signing secret is
rotated, a receiver on either secret accepts what arrives."""

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from services.intake.contracts import to_integration as intake_contract
from services.notifications.application import NotificationsApplication, new_subscription_secret
from services.notifications.channels import WebhookChannel
from services.notifications.commands import ChangeSubscription, RotateSecret, Subscribe
from services.notifications.domain import Delivery
from services.notifications.egress import Egress
from shared.platform.eventstore import persistence_env
from shared.platform.settings import Settings
from tests.support.builders import clerk_meta, intake_app, registration
from tests.support.lifecycle_story import outbox
from tests.support.notifications_story import QUIET_FREE
from tests.support.receivers import WebhookReceiver

pytestmark = pytest.mark.integration

ADMIN = clerk_meta()


@pytest.fixture
def notifications(tmp_path):
    settings = Settings(service="notifications", data_dir=tmp_path)
    app = NotificationsApplication.of(persistence_env(settings), settings)
    app.rules = QUIET_FREE.model_copy(update={"rules": []})  # webhooks only
    yield app
    app.close()


def a_registration_to_tell(notifications) -> Delivery:
    intake = intake_app()
    intake.register(registration(), clerk_meta())
    [registered] = outbox(intake, "intake", intake_contract)
    [delivery] = [a for a in notifications.policy(registered) if isinstance(a, Delivery)]
    return delivery


async def test_a_receiver_named_in_a_refused_network_hears_nothing(notifications):
    with WebhookReceiver() as receiver:
        url = f"http://localhost:{receiver.port}/ok"
        notifications.manage(Subscribe("erp", url, ("*",), "", new_subscription_secret()), ADMIN)
        delivery = a_registration_to_tell(notifications)
        channel = WebhookChannel(notifications, timeout=5)
        try:
            sent = await channel.attempt(delivery)
            assert (sent.ok, sent.status_code) == (True, 200), sent.detail
            assert receiver.at("/ok")[0].headers["host"] == f"localhost:{receiver.port}"

            notifications.egress = Egress(
                Settings(
                    service="notifications", webhook_refused_networks="127.0.0.0/8,::1/128"
                ).refused_networks
            )
            refused = await channel.attempt(delivery)
        finally:
            await channel.close()

    assert refused.permanent, "no retry can pass the rule: parked at once"
    assert "localhost resolves to 127.0.0.1" in refused.detail
    assert len(receiver.arrivals) == 1, "the refused attempt reached no one"


async def test_a_name_that_does_not_resolve_fails_the_attempt_for_a_retry(notifications):
    notifications.manage(
        Subscribe("erp", "http://no-such-host.invalid/hooks", ("*",), "", "whsec_" + "A" * 32),
        ADMIN,
    )
    delivery = a_registration_to_tell(notifications)
    channel = WebhookChannel(notifications, timeout=5)
    try:
        failed = await channel.attempt(delivery)
    finally:
        await channel.close()

    assert not failed.ok
    assert not failed.permanent, "names come back: retried within the window"
    assert "no-such-host.invalid does not resolve" in failed.detail


async def test_during_a_secret_rotation_a_receiver_on_either_secret_accepts_the_delivery(
    notifications,
):
    old, new = new_subscription_secret(), new_subscription_secret()
    with WebhookReceiver() as receiver:
        url = f"http://127.0.0.1:{receiver.port}/ok"
        notifications.manage(Subscribe("erp", url, ("*",), "", old), ADMIN)
        notifications.manage(RotateSecret("erp", new, timedelta(hours=1)), ADMIN)
        channel = WebhookChannel(notifications, timeout=5)
        try:
            sent = await channel.attempt(a_registration_to_tell(notifications))
        finally:
            await channel.close()

    assert sent.ok, sent.detail
    [arrival] = receiver.at("/ok")
    assert arrival.headers["user-agent"].startswith("complaints-webhooks/")
    assert signed_by(old, arrival), "a receiver not yet switched accepts it"
    assert signed_by(new, arrival), "and so does one switched already"


def signed_by(secret: str, arrival) -> bool:
    """Standard Webhooks' check, at the delivery's own timestamp (this process runs on the
    suite's business clock, the library checks against the wall clock)."""
    at = datetime.fromtimestamp(int(arrival.headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(arrival.headers["webhook-id"], at, arrival.body)
    return expected in arrival.headers["webhook-signature"].split(" ")


async def test_a_delivery_planned_before_a_change_of_url_goes_to_the_new_one(notifications):
    with WebhookReceiver() as receiver:
        base = f"http://127.0.0.1:{receiver.port}"
        notifications.manage(
            Subscribe("erp", f"{base}/old", ("*",), "", "whsec_" + "A" * 32), ADMIN
        )
        delivery = a_registration_to_tell(notifications)
        notifications.manage(ChangeSubscription("erp", f"{base}/ok", None, None), ADMIN)
        channel = WebhookChannel(notifications, timeout=5)
        try:
            sent = await channel.attempt(delivery)
        finally:
            await channel.close()

    assert sent.ok, sent.detail
    assert [a.path for a in receiver.arrivals] == ["/ok"]
