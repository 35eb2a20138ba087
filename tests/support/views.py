"""A service's log projected into fresh SQLite read models, for stories that compare page sizes."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import create_async_engine

from shared.platform.sqlviews import LocalProjector


async def projected(
    app: Any, read_models: ModuleType, tables: tuple[Table, ...], path: Path, page_size: int
) -> dict[str, list[dict[str, Any]]]:
    """Each of `tables` after `read_models.project` followed `app`'s whole log into a new
    database at `path`, `page_size` events a page: its rows, sorted."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    await read_models.create_tables(engine)
    projector = LocalProjector(
        app, engine, read_models.tracking, read_models.project, 0.05, page_size=page_size
    )
    await projector.catch_up()
    async with engine.connect() as conn:
        rows = {
            table.name: sorted(
                (dict(row._mapping) for row in await conn.execute(select(table))),
                key=lambda row: tuple(map(str, row.values())),
            )
            for table in tables
        }
    await engine.dispose()
    return rows
