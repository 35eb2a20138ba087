"""Adding partitions to a live topic without letting any case's events overtake each other.

A case's events go to the partition its key (the case number) hashes to among the topic's
partitions, which keeps them in order. Adding partitions moves some cases to a new one: if a
case's next event were published there while its earlier events still waited in the old
partition, a consumer could apply the later one first (a payment before its approval). And
a page a relay sent but had not recorded would be sent again to the new partition, where the
consumers' tracking (per partition) would not recognise it.

So `complaints transport add-partitions SERVICE COUNT`:

1. pauses the producer's relay lease (`shared.platform.leadership`): the relay leading it stops
   within a second and no other takes over; commands go on being recorded in the outbox;
2. takes the lease itself and publishes what is left of the outbox on the current
   partitions, recording each page (a page the stopped relay sent unrecorded goes to the
   same partition again, where the consumers skip it);
3. waits until every consumer group of the topic has committed the end of every partition
   (the product's own groups, and those named with `--group`, e.g. the ERP feed's);
4. adds the partitions, then lets the lease go: a relay takes it and publishes on them all.

Consumers find the new partitions on their next metadata refresh and read them from the
earliest offset, so nothing published there before they looked is missed; a new partition
carries only events published after the change, so its tracking starts empty, rightly.
If the tool stops or dies at any step, its locks go with its session and the relays resume
on the partitions as they were.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from shared.platform.leadership import CHECK_SECONDS, lease_for
from shared.platform.runtime import ServiceRuntime
from shared.platform.settings import KafkaSettings, ServiceName, load_settings

log = logging.getLogger(__name__)


class PartitionsRefused(SystemExit):
    """The addition was not made; the message says why and what to do."""


@dataclass(frozen=True)
class Added:
    topic: str
    before: int
    after: int
    drained: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "before": self.before,
            "after": self.after,
            "groups_drained": self.drained,
        }


def consumer_groups(producer: ServiceName) -> list[str]:
    """The product's consumer groups that read `producer`'s topic."""
    groups = []
    for consumer in ServiceName:
        settings = load_settings(service=consumer)
        if producer in settings.upstreams:
            groups.append(settings.kafka.consumer_group)
    return groups


async def add_partitions(
    runtime: ServiceRuntime, count: int, groups: list[str], patience: float
) -> Added:
    """Grow the runtime's service's topic to `count` partitions, safely (see the module)."""
    from shared.platform.bus.kafka import partitions_of

    settings = runtime.settings
    kafka = settings.kafka
    topic = kafka.topic(settings.service)
    before = (await partitions_of(kafka, [topic])).get(topic, 0)
    if count <= before:
        raise PartitionsRefused(
            f"{topic} has {before} partitions; Kafka can only add partitions, not remove them"
        )
    lease = lease_for(settings.storage, "relay")
    if not await lease.pause():
        raise PartitionsRefused(f"another tool is pausing {settings.service.value}'s relay")
    try:
        await _take(lease, patience)
        await _publish_the_rest(runtime)
        await _drained(kafka, topic, groups, patience)
        await _create(kafka, topic, count)
    finally:
        await lease.release()
    return Added(topic, before, count, groups)


async def _take(lease: Any, patience: float) -> None:
    for _ in range(int(patience / CHECK_SECONDS) + 1):
        if await lease.acquire():
            return
        await asyncio.sleep(CHECK_SECONDS)
    raise PartitionsRefused("the relay leading the lease did not let it go; is it stuck?")


async def _publish_the_rest(runtime: ServiceRuntime) -> None:
    from shared.platform.bus.kafka import KafkaPublisher
    from shared.platform.relay import Relay

    s = runtime.settings
    if runtime.app is None or runtime.outbox is None:
        raise PartitionsRefused(f"{s.service.value} publishes no log of its own")
    publisher = KafkaPublisher(s.kafka)
    await publisher.start()
    try:
        relay = Relay(runtime.app, runtime.outbox, publisher, s.relay_batch_size, 0.05)
        while await relay.run_once():
            pass
    finally:
        await publisher.close()


async def _drained(kafka: KafkaSettings, topic: str, groups: list[str], patience: float) -> None:
    """Wait until each group has committed every partition's end offset."""
    from shared.platform.bus.kafka import group_lag

    lags: dict[str, int | None] = {}
    for _ in range(int(patience / CHECK_SECONDS) + 1):
        lags = {group: await group_lag(kafka, group, topic) for group in groups}
        if all(lag == 0 for lag in lags.values()):
            return
        await asyncio.sleep(CHECK_SECONDS)
    never = [g for g, lag in lags.items() if lag is None]
    raise PartitionsRefused(
        f"the consumers of {topic} did not catch up within {patience:.0f} s, nothing added "
        f"(lag per group: {lags})"
        + (
            f"; {', '.join(never)} never consumed it: start them, or leave them out with "
            "--ignore-group if that service is not deployed"
            if never
            else ""
        )
    )


async def _create(kafka: KafkaSettings, topic: str, count: int) -> None:
    """Add the partitions, and hold on until the brokers describe them: the relay that
    takes the lease next pins the count it then reads."""
    from aiokafka.admin import NewPartitions

    from shared.platform.bus.kafka import administer, partitions_of

    async def create(admin: Any) -> None:
        await admin.create_partitions({topic: NewPartitions(total_count=count)})

    await administer(kafka, create)
    # Waiting on the brokers' metadata, which no event of ours announces:
    while (await partitions_of(kafka, [topic])).get(topic) != count:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    log.warning("%s now has %d partitions", topic, count)
