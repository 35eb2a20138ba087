"""Kafka transport (aiokafka): idempotent producer keyed by case number, manual commits.

One topic per producing service (`complaints.<service>.v1`); the key is the case number, so
one case's events stay in order within a partition. Consumers commit offsets only after the
effects (and the tracking position) are committed in their own store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context

from shared import tracing
from shared.bus import Delivery, parse_delivery
from shared.envelope import IntegrationEvent
from shared.settings import ServiceName, Settings

log = logging.getLogger(__name__)


def connection(settings: Settings) -> dict[str, Any]:
    """How every client reaches the brokers: plaintext on loopback, SASL/SCRAM over TLS in
    production (see deploy/kafka/production/)."""
    options: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap}
    password_file = settings.kafka_password_file
    if settings.kafka_security_protocol == "SASL_SSL" and password_file is not None:
        options.update(
            security_protocol="SASL_SSL",
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_username,
            sasl_plain_password=password_file.read_text(encoding="utf-8").strip(),
            ssl_context=create_ssl_context(cafile=settings.kafka_ca_file),
        )
    return options


async def ensure_topics(
    settings: Settings,
    topics: Sequence[str],
    partitions: int | None = None,
    configs: dict[str, str] | None = None,
) -> None:
    """Create the topics if they do not exist yet: the configured partitions unless given,
    the configured replication, and `min.insync.replicas` so that an acknowledged event is on
    that many brokers (the producers ask for `acks=all`)."""
    admin = AIOKafkaAdminClient(**connection(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=t,
                num_partitions=partitions or settings.kafka_partitions,
                replication_factor=settings.kafka_replication_factor,
                topic_configs={
                    "min.insync.replicas": str(settings.kafka_min_insync_replicas),
                    **(configs or {}),
                },
            )
            for t in topics
            if t not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


async def partitions_of(settings: Settings, topics: Sequence[str]) -> dict[str, int]:
    """How many partitions each (existing) topic has, as the brokers say now."""
    admin = AIOKafkaAdminClient(**connection(settings))
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described if t["partitions"]}


class KafkaPublisher:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topic = settings.topic(settings.service)
        self._producer = AIOKafkaProducer(
            **connection(settings),
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            compression_type=None,
        )

    async def start(self) -> None:
        await ensure_topics(self.settings, [self.topic, self.settings.dead_letter_topic])
        await self._producer.start()

    async def publish(self, events: Sequence[IntegrationEvent]) -> None:
        """Send all, then wait for every acknowledgement; raises if any send failed."""
        futures = [
            await self._producer.send(
                self.topic,
                value=event.to_bytes(),
                key=event.case_number.encode(),
                headers=[
                    ("type", event.type.encode()),
                    ("event_id", str(event.event_id).encode()),
                    ("traceparent", tracing.traceparent(event).encode()),
                ],
            )
            for event in events
        ]
        await asyncio.gather(*futures)

    async def close(self) -> None:
        await self._producer.stop()


class KafkaSubscription:
    def __init__(self, settings: Settings, producers: Sequence[ServiceName]) -> None:
        self.settings = settings
        self.topics = [settings.topic(p) for p in producers]
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            **connection(settings),
            group_id=settings.consumer_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=500,
        )
        self._offsets: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._caught_up = False
        self._dead_letters = AIOKafkaProducer(
            **connection(settings), enable_idempotence=True, acks="all"
        )

    async def start(self) -> None:
        await ensure_topics(self.settings, [*self.topics, self.settings.dead_letter_topic])
        await self._dead_letters.start()
        await self._consumer.start()

    async def batches(self) -> AsyncIterator[Sequence[Delivery]]:
        while True:
            records = await self._consumer.getmany(timeout_ms=500, max_records=500)
            batch = [
                parse_delivery(
                    message.value or b"",
                    f"{tp.topic}[{tp.partition}]@{message.offset}",
                    f"{tp.topic}:{tp.partition}",
                )
                for tp, messages in records.items()
                for message in messages
            ]
            self._offsets = {
                tp: messages[-1].offset + 1 for tp, messages in records.items() if messages
            }
            if batch:
                yield batch  # resumed once the consumer has processed the batch
            self._caught_up = await self._at_high_water()

    async def _at_high_water(self) -> bool:
        """Every assigned partition read up to its high-water mark as last fetched."""
        assigned = self._consumer.assignment()
        if not assigned:
            return False
        for tp in assigned:
            high = self._consumer.highwater(tp)
            if high is None or await self._consumer.position(tp) < high:
                return False
        return True

    def caught_up(self) -> bool:
        return self._caught_up

    async def commit(self, batch: Sequence[Delivery]) -> None:
        if self._offsets:
            await self._consumer.commit(dict(self._offsets))
            self._committed.update(self._offsets)

    def lag(self) -> dict[tuple[str, str], int]:
        lags = {}
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            if high is not None:
                lags[(tp.topic, str(tp.partition))] = max(0, high - self._committed.get(tp, 0))
        return lags

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        await self._dead_letters.send_and_wait(
            self.settings.dead_letter_topic,
            value=delivery.raw,
            key=(delivery.event.case_number.encode() if delivery.event else None),
            headers=[
                ("reason", reason.encode()[:4000]),
                ("source", delivery.source.encode()),
                ("consumer", self.settings.service.value.encode()),
            ],
        )

    async def close(self) -> None:
        await self._consumer.stop()
        await self._dead_letters.stop()


class CheckpointPublisher:
    """Publishes audit checkpoints to `<prefix>.audit.v1`, where auditors can mirror them.

    One partition (the order of every store's checkpoints is kept), keyed by store, kept for
    ever (`retention.ms=-1`) and never compacted, so each checkpoint stays; a producer that
    writes only there cannot alter what the databases' writers store, nor the reverse.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topic = settings.audit_topic
        self._producer = AIOKafkaProducer(
            **connection(settings), enable_idempotence=True, acks="all"
        )

    async def start(self) -> None:
        retained = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
        await ensure_topics(self.settings, [self.topic], partitions=1, configs=retained)
        await self._producer.start()

    async def publish(self, store: str, line: bytes) -> None:
        await (await self._producer.send(self.topic, value=line, key=store.encode()))

    async def close(self) -> None:
        await self._producer.stop()
