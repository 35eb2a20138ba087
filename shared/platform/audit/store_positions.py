"""Where a stream's events sit in the store's notification log.

The library reads a stream by version and the log by position, but has no query from one to
the other; an export needs both (each event's proof starts at its log position). This reads
the library's own tables, read-only, for the two stores the services run on, and reads the
log through for any other (the in-memory store of tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier


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
        while page := recorder.select_notifications(position, 1000, inclusive_of_start=False):
            for row in page:
                if str(row.originator_id) in wanted:
                    found[(str(row.originator_id), row.originator_version)] = row.id
            position = page[-1].id
    return found
