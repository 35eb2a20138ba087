"""Checkpoints reach `<prefix>.audit.v1`, where auditors mirror them, and none is lost.

On the Kafka transport the sealer publishes each checkpoint it writes to the audit topic
(one partition, kept for ever, never compacted). When the topic cannot take them, the
checkpoints wait in the file and go out, in order and once, when it can again.
"""

from __future__ import annotations

import json
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from services.intake.application import IntakeApplication
from shared.platform.audit.checkpoints import CheckpointFile
from shared.platform.bus.kafka import CheckpointPublisher
from shared.platform.eventstore import persistence_env
from shared.platform.runtime import AUDIT_TOPIC_STREAM, TrackedMark, sealer_for
from shared.platform.settings import Settings
from shared.platform.threads import run_sync
from tests.support.builders import clerk_meta, registration

pytestmark = pytest.mark.integration


class Unreachable:
    async def publish(self, store: str, line: bytes) -> None:
        raise ConnectionError("the brokers do not answer")


async def published(bootstrap: str, topic: str, expected: int) -> list[dict]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        records: list[dict] = []
        while len(records) < expected:
            batch = await consumer.getmany(timeout_ms=10_000)
            if not batch:
                break
            records += [json.loads(r.value) for rs in batch.values() for r in rs]
        return records
    finally:
        await consumer.stop()


async def test_every_checkpoint_is_published_once_in_order_even_after_an_outage(kafka, tmp_path):
    settings = Settings(
        service="intake",
        data_dir=tmp_path / "data",
        transport="kafka",
        kafka_bootstrap=kafka.bootstrap,
        kafka_topic_prefix=f"audit{uuid.uuid4().hex[:8]}",
    )
    app = IntakeApplication(persistence_env(settings), "Asia/Shanghai")
    sealer = sealer_for(settings.audit, app)
    sealer.published = TrackedMark(app, AUDIT_TOPIC_STREAM)
    publisher = CheckpointPublisher(settings.kafka)
    await publisher.start()
    try:
        sealer.publisher = Unreachable()
        for round_ in range(3):  # three checkpoints while the topic is out of reach
            app.register(registration(description=f"round {round_}"), clerk_meta())
            await run_sync(sealer.seal)
            with pytest.raises(ConnectionError):
                await sealer.publish_pending()
        sealer.publisher = publisher
        await sealer.publish_pending()
        await sealer.publish_pending()  # nothing left: publishes nothing again
        app.register(registration(description="after"), clerk_meta())
        await run_sync(sealer.seal)
        await sealer.publish_pending()
    finally:
        await publisher.close()

    written = CheckpointFile(settings.audit.checkpoint_dir, settings.storage.database_name()).all()
    records = await published(kafka.bootstrap, settings.kafka.audit_topic, len(written) + 1)
    assert [r["position"] for r in records] == [c.position for c in written]
    assert len(written) == 4
    assert records[-1]["signature"] == written[-1].signature
    assert app.tracked_position(AUDIT_TOPIC_STREAM) == written[-1].position
    app.close()

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, settings.kafka.audit_topic)]
        )
        configs = {c[0]: c[1] for c in described.resources[0][4]}
    finally:
        await admin.close()
    assert (configs["retention.ms"], configs["cleanup.policy"]) == ("-1", "delete")
