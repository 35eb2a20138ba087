"""One process at a time creates or migrates a PostgreSQL database's schema.

Replicas of a service start together on a fresh database (a deployment rolling out, a
container platform starting them at once). Neither `eventsourcing`'s `create_table` nor an
Alembic upgrade is safe to run concurrently: the library inserts a row recording its own
table migration, and two processes both finding it missing both insert it, so the slower
one dies at start with an `IntegrityError`. Each process therefore takes an advisory lock
of its database while it creates and migrates: the others wait, then find the work done.
The lock is per database (each service has its own), so services never wait for each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

#: The advisory lock's key ("schema" in ASCII): no other lock of the project uses it.
SCHEMA_LOCK = 0x736368656D61


@contextlib.contextmanager
def schema_lock(env: Mapping[str, str]) -> Iterator[None]:
    """Held while the body runs, on a session of its own, for the `eventsourcing`
    environment `env`; nothing to hold on SQLite (one process per store)."""
    if env.get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
        yield
        return
    import psycopg

    with psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT", "10")),
        autocommit=True,
    ) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
