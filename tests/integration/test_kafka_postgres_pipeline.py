"""Intake's outbox is relayed to real Kafka and consumed by routing on real PostgreSQL.

Everything is at least once on the wire and exactly once in effect: the relay re-publishing
its whole log, or the consumer group starting again from the earliest offset, changes nothing.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer

from services.intake.application import IntakeApplication
from services.intake.contracts import to_integration as intake_contract
from services.routing.application import RoutingApplication
from services.routing.contracts import to_integration as routing_contract
from shared.contracts.envelope import IntegrationEvent
from shared.platform.bus.kafka import group_lag
from shared.platform.bus.signing import BusKeys
from shared.platform.eventstore import persistence_env
from shared.platform.relay import RELAY_STREAM
from shared.platform.runtime import ServiceRuntime
from tests.conftest import settings_from
from tests.support.builders import clerk_meta, registration
from tests.support.lifecycle_story import outbox
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def opened_cases(postgres, prefix) -> int:
    with postgres.connect(f"{prefix}routing") as conn:
        return conn.execute(
            "SELECT count(*) FROM routing_events WHERE topic LIKE %s", ("%Case.Opened",)
        ).fetchone()[0]


def dead_letters(postgres, prefix) -> list[str]:
    with postgres.connect(f"{prefix}routing") as conn:
        rows = conn.execute(
            "SELECT state FROM routing_events WHERE topic LIKE %s", ("%DeadLetter.Recorded",)
        ).fetchall()
    return [bytes(r[0]).decode() for r in rows]


def open_pipeline(env: dict[str, str], **overrides):
    """Intake and routing on the production deployment, both with the settings' `overrides`."""
    intake_settings = settings_from(env, "intake", **overrides)
    routing_settings = settings_from(env, "routing", **overrides)
    intake = IntakeApplication(persistence_env(intake_settings), "Asia/Shanghai")
    routing = RoutingApplication(persistence_env(routing_settings))
    yield intake, routing, intake_settings, routing_settings
    intake.close()
    routing.close()


@pytest.fixture
def pipeline(production_env):
    yield from open_pipeline(production_env)


@pytest.fixture
def signed_pipeline(production_env, tmp_path):
    """The same two services sharing a bus signing key."""
    keys = tmp_path / "bus-keys"
    keys.write_text("k" * 40 + "\n")
    yield from open_pipeline(production_env, kafka_signing_key_file=str(keys))


def relay_and_consumer(pipeline) -> tuple[ServiceRuntime, ServiceRuntime]:
    """Intake's relay to Kafka, and routing consuming intake's topic."""
    intake, routing, intake_settings, routing_settings = pipeline
    return (
        ServiceRuntime.for_application(intake_settings, intake, intake_contract),
        ServiceRuntime.for_application(routing_settings, routing, routing_contract, routing.policy),
    )


@asynccontextmanager
async def writing_to_the_topic(
    relay: ServiceRuntime, consumer: ServiceRuntime
) -> AsyncIterator[AIOKafkaProducer]:
    """The relay started (it creates the topics) and a producer of someone with write access
    to them but none of the services' keys; all three stopped after, with the consumer the
    story starts when it is ready."""
    await relay.start()
    producer = AIOKafkaProducer(bootstrap_servers=relay.settings.kafka_bootstrap)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()
        await consumer.stop()
        await relay.stop()


async def test_each_registration_opens_exactly_one_case_despite_republishing_and_replay(
    pipeline, postgres, pg_prefix
):
    intake, routing, _, routing_settings = pipeline
    for _ in range(25):
        intake.register(registration(), clerk_meta())

    relay, consumer = relay_and_consumer(pipeline)
    await relay.start()
    await consumer.start()
    try:
        await eventually(lambda: opened_cases(postgres, pg_prefix) == 25, what="25 cases")

        # The relay forgets how far it got and publishes the whole log again.
        with postgres.connect(f"{pg_prefix}intake") as conn:
            conn.execute("DELETE FROM intake_tracking WHERE application_name = %s", (RELAY_STREAM,))
        head = intake.recorder.max_notification_id()
        await eventually(lambda: intake.tracked_position(RELAY_STREAM) == head, what="re-relay")
        # A new consumer group starts from the earliest offset: every message again, twice.
        await consumer.stop()
        replay_settings = routing_settings.model_copy(update={"kafka_group_id": "replay"})
        replay = ServiceRuntime.for_application(
            replay_settings, routing, routing_contract, routing.policy
        )
        await replay.start()
        try:
            await eventually(lambda: replay.consumers[0].skipped == 50, what="all 50 skipped")
            assert replay.consumers[0].processed == 0
        finally:
            await replay.stop()
    finally:
        await relay.stop()
        await consumer.stop()

    assert opened_cases(postgres, pg_prefix) == 25


async def test_a_quiet_consumer_has_committed_its_offsets_within_seconds(
    pipeline, postgres, pg_prefix
):
    """Offsets are committed at most once a second under load (they only spare a restart
    re-reading), and a consumer that has gone quiet commits what it applied soon after."""
    intake, _, _, routing_settings = pipeline
    for _ in range(10):
        intake.register(registration(), clerk_meta())
    relay, consumer = relay_and_consumer(pipeline)
    kafka = routing_settings.kafka
    await relay.start()
    await consumer.start()
    try:

        async def all_committed() -> bool:
            return await group_lag(kafka, kafka.consumer_group, kafka.topic("intake")) == 0

        await eventually(lambda: opened_cases(postgres, pg_prefix) == 10, what="10 cases")
        # A quiet consumer commits within its poll wait and a second (3 s); each look at the
        # group's offsets starts clients of its own, slow on a loaded machine.
        await eventually(all_committed, timeout=15, what="the group's offsets at the end")
    finally:
        await consumer.stop()
        await relay.stop()


async def test_a_poison_message_is_dead_lettered_and_does_not_stall_its_partition(
    pipeline, postgres, pg_prefix
):
    intake, _, intake_settings, _ = pipeline
    topic = intake_settings.kafka.topic("intake")
    relay, consumer = relay_and_consumer(pipeline)
    async with writing_to_the_topic(relay, consumer) as producer:
        for key in (b"2611-0001", b"2611-0002", b"2611-0003"):
            await producer.send_and_wait(topic, b"\x00 not an envelope", key=key)
        for forged in forged_registrations(intake):
            await producer.send_and_wait(topic, forged.to_bytes(), key=forged.case_number.encode())
        for _ in range(5):
            intake.register(registration(), clerk_meta())
        await consumer.start()
        await eventually(lambda: opened_cases(postgres, pg_prefix) == 6, what="6 cases")
        await eventually(lambda: len(dead_letters(postgres, pg_prefix)) == 5, what="5 letters")
    letters = dead_letters(postgres, pg_prefix)
    assert sum("not a valid envelope" in letter for letter in letters) == 3
    assert sum("is not the envelope" in letter for letter in letters) == 1
    assert sum("is not a case number" in letter for letter in letters) == 1


def forged_registrations(intake: IntakeApplication) -> list[IntegrationEvent]:
    """A registration copied with its payload naming another case, and one about a number no
    desk could issue, each claiming a position far beyond intake's: refused, they are not
    trusted with it, so the real registrations after them are not taken for redeliveries."""
    intake.register(registration(), clerk_meta())
    real = outbox(intake, "intake", intake_contract)[-1]
    return [
        forged(real, 1000, real.case_number, "2611-0999"),
        forged(real, 1001, "0000-0001", "0000-0001"),
    ]


def forged(
    real: IntegrationEvent, position: int, case_number: str, data_number: str
) -> IntegrationEvent:
    """`real` copied as a new event about `case_number`, its payload naming `data_number`."""
    return real.model_copy(
        update={
            "event_id": uuid4(),
            "position": position,
            "case_number": case_number,
            "data": {**real.data, "number": data_number},
        }
    )


async def test_with_signing_keys_a_forged_message_is_dead_lettered_whatever_it_claims(
    signed_pipeline, postgres, pg_prefix
):
    """Someone who can write to intake's topic but holds no key publishes a registration
    that passes every contract check, claiming a position far beyond intake's. Unsigned or
    signed with another key, it opens no case and moves no tracking: the real registrations
    after it are all applied."""
    intake, _, intake_settings, _ = signed_pipeline
    relay, consumer = relay_and_consumer(signed_pipeline)
    topic = intake_settings.kafka.topic("intake")
    async with writing_to_the_topic(relay, consumer) as producer:
        intake.register(registration(), clerk_meta())
        real = outbox(intake, "intake", intake_contract)[-1]
        event = forged(real, 1000, "2611-0999", "2611-0999")
        value, key = event.to_bytes(), event.case_number.encode()
        wrong = BusKeys((b"w" * 40,)).sign(value)
        await producer.send_and_wait(topic, value, key=key)
        await producer.send_and_wait(topic, value, key=key, headers=[("signature", wrong)])
        for _ in range(3):
            intake.register(registration(), clerk_meta())
        await consumer.start()
        await eventually(lambda: opened_cases(postgres, pg_prefix) == 4, what="4 real cases")
        await eventually(lambda: len(dead_letters(postgres, pg_prefix)) == 2, what="2 letters")
    letters = dead_letters(postgres, pg_prefix)
    assert sum("unsigned" in letter for letter in letters) == 1
    assert sum("does not match" in letter for letter in letters) == 1
    assert opened_cases(postgres, pg_prefix) == 4, "the forged registration opened no case"
