"""The baseline a user might build instead: one FastAPI endpoint writing one row per complaint.

    COMPLAINTS_BASELINE_DSN=postgresql+asyncpg://... uvicorn bench.crud_baseline:app

No numbering, no events, no outbox, no idempotency: the floor of what storing a complaint in
the same PostgreSQL costs through the same web stack.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import JSON, BigInteger, Column, MetaData, Table
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
complaints = Table(
    "baseline_complaints",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("body", JSON, nullable=False),
)
engine = create_async_engine(os.environ["COMPLAINTS_BASELINE_DSN"], pool_size=20)


@asynccontextmanager
async def lifespan(_: FastAPI):
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.post("/complaints", status_code=201)
async def register(body: dict[str, Any]) -> dict[str, Any]:
    async with engine.begin() as conn:
        result = await conn.execute(
            complaints.insert().values(body=body).returning(complaints.c.id)
        )
        return {"id": result.scalar_one()}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
