"""Intake's complaint index is the same whether its log is projected one event per page or all
at once: a page's registrations go in as one multi-row insert (`read_models.project`), and
batching must not change what one event after another gives.

The story: four complaints. One is acknowledged, judged valid and classified more severe; one
is judged not valid; one is withdrawn; the last is left as registered. Each change lands on a
complaint registered in the same page, so a change written before its registration would be
lost.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from services.intake import read_models
from services.intake.commands import Acknowledge, Classify, Judge, Withdraw
from shared.platform.sqlviews import LocalProjector
from tests.support.builders import TAXONOMY, clerk_meta, intake_app, registration


def four_complaints():
    intake = intake_app()
    handled, refused, withdrawn, waiting = (
        intake.register(registration(), clerk_meta()).complaint.number for _ in range(4)
    )
    intake.change(Acknowledge(handled, reply="We are on it."), clerk_meta())
    intake.change(Judge(handled, valid=True, reason="defect confirmed", reply=None), clerk_meta())
    intake.change(Classify(handled, {"severity": "level_1"}, "recall risk", TAXONOMY), clerk_meta())
    intake.change(Judge(refused, valid=False, reason="wear and tear", reply="Sorry."), clerk_meta())
    intake.change(Withdraw(withdrawn, reason="the customer fixed it"), clerk_meta())
    return intake, {
        handled: "in_handling",
        refused: "not_valid",
        withdrawn: "withdrawn",
        waiting: "registered",
    }


async def projected(intake, tmp_path, name: str, page_size: int) -> dict[str, tuple]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / name}")
    await read_models.create_tables(engine)
    projector = LocalProjector(
        intake, engine, read_models.tracking, read_models.project, 0.05, page_size=page_size
    )
    await projector.catch_up()
    async with engine.connect() as conn:
        rows = {
            row.number: tuple(row)
            for row in await conn.execute(select(read_models.complaint_index))
        }
    await engine.dispose()
    return rows


async def test_one_event_per_page_and_all_in_one_page_leave_the_same_index(tmp_path):
    intake, statuses = four_complaints()

    one_by_one = await projected(intake, tmp_path, "one.sqlite", page_size=1)
    at_once = await projected(intake, tmp_path, "all.sqlite", page_size=500)

    assert at_once == one_by_one
    c = read_models.complaint_index.c
    index = {number: dict(zip(c.keys(), row, strict=True)) for number, row in at_once.items()}
    assert {number: row["status"] for number, row in index.items()} == statuses
    handled = next(n for n, s in statuses.items() if s == "in_handling")
    assert index[handled]["severity"] == "level_1"
    assert index[handled]["acknowledged_at"] is not None
