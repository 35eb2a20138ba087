"""The scheduler asks the store nothing while nothing happens, and still fires on time.

An idle routing process used to read its log and its timer index every second; now a tick
that finds nothing recorded since the last look and no timer due yet returns at once. A
clock that jumps past a due time fires at the next tick all the same.
"""

from datetime import timedelta

from sqlalchemy.ext.asyncio import create_async_engine

from services.routing import read_models
from services.routing.domain import Case
from services.routing.scheduler import Scheduler
from shared.platform.sqlviews import LocalProjector
from tests.support.routing_story import opened
from tests.support.timing import RECEIVED


def fired(routing, number):
    return [
        (e.clock, e.timer)
        for e in routing.events.get(routing.case(number).id)
        if isinstance(e, Case.TimerFired)
    ]


async def test_a_quiet_tick_reads_nothing_and_a_clock_jump_fires_at_the_next(
    time_machine, tmp_path
):
    routing, number = opened(received_at=RECEIVED)
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'views.sqlite'}")
    await read_models.create_tables(engine)
    projector = LocalProjector(
        routing, engine, read_models.tracking, read_models.project, poll_interval=0.05
    )
    scheduler = Scheduler(routing, engine, projector, interval=0.05)

    first = await scheduler.tick()  # projects the case and learns when its first timer is due
    assert (first.due_cases, first.fired) == (0, 0)
    quiet = await scheduler.tick()
    assert quiet.due_cases == 0
    assert scheduler.quiet()

    time_machine.advance(timedelta(hours=24))  # the acknowledgement's warning and reminder are due
    assert not scheduler.quiet()
    jumped = await scheduler.tick()
    assert jumped.fired >= 1
    assert ("acknowledge", "warning") in fired(routing, number)
    assert not scheduler.quiet()  # what fired was recorded: the next tick looks again
    await engine.dispose()
