"""Background work that fails stops the process, rather than leaving it running without it.

A worker whose consumer died would otherwise stay up, look alive to its supervisor and
consume nothing; the command line hands the runtime a hook that stops the process (exit 1),
and the supervisor starts a fresh one.
"""

import asyncio

from shared.platform.runtime import ServiceRuntime
from shared.platform.settings import Settings


async def test_a_background_failure_is_reported_once_and_marks_the_runtime_failed():
    calls = []

    async def keeps_working() -> None:
        await asyncio.Event().wait()

    async def breaks() -> None:
        raise RuntimeError("the broker refused a commit")

    runtime = ServiceRuntime(
        Settings(service="routing", consumers_enabled=False),
        background={"steady": keeps_working, "fragile": breaks},
        on_failure=lambda: calls.append("stop"),
    )
    await runtime.start()
    for _ in range(5):
        await asyncio.sleep(0)
    assert runtime.failed
    assert calls == ["stop"]
    assert not runtime.tasks_alive()  # /ready says so until the process is gone
    await runtime.stop()
