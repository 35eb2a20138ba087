"""Kafka transport (aiokafka): idempotent producer keyed by case number, manual commits.

One topic per producing service (`complaints.<service>.v1`); the key is the case number, so
one case's events stay in order within a partition. Consumers commit offsets only after the
effects (and the tracking position) are committed in their own store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    IllegalStateError,
    KafkaError,
    RebalanceInProgressError,
    TopicAlreadyExistsError,
    UnknownMemberIdError,
)
from aiokafka.helpers import create_ssl_context
from aiokafka.partitioner import DefaultPartitioner

from shared.contracts.envelope import IntegrationEvent
from shared.platform import tracing
from shared.platform.bus import Delivery, parse_delivery
from shared.platform.bus.signing import HEADER as SIGNATURE
from shared.platform.bus.signing import BusKeys
from shared.platform.settings import KafkaSettings, ServiceName

log = logging.getLogger(__name__)


def connection(kafka: KafkaSettings) -> dict[str, Any]:
    """How every client reaches the brokers: plaintext on loopback, SASL/SCRAM over TLS in
    production (see deploy/kafka/production/)."""
    options: dict[str, Any] = {"bootstrap_servers": kafka.bootstrap}
    password_file = kafka.password_file
    if kafka.security_protocol == "SASL_SSL" and password_file is not None:
        options.update(
            security_protocol="SASL_SSL",
            sasl_mechanism=kafka.sasl_mechanism,
            sasl_plain_username=kafka.username,
            sasl_plain_password=password_file.read_text(encoding="utf-8").strip(),
            ssl_context=create_ssl_context(cafile=kafka.ca_file),
        )
    return options


#: How long an administrative request is retried while brokers are unreachable: a broker of
#: a cluster may be down (its address still in the metadata) while a replica starts.
ADMIN_PATIENCE_SECONDS = 60.0

T = TypeVar("T")

#: How often consumers refresh the cluster's metadata (partitions added to a topic).
METADATA_MAX_AGE_MS = 5_000
#: How long the consumer's poll waits when the fetcher holds nothing: records wake it at
#: once, so this only sets how often an idle consumer loops. (The broker's fetch wait stays
#: at the client's 0.5 s: a partition that just delivered is left out of the fetch already
#: waiting at the broker, so a longer wait there delays its next record by as much.)
IDLE_FETCH_MS = 2_000
#: How often a busy consumer commits its offsets, and how soon after its last batch an idle
#: one does. Offsets only spare a restarted consumer re-reading (what it applied is known
#: from its tracking positions, and a redelivery is skipped), so a commit per batch, each a
#: write at the broker, bought nothing under load.
COMMIT_SECONDS = 1.0


async def administer(
    kafka: KafkaSettings, request: Callable[[AIOKafkaAdminClient], Awaitable[T]]
) -> T:
    """Run `request` with an admin client; retried (with a fresh client, which asks another
    broker) while the cluster cannot answer."""
    deadline = asyncio.get_running_loop().time() + ADMIN_PATIENCE_SECONDS
    while True:
        admin = AIOKafkaAdminClient(**connection(kafka))
        try:
            await admin.start()
            return await request(admin)
        except TopicAlreadyExistsError:
            raise
        except KafkaError as error:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("kafka: the cluster did not answer (%s); asking again", error)
            await asyncio.sleep(1)
        finally:
            await admin.close()


async def ensure_topics(
    kafka: KafkaSettings,
    topics: Sequence[str],
    partitions: int | None = None,
    configs: dict[str, str] | None = None,
) -> None:
    """Create the topics if they do not exist yet: the configured partitions unless given,
    the configured replication, and `min.insync.replicas` so that an acknowledged event is on
    that many brokers (the producers ask for `acks=all`)."""

    async def create(admin: AIOKafkaAdminClient) -> None:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=t,
                num_partitions=partitions or kafka.partitions,
                replication_factor=kafka.replication_factor,
                topic_configs={
                    "min.insync.replicas": str(kafka.min_insync_replicas),
                    **(configs or {}),
                },
            )
            for t in topics
            if t not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)

    await administer(kafka, create)


async def partitions_of(kafka: KafkaSettings, topics: Sequence[str]) -> dict[str, int]:
    """How many partitions each (existing) topic has, as the brokers say now."""

    async def describe(admin: AIOKafkaAdminClient) -> list[dict[str, Any]]:
        return await admin.describe_topics(list(topics))

    described = await administer(kafka, describe)
    return {t["topic"]: len(t["partitions"]) for t in described if t["partitions"]}


async def group_lag(kafka: KafkaSettings, group: str, topic: str) -> int | None:
    """How many events of `topic` consumer group `group` has not committed yet (None: it
    never committed any)."""

    async def read(admin: AIOKafkaAdminClient) -> tuple[dict, list[TopicPartition]]:
        committed = await admin.list_consumer_group_offsets(group)
        [described] = await admin.describe_topics([topic])
        return committed, [TopicPartition(topic, p["partition"]) for p in described["partitions"]]

    committed, partitions = await administer(kafka, read)
    if not partitions:
        raise LookupError(f"no topic {topic}")
    probe = AIOKafkaConsumer(**connection(kafka))
    await probe.start()
    try:
        ends = await probe.end_offsets(partitions)
    finally:
        await probe.stop()
    done = {tp: meta.offset for tp, meta in committed.items() if tp.topic == topic}
    if not done:
        return None if any(ends.values()) else 0
    return sum(max(0, end - done.get(tp, 0)) for tp, end in ends.items())


class KafkaPublisher:
    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self.topic = kafka.topic(kafka.service)
        self._producer = AIOKafkaProducer(
            **connection(kafka),
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            compression_type=None,
        )
        self._partitions: list[int] = []
        self._partitioner = DefaultPartitioner()
        self._keys = BusKeys.load(kafka.signing_key_file)

    async def start(self) -> None:
        await ensure_topics(self.kafka, [self.topic, self.kafka.dead_letter_topic])
        await self._producer.start()

    async def pin_partitions(self) -> None:
        """Read the topic's partitions now and partition by them until asked again.

        A case's key maps to one partition among these. Were the count to change under a
        running relay (its client refreshes metadata every few minutes), a case's next
        events could land in a new partition while its earlier ones wait unconsumed in the
        old one. The relay pins the partitions each time it takes the lease, so the count
        it uses changes only across a pause (`shared.platform.partitions`)."""
        await self._producer.client.force_metadata_update()
        self._partitions = sorted(await self._producer.partitions_for(self.topic))
        log.info("publishing %s on %d partitions", self.topic, len(self._partitions))

    async def publish(self, events: Sequence[IntegrationEvent]) -> None:
        """Send all, then wait for every acknowledgement; raises if any send failed."""
        if not self._partitions:
            await self.pin_partitions()
        futures = []
        for event in events:
            value, key = event.to_bytes(), event.case_number.encode()
            headers = [
                ("type", event.type.encode()),
                ("event_id", str(event.event_id).encode()),
                ("traceparent", tracing.traceparent(event).encode()),
            ]
            if self._keys:
                headers.append((SIGNATURE, self._keys.sign(value)))
            partition = self._partitioner(key, self._partitions, self._partitions)
            futures.append(
                await self._producer.send(
                    self.topic, value=value, key=key, partition=partition, headers=headers
                )
            )
        await asyncio.gather(*futures)

    async def close(self) -> None:
        await self._producer.stop()


class KafkaSubscription:
    def __init__(self, kafka: KafkaSettings, producers: Sequence[ServiceName]) -> None:
        self.kafka = kafka
        self.topics = [kafka.topic(p) for p in producers]
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            **connection(kafka),
            group_id=kafka.consumer_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=500,
            # Partitions added to a topic are found (and read from the earliest offset) at
            # the next metadata refresh: seconds, not the client's default five minutes.
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
        )
        self._offsets: dict[TopicPartition, int] = {}
        self._processed: dict[TopicPartition, int] = {}  # offsets after applied batches
        self._committed: dict[TopicPartition, int] = {}
        self._committed_at = float("-inf")
        self._caught_up = False
        self._dead_letters = AIOKafkaProducer(
            **connection(kafka), enable_idempotence=True, acks="all"
        )
        self._keys = BusKeys.load(kafka.signing_key_file)

    async def start(self) -> None:
        await ensure_topics(self.kafka, [*self.topics, self.kafka.dead_letter_topic])
        await self._dead_letters.start()
        await self._consumer.start()

    async def batches(self) -> AsyncIterator[Sequence[Delivery]]:
        while True:
            records = await self._consumer.getmany(
                timeout_ms=self._until_commit_ms(), max_records=500
            )
            if not records:
                await self._commit_processed()
            batch = [
                self._delivery(tp, message)
                for tp, messages in records.items()
                for message in messages
            ]
            self._offsets = {
                tp: messages[-1].offset + 1 for tp, messages in records.items() if messages
            }
            if batch:
                yield batch  # resumed once the consumer has processed the batch
            self._caught_up = await self._at_high_water()

    def _delivery(self, tp: TopicPartition, message: Any) -> Delivery:
        """The message as a delivery; with signing keys, one not signed by them carries no
        event (so it is dead-lettered, its position trusted for nothing)."""
        value: bytes = message.value or b""
        source, partition_key = (
            f"{tp.topic}[{tp.partition}]@{message.offset}",
            f"{tp.topic}:{tp.partition}",
        )
        if self._keys and (refused := self._keys.refusal(value, message.headers or ())):
            return Delivery(value, source, partition_key, None, refused)
        return parse_delivery(value, source, partition_key)

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
        """Note the offsets after the batch; commit them if `COMMIT_SECONDS` have passed
        since the last commit (else the next quiet poll or commit does)."""
        self._processed.update(self._offsets)
        if time.monotonic() - self._committed_at >= COMMIT_SECONDS:
            await self._commit_processed()

    def _until_commit_ms(self) -> int:
        """How long the next poll may wait: until offsets left uncommitted are due."""
        if self._processed.items() <= self._committed.items():
            return IDLE_FETCH_MS
        due = self._committed_at + COMMIT_SECONDS - time.monotonic()
        return max(0, min(IDLE_FETCH_MS, int(due * 1000)))

    async def _commit_processed(self) -> None:
        """Commit the processed offsets of the partitions still assigned. If the group
        rebalanced meanwhile, the commit is refused and nothing is lost: the batches'
        effects and tracking positions are in the store already, and the partition's new
        owner, redelivered from the last committed offset, skips what the tracking shows
        applied."""
        assigned = self._consumer.assignment()
        # A partition given to another member is its to commit: forget it here, or every
        # poll would find offsets still due.
        self._processed = {tp: o for tp, o in self._processed.items() if tp in assigned}
        offsets = {
            tp: offset
            for tp, offset in self._processed.items()
            if self._committed.get(tp) != offset
        }
        self._committed_at = time.monotonic()
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (
            CommitFailedError,
            IllegalGenerationError,
            IllegalStateError,
            RebalanceInProgressError,
            UnknownMemberIdError,
        ) as refused:
            log.info("kafka: offsets not committed, the group rebalanced (%s)", refused)
            return
        self._committed.update(offsets)

    def lag(self) -> dict[tuple[str, str], int]:
        lags = {}
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            if high is not None:
                done = self._processed.get(tp, self._committed.get(tp, 0))
                lags[(tp.topic, str(tp.partition))] = max(0, high - done)
        return lags

    async def dead_letter(self, delivery: Delivery, reason: str) -> None:
        await self._dead_letters.send_and_wait(
            self.kafka.dead_letter_topic,
            value=delivery.raw,
            key=(delivery.event.case_number.encode() if delivery.event else None),
            headers=[
                ("reason", reason.encode()[:4000]),
                ("source", delivery.source.encode()),
                ("consumer", self.kafka.service.value.encode()),
            ],
        )

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # best effort: a restart skips what it re-reads
            await self._commit_processed()
        await self._consumer.stop()
        await self._dead_letters.stop()


class CheckpointPublisher:
    """Publishes audit checkpoints to `<prefix>.audit.v1`, where auditors can mirror them.

    One partition (the order of every store's checkpoints is kept), keyed by store, kept for
    ever (`retention.ms=-1`) and never compacted, so each checkpoint stays; a producer that
    writes only there cannot alter what the databases' writers store, nor the reverse.
    """

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self.topic = kafka.audit_topic
        self._producer = AIOKafkaProducer(**connection(kafka), enable_idempotence=True, acks="all")

    async def start(self) -> None:
        retained = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
        await ensure_topics(self.kafka, [self.topic], partitions=1, configs=retained)
        await self._producer.start()

    async def publish(self, store: str, line: bytes) -> None:
        await (await self._producer.send(self.topic, value=line, key=store.encode()))

    async def close(self) -> None:
        await self._producer.stop()
