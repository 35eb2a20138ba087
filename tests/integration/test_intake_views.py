"""Intake's complaint index is the same whether its log is projected one event per page or all
at once: a page's registrations go in as one multi-row insert (`read_models.project`), and
batching must not change what one event after another gives.

The story: four complaints. One is acknowledged, judged valid and classified more severe; one
is judged not valid; one is withdrawn; the last is left as registered. Each change lands on a
complaint registered in the same page, so a change written before its registration would be
lost.
"""

from services.intake import read_models
from services.intake.commands import Acknowledge, Classify, Judge, Withdraw
from tests.support.builders import TAXONOMY, clerk_meta, intake_app, registration
from tests.support.views import projected

INDEX = (read_models.complaint_index,)


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


async def test_one_event_per_page_and_all_in_one_page_leave_the_same_index(tmp_path):
    intake, statuses = four_complaints()

    one_by_one = await projected(intake, read_models, INDEX, tmp_path / "one.sqlite", 1)
    at_once = await projected(intake, read_models, INDEX, tmp_path / "all.sqlite", 500)

    assert at_once == one_by_one
    index = {row["number"]: row for row in at_once["complaint_index"]}
    assert {number: row["status"] for number, row in index.items()} == statuses
    handled = next(n for n, s in statuses.items() if s == "in_handling")
    assert index[handled]["severity"] == "level_1"
    assert index[handled]["acknowledged_at"] is not None
