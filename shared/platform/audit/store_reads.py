"""The audit's reads of the library's own tables: the log as plain rows, and where a
stream's events sit in the log.

Verification and sealing hash every stored event and need only its columns. The library's
`select_notifications` builds a `Notification` per row and, on SQLite, a `UUID` from each
stream id's text: over half of verification's time at a million events (py-spy), for objects
the audit turns straight back into text. `log_page` reads the same rows as tuples, the stream
id as text in its canonical form (what `str(UUID)` gives, so links and digests are the same).

The library reads a stream by version and the log by position, but has no query from one to
the other; an export needs both (each event's proof starts at its log position):
`positions_of`.

Both read the library's tables, read-only, for the two stores the services run on, and go
through the library's interface for any other (the in-memory store of tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier


class LogRow(NamedTuple):
    """A stored event at its log position, named as the library's `Notification` is."""

    id: int
    originator_id: str  # canonical text: lower-case hex, hyphenated
    originator_version: int
    topic: str
    state: bytes


def log_page(recorder: Any, after: int, limit: int, stop: int | None = None) -> list[LogRow]:
    """Up to `limit` rows after position `after` (and up to `stop`), in log order."""
    if isinstance(recorder, SQLiteAggregateRecorder):
        return _sqlite_page(recorder, after, limit, stop)
    if isinstance(recorder, PostgresAggregateRecorder):
        return _postgres_page(recorder, after, limit, stop)
    page = recorder.select_notifications(after, limit, stop=stop, inclusive_of_start=False)
    return [
        LogRow(n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in page
    ]


#: SQLite keeps a UUID stream id as 32 hex digits (`UUID.hex`); hyphenated in SQL, as
#: `str(UUID)` would, without a `UUID` per row.
_SQLITE_STREAM = (
    "lower(substr(originator_id, 1, 8) || '-' || substr(originator_id, 9, 4) || '-' || "
    "substr(originator_id, 13, 4) || '-' || substr(originator_id, 17, 4) || '-' || "
    "substr(originator_id, 21))"
)


def _sqlite_page(
    recorder: SQLiteAggregateRecorder, after: int, limit: int, stop: int | None
) -> list[LogRow]:
    stream = _SQLITE_STREAM if recorder.datastore.originator_id_type == "uuid" else "originator_id"
    statement = (
        f"SELECT rowid, {stream}, originator_version, topic, state "  # noqa: S608 - the library's own names
        f"FROM {recorder.events_table_name} WHERE rowid > ? AND rowid <= ? "
        "ORDER BY rowid LIMIT ?"
    )
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.sqlite_cursor.row_factory = None  # plain tuples, not `sqlite3.Row`
        cursor.execute(statement, [after, 2**63 - 1 if stop is None else stop, limit])
        return list(map(LogRow._make, cursor.fetchall()))


def _postgres_page(
    recorder: PostgresAggregateRecorder, after: int, limit: int, stop: int | None
) -> list[LogRow]:
    query = SQL(
        "SELECT notification_id, originator_id::text, originator_version, topic, state "
        "FROM {schema}.{table} WHERE notification_id > %s AND notification_id <= %s "
        "ORDER BY notification_id LIMIT %s"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )
    with (
        recorder.datastore.get_connection() as connection,
        connection.cursor(row_factory=tuple_row) as cursor,
    ):
        cursor.execute(query, [after, 2**63 - 1 if stop is None else stop, limit], prepare=True)
        return [LogRow(i, s, v, t, bytes(state)) for i, s, v, t, state in cursor.fetchall()]


def positions_of(recorder: Any, streams: Sequence[UUID]) -> dict[tuple[str, int], int]:
    """(stream, version) -> log position, for every event of `streams`."""
    found: dict[tuple[str, int], int] = {}
    if not streams:
        return found
    if isinstance(recorder, SQLiteAggregateRecorder):
        table = recorder.events_table_name  # the library's own name, never input
        statement = f"SELECT rowid, originator_version FROM {table} WHERE originator_id=?"  # noqa: S608
        with recorder.datastore.transaction(commit=False) as cursor:
            for stream in streams:
                cursor.execute(statement, [stream.hex])
                found.update({(str(stream), r[1]): r[0] for r in cursor.fetchall()})
    elif isinstance(recorder, PostgresAggregateRecorder):
        query = SQL(
            "SELECT notification_id, originator_version FROM {schema}.{table} "
            "WHERE originator_id = %s"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        with recorder.datastore.get_connection() as connection, connection.cursor() as cursor:
            for stream in streams:
                cursor.execute(query, [stream])
                found.update(
                    {(str(stream), r["originator_version"]): r["notification_id"] for r in cursor}
                )
    else:  # another recorder (in memory): read the log through
        wanted, position = {str(stream) for stream in streams}, 0
        while page := log_page(recorder, position, 1000):
            for row in page:
                if row.originator_id in wanted:
                    found[(row.originator_id, row.originator_version)] = row.id
            position = page[-1].id
    return found
