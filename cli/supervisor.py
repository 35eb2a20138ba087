"""`complaints run`: every service as a process of its own, each started again if it dies.

The embedded default is one machine's whole system. A service that dies (kill -9, out of
memory, a background task that failed and stopped its process) comes back, as it would under
compose's `restart: unless-stopped`, and loses nothing: every effect is tracked, so the new
process resumes where the old one stopped. Two deaths are not retried, because a new process
would only die the same way: exit code 2 (its settings are invalid) and a crash loop
(`CRASH_LOOP` failures in a row, each within `STEADY_SECONDS` of its start). Then every
service is stopped and `complaints run` exits with that code. A process killed by a signal
(kill -9, the OOM killer) did not fail by itself: it is started again after a second however
often that happens, and never counts towards a crash loop; killing services at random must
not stop the whole system.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: The exit code of a service whose settings are invalid (`cli.main._configured`).
BAD_SETTINGS = 2
#: A process that lived this long is healthy: its next death starts the count again.
STEADY_SECONDS = 30.0
#: Quick deaths in a row after which a service is not started again.
CRASH_LOOP = 5
#: The longest pause before a start again (pauses double from one second).
MAX_BACKOFF_SECONDS = 30.0
#: `prctl` option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def say(line: str) -> None:
    print(f"complaints: {line}", file=sys.stderr, flush=True)


def _stop_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the supervisor dies, even by kill -9, so no
    service is left holding its port (Linux `prctl(PR_SET_PDEATHSIG)`; elsewhere nothing)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_service(name: str) -> subprocess.Popen:
    """`complaints serve <name>` as a child that stops with its supervisor."""
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", name], preexec_fn=_stop_with_parent
    )


@dataclass
class Child:
    name: str
    process: subprocess.Popen | None
    started: float
    quick_deaths: int = 0
    #: When a dead child is started again.
    due: float | None = None


class Supervisor:
    """Starts the services, starts again the ones that die, stops them all."""

    def __init__(
        self,
        names: Iterable[str],
        spawn: Callable[[str], subprocess.Popen],
        now: Callable[[], float] = time.monotonic,
        report: Callable[[str], None] = say,
    ) -> None:
        self.spawn, self.now, self.report = spawn, now, report
        self.children = [Child(name, spawn(name), now()) for name in names]

    def look(self) -> int | None:
        """One round: note the dead, start the due; the exit code when the run must end."""
        for child in self.children:
            code = child.process.poll() if child.process is not None else None
            if code is not None and (verdict := self._died(child, code)) is not None:
                return verdict
            if child.due is not None and self.now() >= child.due:
                child.process, child.started, child.due = self.spawn(child.name), self.now(), None
                self.report(f"{child.name} started again")
        return None

    def _died(self, child: Child, code: int) -> int | None:
        child.process = None
        if code < 0:  # killed by a signal: says nothing of how the next process will fare
            child.quick_deaths = 0
            child.due = self.now() + 1.0
            self.report(f"{child.name} was killed ({code}); starting it again in 1 s")
            return None
        quick = self.now() - child.started < STEADY_SECONDS
        child.quick_deaths = child.quick_deaths + 1 if quick else 1
        if code == BAD_SETTINGS:
            self.report(f"{child.name} exited with {code}: its settings are invalid")
            return code
        if child.quick_deaths >= CRASH_LOOP:
            self.report(f"{child.name} died {CRASH_LOOP} times at start (last exit {code})")
            return code or 1
        pause = min(MAX_BACKOFF_SECONDS, 2.0 ** (child.quick_deaths - 1))
        child.due = self.now() + pause
        self.report(f"{child.name} exited with {code}; starting it again in {pause:g} s")
        return None

    def stop(self, grace_seconds: float = 15.0) -> None:
        """SIGTERM to all, then SIGKILL to whoever is still there after the grace period."""
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = self.now() + grace_seconds
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - self.now()))
            except subprocess.TimeoutExpired:
                process.kill()
