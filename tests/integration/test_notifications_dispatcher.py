"""A receiver that hangs holds only its own slot: deliveries queued after a long backlog for
it are attempted at once, on a real store and deliveries view."""

import asyncio

import pytest

from services.notifications import read_models
from services.notifications.application import NotificationsApplication, Outcome
from services.notifications.commands import Subscribe
from services.notifications.dispatcher import Dispatcher
from services.notifications.domain import Channel
from shared.platform.eventstore import persistence_env
from shared.platform.settings import Settings
from shared.platform.sqlviews import LocalProjector, create_engine
from tests.support.builders import clerk_meta, intake_app, registration
from tests.support.lifecycle_story import outbox
from tests.support.notifications_story import QUIET_FREE

pytestmark = pytest.mark.integration

ADMIN = clerk_meta()


class Receivers:
    """`slow` never answers; everyone else answers at once."""

    def __init__(self) -> None:
        self.answered: list[str] = []
        self.held = 0
        self.never = asyncio.Event()

    async def attempt(self, delivery) -> Outcome:
        if delivery.recipient == "slow":
            self.held += 1
            await self.never.wait()
        self.answered.append(delivery.recipient)
        return Outcome(True, 200, "ok")

    async def close(self) -> None:
        return None


async def test_a_backlog_for_a_hanging_receiver_delays_no_one_queued_after_it(tmp_path):
    from services.intake.contracts import to_integration as intake_contract

    settings = Settings(service="notifications", data_dir=tmp_path)
    app = NotificationsApplication.of(persistence_env(settings), settings)
    app.rules = QUIET_FREE.model_copy(update={"rules": []})  # webhooks only
    engine = create_engine(settings.storage, "views.sqlite")
    await read_models.create_tables(engine)
    projector = LocalProjector(app, engine, read_models.tracking, read_models.project, 0.05)
    receivers = Receivers()
    dispatcher = Dispatcher(
        app,
        engine,
        projector,
        {Channel.webhook: receivers},
        timeout=60,
        concurrency=4,
        per_recipient=1,
    )
    secret = "whsec_" + "A" * 32
    app.manage(Subscribe("slow", "http://slow.example/", ("*",), "", secret), ADMIN)
    intake = intake_app()
    for _ in range(40):
        intake.register(registration(), clerk_meta())
    for event in outbox(intake, "intake", intake_contract):
        app.save(*app.policy(event))  # 40 deliveries for the hanging receiver
    app.manage(Subscribe("fast", "http://fast.example/", ("*",), "", secret), ADMIN)
    intake.register(registration(), clerk_meta())
    [last] = outbox(intake, "intake", intake_contract)[-1:]
    app.save(*app.policy(last))  # one for each, the fast one queued behind the backlog

    runner = asyncio.create_task(dispatcher.run())
    try:
        for _ in range(100):
            if receivers.answered and receivers.held:
                break
            await asyncio.sleep(0.05)
        for _ in range(3):  # more ticks start nothing more for the hanging receiver
            await dispatcher.tick()
        assert receivers.answered == ["fast"]
        assert receivers.held == 1, "one attempt at a time for the hanging receiver"
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        receivers.never.set()
        await engine.dispose()
        app.close()
