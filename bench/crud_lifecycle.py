"""What a user might build instead of the product, for the same lifecycle: one table, one app.

    COMPLAINTS_BASELINE_DSN=sqlite+aiosqlite:///crud.sqlite uvicorn bench.crud_lifecycle:app

A complaint is a row. Registering numbers it and assigns the unit at once; a proposal stores
the amount; an approval checks the approver's level against the same thresholds as routing
(`services/routing/authority.json`); a payment refuses more than was approved; the report is
a SQL sum. No events, no outbox, no idempotency, no audit, no consumers: the floor of what
the same lifecycle costs through the same web stack and database.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, func, select
from sqlalchemy.ext.asyncio import create_async_engine

from services.routing.authority import shipped_authority

metadata = MetaData()
complaints = Table(
    "lifecycle_complaints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer", String(200), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("proposed", Numeric(14, 2)),
    Column("paid", Numeric(14, 2)),
)
engine = create_async_engine(os.environ["COMPLAINTS_BASELINE_DSN"])


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
            complaints.insert()
            .values(customer=body["complainant"]["name"], unit="SMT", status="assigned")
            .returning(complaints.c.id)
        )
        return {"number": str(result.scalar_one())}


async def _row(number: str) -> Any:
    async with engine.connect() as conn:
        row = (await conn.execute(select(complaints).where(complaints.c.id == int(number)))).first()
    if row is None:
        raise HTTPException(404)
    return row


@app.get("/cases/{number}")
async def case(number: str) -> dict[str, Any]:
    row = await _row(number)
    return {"number": number, "status": row.status, "unit": row.unit}


@app.post("/cases/{number}/remedies")
async def propose(number: str, body: dict[str, Any]) -> dict[str, Any]:
    amount = sum(Decimal(r["amount"]) for r in body["remedies"])
    async with engine.begin() as conn:
        await conn.execute(
            complaints.update()
            .where(complaints.c.id == int(number))
            .values(proposed=amount, status="proposed")
        )
    return {"number": number, "status": "proposed"}


@app.post("/cases/{number}/approval")
async def approve(number: str, body: dict[str, Any]) -> dict[str, Any]:
    row = await _row(number)
    authority = shipped_authority()
    if not authority.covers(body["level"], authority.required_level(Decimal(row.proposed), "CNY")):
        raise HTTPException(403, "beyond the approver's authority")
    async with engine.begin() as conn:
        await conn.execute(
            complaints.update().where(complaints.c.id == int(number)).values(status="approved")
        )
    return {"number": number, "status": "approved"}


@app.get("/settlements/{number}")
async def settlement(number: str) -> dict[str, Any]:
    """The money side of an approved case (the product opens a settlement on approval)."""
    row = await _row(number)
    if row.status not in ("approved", "paid"):
        raise HTTPException(404)
    return {"number": number, "approved": str(row.proposed), "paid": row.paid}


@app.post("/settlements/{number}/compensations")
async def pay(number: str, body: dict[str, Any]) -> dict[str, Any]:
    row = await _row(number)
    if row.status != "approved" or Decimal(body["amount"]) > Decimal(row.proposed):
        raise HTTPException(409, "beyond what was approved")
    async with engine.begin() as conn:
        await conn.execute(
            complaints.update()
            .where(complaints.c.id == int(number))
            .values(paid=Decimal(body["amount"]), status="paid")
        )
    return {"number": number, "paid": body["amount"]}


@app.get("/reports/compensation/{number}")
async def report(number: str) -> dict[str, Any]:
    """The money paid on the case, summed by SQL as a report would."""
    async with engine.connect() as conn:
        total = await conn.scalar(
            select(func.sum(complaints.c.paid)).where(complaints.c.id == int(number))
        )
    return {"number": number, "paid": None if total is None else str(total)}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
