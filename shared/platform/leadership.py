"""Work that must run in one process at a time, however many replicas run: a lease.

The relay publishes a log in order only if one relay publishes it; the sealer pins a log
chain that one writer extends; the scheduler, the report keeper and the notifications
dispatcher should not race each other. Every replica starts them, and each waits for the
service's lease before it works; the holder works until it dies or loses the lease, and a
standby takes over within a couple of seconds.

On PostgreSQL the lease is an advisory lock held by a session of its own: the server frees
it when the session ends, which a kill -9 of the holder ends at once (its socket closes).
The holder checks its session every `CHECK_SECONDS` and stops working when it is gone, so
two holders can overlap by at most that long after a network partition, never in the normal
case of a process dying. On SQLite (one machine) the lease is an exclusive `flock` on a file
beside the store, which the kernel frees when the holder dies.

An operator's tool may pause a lease (`Lease.pause`): the holder stops its work and lets
the lease go within `CHECK_SECONDS`, and nobody takes it while the pause lasts, except the
tool itself. The pause is a second lock held by the tool's own session or file, so a tool
that dies mid-way pauses nothing for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from shared.platform.settings import StoreSettings

log = logging.getLogger(__name__)

#: How often a standby asks for the lease, and a holder checks it still holds it.
CHECK_SECONDS = 1.0


class Lease(Protocol):
    async def acquire(self) -> bool:
        """Take the lease if it is free and not paused by another process; whether this
        process holds it now."""
        ...

    async def holding(self) -> bool:
        """Whether this process still holds the lease it took, and no other process paused
        it (one check, as cheap as the first)."""
        ...

    async def release(self) -> None:
        """Let the lease (and a pause this process holds) go."""
        ...

    async def pause(self) -> bool:
        """Pause the lease until `release`: whether no other pause was in force."""
        ...

    async def paused(self) -> bool:
        """Whether a pause is in force (held by another process)."""
        ...


# A shared lock on the pause key is refused while a tool holds it exclusively; taken and
# given back in the same statement when free (a session's own pause never refuses it).
_FREE_OF_PAUSE = (
    "CASE WHEN pg_try_advisory_lock_shared($2) THEN pg_advisory_unlock_shared($2) ELSE false END"
)


def _advisory_key(name: str) -> int:
    digest = hashlib.blake2b(f"complaints:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresLease:
    def __init__(self, dsn: str, name: str) -> None:
        self.dsn = dsn
        self.key = _advisory_key(name)
        self.pause_key = _advisory_key(f"{name}:pause")
        self.connection: Any = None

    async def _ask(self, statement: str) -> bool:
        """One statement on the lease's own session, with its two keys; False (and the
        session closed) when PostgreSQL does not answer in time or at all. Any failure
        counts: a statement cut short by the timeout leaves the session unusable (asyncpg's
        "another operation is in progress"), and only closing it makes the next try clean."""
        import asyncpg

        try:
            if self.connection is None or self.connection.is_closed():
                self.connection = await asyncpg.connect(self.dsn, timeout=5)
            answer = self.connection.fetchval(statement, self.key, self.pause_key)
            return bool(await asyncio.wait_for(answer, CHECK_SECONDS * 3))
        except Exception as error:  # whatever it was, the lease is not held
            log.warning("lease: PostgreSQL did not answer (%s); standing by", error)
            await self.release()
            return False

    async def acquire(self) -> bool:
        return await self._ask(f"SELECT {_FREE_OF_PAUSE} AND pg_try_advisory_lock($1)")

    async def holding(self) -> bool:
        if self.connection is None or self.connection.is_closed():
            return False
        return await self._ask(f"SELECT {_FREE_OF_PAUSE} AND $1::bigint IS NOT NULL")

    async def pause(self) -> bool:
        return await self._ask("SELECT pg_try_advisory_lock($2) AND $1::bigint IS NOT NULL")

    async def paused(self) -> bool:
        free = await self._ask(f"SELECT {_FREE_OF_PAUSE} AND $1::bigint IS NOT NULL")
        return not free and self.connection is not None  # refused, not unreachable

    async def release(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)


def _flock(path: Path, mode: int) -> int | None:
    """An open descriptor of `path` locked in `mode` (without waiting), or None if refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class FileLease:
    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}.lease"
        self.pause_path = folder / f"{name}.paused"
        self.fd: int | None = None
        self.pause_fd: int | None = None

    async def acquire(self) -> bool:
        if self.fd is None and not await self.paused():
            self.fd = _flock(self.path, fcntl.LOCK_EX)
        return self.fd is not None

    async def holding(self) -> bool:
        return self.fd is not None and not await self.paused()

    async def pause(self) -> bool:
        if self.pause_fd is None:
            self.pause_fd = _flock(self.pause_path, fcntl.LOCK_EX)
        return self.pause_fd is not None

    async def paused(self) -> bool:
        if self.pause_fd is not None:
            return False  # this process's own pause
        probe = _flock(self.pause_path, fcntl.LOCK_SH)
        if probe is None:
            return True
        os.close(probe)
        return False

    async def release(self) -> None:
        for fd in (self.fd, self.pause_fd):
            if fd is not None:
                os.close(fd)  # frees the lock
        self.fd = self.pause_fd = None


def lease_for(store: StoreSettings, name: str) -> Lease:
    """The service's lease called `name` (e.g. `relay`), on its own store's engine."""
    if store.postgres:
        return PostgresLease(store.database_url(), f"{store.database_name()}:{name}")
    return FileLease(store.data_dir, f"{store.database_name()}-{name}")


class Leader:
    """Runs work only while holding the lease; stands by otherwise."""

    def __init__(self, lease: Lease, name: str) -> None:
        self.lease = lease
        self.name = name
        self.leading = False

    async def run(self, works: dict[str, Callable[[], Awaitable[None]]]) -> None:
        try:
            while True:
                while not await self.lease.acquire():  # noqa: ASYNC110 - held in another process
                    await asyncio.sleep(CHECK_SECONDS)
                self.leading = True
                log.info("this process leads %s (%s)", self.name, ", ".join(works))
                await self._lead(works)
                self.leading = False
                paused = await self.lease.paused()
                await self.lease.release()  # paused: let the tool take it; lost: it is gone
                log.warning(
                    "%s %s; standing by",
                    self.name,
                    "paused by an operator's tool" if paused else "lost its lease",
                )
        finally:
            self.leading = False  # the lease is released by whoever stops the runtime

    async def _lead(self, works: dict[str, Callable[[], Awaitable[None]]]) -> None:
        tasks: list[asyncio.Future[None]] = [
            asyncio.ensure_future(work()) for work in works.values()
        ]
        try:
            while await self.lease.holding():
                done = [t for t in tasks if t.done()]
                for task in done:
                    task.result()  # a work that stopped with an error stops the leader
                await asyncio.sleep(CHECK_SECONDS)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
