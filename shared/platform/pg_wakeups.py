"""Across processes on PostgreSQL: every insert into the store wakes this process's followers.

`shared.platform.logwatch` wakes the followers of a log (the relay, the feed, the projectors,
waiting reads) when this process records; a write by another process (the API replica when the
relay runs in a worker) was seen only at the next look at the log's head. The `eventsourcing`
PostgreSQL recorder sends `NOTIFY <events table>` in every insert, so one thread per process
listens on that channel and wakes the followers at each commit, wherever it happened.
On SQLite there is no such signal, and one process per service writes (the embedded default).
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from shared.platform.logwatch import LogWatch

log = logging.getLogger(__name__)

#: How long the listener blocks between looks at its stop flag; `stop` wakes it sooner with a
#: notification of its own (an idle process would otherwise wake every second for nothing).
STOP_CHECK_SECONDS = 5.0


class PostgresWakeups:
    def __init__(self, recorder: PostgresApplicationRecorder, watch: LogWatch) -> None:
        self.recorder = recorder
        self.watch = watch
        self._stopped = threading.Event()
        #: Set while the thread listens (cleared when the database went away).
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-wakeups", daemon=True)

    @classmethod
    def of(cls, app: Any) -> PostgresWakeups | None:
        """For an application on PostgreSQL; None on another store."""
        if isinstance(app.recorder, PostgresApplicationRecorder):
            return cls(app.recorder, app.watch)
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
                        self.watch.appended()
            finally:  # the connection goes back to the library's pool
                self.listening.clear()
                conn.execute(sql.SQL("UNLISTEN {0}").format(channel))
                conn.commit()
