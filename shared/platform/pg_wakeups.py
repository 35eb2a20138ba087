"""Across processes on PostgreSQL: every insert into the store wakes this process's followers.

`shared.platform.logwatch` wakes the followers of a log (the relay, the feed, the projectors,
waiting reads) when this process records; a write by another process (the API replica when the
relay runs in a worker) was seen only at the next look at the log's head. The `eventsourcing`
PostgreSQL recorder sends `NOTIFY <events table>` in every insert, so one thread per process
listens on that channel and wakes the followers at each commit, wherever it happened.
On SQLite there is no such signal, and one process per service writes (the embedded default).

A reader waiting on one case (`Prefer: wait`) is woken only by records about that case. In
a process that consumes (a worker, or the one process of a small deployment) its readers
wait on what the process itself records. An API replica's readers wait on what the workers
and the other replicas record: there a wake-up also reads the log after the last position
it read, to wake the readers of the cases those records are about (which `meta` names in
every stored event), and only while some reader waits; without it they would be answered
at the next look at the head, up to a second late at every step a front end waits for.
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from shared.platform.audit.chain import unseal
from shared.platform.audit.store_reads import LogRow, log_page
from shared.platform.logwatch import LogWatch

log = logging.getLogger(__name__)

#: How long the listener blocks between looks at its stop flag; `stop` wakes it sooner with a
#: notification of its own (an idle process would otherwise wake every second for nothing).
STOP_CHECK_SECONDS = 5.0
#: The most records a wake-up reads to learn their cases; after more (a burst, or a reader
#: arriving after a quiet spell) every waiting reader looks at its case again instead.
CASES_PAGE = 500


class PostgresWakeups:
    def __init__(
        self, recorder: PostgresApplicationRecorder, watch: LogWatch, cases: bool = False
    ) -> None:
        self.recorder = recorder
        self.watch = watch
        #: Whether a wake-up reads which cases the new records are about (an API replica).
        self.cases = cases
        #: The last position whose case was told, while readers wait; None when unknown.
        self._told: int | None = None
        self._stopped = threading.Event()
        #: Set while the thread listens (cleared when the database went away).
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-wakeups", daemon=True)

    @classmethod
    def of(cls, app: Any, cases: bool = False) -> PostgresWakeups | None:
        """For an application on PostgreSQL; None on another store."""
        if isinstance(app.recorder, PostgresApplicationRecorder):
            return cls(app.recorder, app.watch, cases)
        return None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self.listening.is_set():
            # The database gone, the NOTIFY fails, and so does the listener's wait.
            with contextlib.suppress(Exception), self.recorder.datastore.get_connection() as conn:
                conn.execute(sql.SQL("NOTIFY {0}").format(self._channel))
                conn.commit()
        self._thread.join(timeout=STOP_CHECK_SECONDS * 2)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._listen()
            except Exception as error:  # the database restarting: listen again shortly
                log.info("listening for inserts failed (%s); again in 1 s", error)
                self._stopped.wait(1.0)

    @property
    def _channel(self) -> sql.Identifier:
        return sql.Identifier(self.recorder.channel_name)

    def _listen(self) -> None:
        channel = self._channel
        with self.recorder.datastore.get_connection() as conn:
            conn.execute(sql.SQL("LISTEN {0}").format(channel))
            conn.commit()
            self.listening.set()
            try:
                while not self._stopped.is_set():
                    # Blocks in select() itself: psycopg's `notifies(timeout=...)` wakes
                    # every 0.1 s inside to stay interruptible, ten wakeups a second for an
                    # idle process. Readable means a notification (or the connection closed,
                    # which the read then raises).
                    readable, _, _ = select.select([conn.fileno()], [], [], STOP_CHECK_SECONDS)
                    if readable and any(True for _ in conn.notifies(timeout=0)):
                        self._woken()
            finally:  # the connection goes back to the library's pool
                self.listening.clear()
                conn.execute(sql.SQL("UNLISTEN {0}").format(channel))
                conn.commit()

    def _woken(self) -> None:
        """Wake the followers; in an API replica with readers waiting, also those of the
        cases recorded since the last position told (all of them when that is not known)."""
        if not (self.cases and self.watch.waits_on_cases()):
            self._told = None
            self.watch.appended()
            return
        if self._told is not None:
            rows = log_page(self.recorder, self._told, CASES_PAGE)
            numbers = _cases_in(rows)
            if len(rows) < CASES_PAGE and numbers is not None:
                self._told = rows[-1].id if rows else self._told
                self.watch.appended(numbers)
                return
        # The head first: what lands after it is told by a later wake-up.
        self._told = self.recorder.max_notification_id() or 0
        self.watch.appended(None)


def _cases_in(rows: Sequence[LogRow]) -> set[str] | None:
    """The case numbers the stored events' `meta` names; None if one cannot be read."""
    numbers = set()
    for row in rows:
        try:
            number = (json.loads(unseal(row.state).state).get("meta") or {}).get("case_number")
        except (ValueError, AttributeError):
            return None
        if isinstance(number, str):
            numbers.add(number)
    return numbers
