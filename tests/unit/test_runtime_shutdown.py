"""A shutdown ends, even when a connection will not close or work will not stop.

Seen on Kafka: a consumer whose group is rebalancing waits for the rebalance before it
leaves, which can take minutes; the process hung in "Waiting for application shutdown"
until its supervisor killed it. Each wait of the shutdown is bounded now, and what does not
finish in time is left to the process's exit (every effect is tracked, so nothing is lost).
"""

import asyncio
import threading
import time

from shared.platform import runtime as runtime_module
from shared.platform.runtime import ServiceRuntime
from shared.platform.settings import Settings
from shared.platform.threads import drain, run_sync


async def test_a_consumer_that_will_not_close_and_work_that_will_not_stop_do_not_hold_shutdown(
    monkeypatch,
):
    monkeypatch.setattr(runtime_module, "GRACE_SECONDS", 0.2)
    monkeypatch.setattr(runtime_module, "CLOSE_SECONDS", 0.2)
    closed = []
    unstuck, never = asyncio.Event(), asyncio.Event()

    async def stubborn() -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            await unstuck.wait()  # swallows the cancellation, as a stuck client call may

    async def rebalancing_consumer_close() -> None:
        await never.wait()

    async def producer_close() -> None:
        closed.append("producer")

    runtime = ServiceRuntime(
        Settings(service="routing", consumers_enabled=False), background={"stubborn": stubborn}
    )
    await runtime.start()
    await asyncio.sleep(0.01)  # the work is under way
    runtime._closers += [producer_close, rebalancing_consumer_close]

    started = time.monotonic()
    await runtime.stop()

    assert time.monotonic() - started < 5  # not forever
    assert closed == ["producer"]  # closers after the stuck one still ran
    unstuck.set()
    await asyncio.sleep(0.01)


def test_a_service_stopping_does_not_wait_for_another_loops_calls_in_worker_threads():
    """Several services in one process, each on a loop of its own (as in-process tests run
    them): one's shutdown drains its own blocking calls, not those of a neighbour, whose
    completion would never wake it."""
    release = threading.Event()
    neighbour = asyncio.new_event_loop()
    threading.Thread(target=neighbour.run_forever, daemon=True).start()
    in_flight = asyncio.run_coroutine_threadsafe(run_sync(release.wait, 5), neighbour)
    # Scheduled after it on the neighbour's loop: once this ran, the call is in flight.
    asyncio.run_coroutine_threadsafe(asyncio.sleep(0), neighbour).result(timeout=5)
    try:
        started = time.monotonic()
        asyncio.run(asyncio.wait_for(drain(), 2))
        assert time.monotonic() - started < 1.5  # not the neighbour's 5 s
    finally:
        release.set()
        in_flight.result(timeout=5)
        neighbour.call_soon_threadsafe(neighbour.stop)
