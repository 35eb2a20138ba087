"""uvicorn's server, woken by a signal to stop rather than ten times a second to look.

uvicorn's `Server.main_loop` sleeps a tenth of a second between looks at its exit flag (and,
every tenth look, at the Date header). An idle service spends a measurable share of its
idle CPU on that alone: five services started by `complaints run`, idle for a minute, used
5.85-6.27% of a core together, and 4.85-5.75% with one look a second (two alternating pairs
on this project's machine). Here the loop looks once a second, and a signal (SIGTERM,
SIGINT, or the runtime stopping a failed process) wakes it at once, so shutting down is not
slower. When it stops taking requests it says so (`stopping`), so that requests waiting for
news answer at once: `complaints run` took 12 s to stop on Ctrl-C, its followers' feed
requests holding uvicorn's graceful shutdown until its time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn

#: `on_tick` counts tenths of a second: the Date header is refreshed when it divides by ten.
TENTHS_PER_LOOK = 10


class Server(uvicorn.Server):
    _loop: asyncio.AbstractEventLoop | None = None
    _stop_asked: asyncio.Event | None = None

    def __init__(self, config: uvicorn.Config, stopping: Callable[[], None]) -> None:
        super().__init__(config)
        #: Told when the server stops taking requests, before it waits for those in flight:
        #: requests waiting for news (a follower's feed, `Prefer: wait`) answer then, instead
        #: of holding the graceful shutdown for up to their whole wait.
        self.stopping = stopping

    async def main_loop(self) -> None:
        self._loop, self._stop_asked = asyncio.get_running_loop(), asyncio.Event()
        tenths = 0
        while not await self.on_tick(tenths):
            tenths = (tenths + TENTHS_PER_LOOK) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_asked.wait(), TENTHS_PER_LOOK / 10)
        self.stopping()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Runs as the signal handler: the flag as uvicorn sets it, then the loop woken
        through its self-pipe (it may be blocked in epoll for up to the second)."""
        super().handle_exit(sig, frame)
        if self._loop is not None and self._stop_asked is not None:
            self._loop.call_soon_threadsafe(self._stop_asked.set)


def serve(app: Any, stopping: Callable[[], None], **options: Any) -> bool:
    """Run `app` as `uvicorn.run(app, **options)` does, on this server; whether it started."""
    config = uvicorn.Config(app, **options)
    server = Server(config, stopping)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return server.started
