"""Moving a live deployment from the HTTP feeds to Kafka without doubling anything.

A consumer of the feed tracks one stream per upstream, `<producer>#feed`; on Kafka it tracks
one per partition, `<producer>#<topic>:<partition>`, because positions only grow within a
partition. Started on Kafka with no rows for those streams, it would apply every upstream
event again from the first offset (the relays publish each log from its start).

The feed delivered the producer's log in order, so everything at or below the feed's
position P was applied (or dead-lettered, which is tracked too). Within each partition the
positions grow, so "everything up to P" is exactly right for every partition: the switch
records P on each partition's stream, and the consumer skips what it already applied and
applies the rest. Run it with the consumers stopped (`complaints transport to-kafka`).
Partitions added later need nothing: they only ever carry positions published after them.
"""

from __future__ import annotations

from shared.platform.runtime import ServiceRuntime


async def seed_kafka_tracking(runtime: ServiceRuntime) -> dict[str, int]:
    """Copy each upstream's feed position to every partition of its topic; what was seeded."""
    from shared.platform.bus.kafka import ensure_topics, partitions_of

    settings, handler = runtime.settings, runtime.handler
    if handler is None or runtime.tracked_position is None:
        return {}
    kafka = settings.kafka
    topics = {upstream.value: kafka.topic(upstream) for upstream in settings.upstreams}
    await ensure_topics(kafka, list(topics.values()))
    partitions = await partitions_of(kafka, list(topics.values()))
    seeded: dict[str, int] = {}
    for producer, topic in topics.items():
        fed = await runtime.tracked_position(f"{producer}#feed")
        if not fed:
            continue
        for partition in range(partitions[topic]):
            stream = f"{producer}#{topic}:{partition}"
            if (await runtime.tracked_position(stream) or 0) < fed:
                await handler.record_position(stream, fed)
                seeded[stream] = fed
    return seeded
