"""Routing's work queues and timer index are the same whether its log is projected one event
per page or all at once: a page's writes are netted in memory before they reach the tables
(`read_models.ViewChanges`), and netting must not change what one event after another gives.

The story: three cases. One is handled to approval while its clocks are paused, resumed,
extended and fire their timers; one is judged not valid, which closes it and stops its
clocks; one is approved, reopened for a second cycle, and reassigned.
"""

from datetime import timedelta

from services.intake.contracts import to_integration as intake_contract
from services.routing import read_models
from services.routing.commands import Approve, ExtendClock, PauseClock, Reassign, ResumeClock
from shared.kernel import clock
from shared.platform.outbox import OutboxReader
from tests.support.builders import clerk_meta, intake_app, registration, routing_app
from tests.support.routing_story import (
    AUTHORITY,
    MANAGER,
    investigated,
    proposed,
    react,
    upstream,
)
from tests.support.views import projected

VIEWS = (read_models.case_index, read_models.timers, read_models.deadlines)


def opened_cases(routing, count: int) -> list[str]:
    intake = intake_app()
    for _ in range(count):
        intake.register(registration(received_at=clock.now()), clerk_meta())
    events = OutboxReader("intake", intake.recorder, intake.mapper, intake_contract).read(0, 99)
    for event in events.events:
        react(routing, event)
    return [event.case_number for event in events.events]


def approve(routing, number: str) -> None:
    routing.change(
        Approve(number, approver_id="mgr-li", approver_level="manager", authority=AUTHORITY),
        MANAGER,
    )


def three_cases(time_machine):
    routing = routing_app()
    handled, not_valid, reopened = opened_cases(routing, 3)

    routing.change(PauseClock(handled, "answer", "waiting for the customer's photos"), MANAGER)
    time_machine.advance(timedelta(hours=30))  # the acknowledgement's timers fall due
    routing.fire_due_timers([handled, not_valid, reopened], clock.now())
    routing.change(ResumeClock(handled, "answer", "photos received"), MANAGER)
    routing.change(
        ExtendClock(
            handled,
            "close",
            clock.now() + timedelta(days=20),
            "supplier's analysis pending",
            routing.policy_in_force,
        ),
        MANAGER,
    )
    investigated(routing, handled)
    proposed(routing, handled)
    approve(routing, handled)

    judged = {"valid": False, "reason": "misuse", "reply": "see the manual"}
    react(routing, upstream(not_valid, "intake.ComplaintJudged", judged))

    proposed(routing, reopened)
    approve(routing, reopened)
    time_machine.advance(timedelta(days=1))
    again = {"cycle": 2, "previous_cycle": 1, "reason": "too little"}
    react(routing, upstream(reopened, "intake.ComplaintReopened", again))
    routing.change(Reassign(reopened, "sales", "the customer's contract is with sales"), MANAGER)
    return routing


async def test_one_event_per_page_and_all_in_one_page_leave_the_same_views(time_machine, tmp_path):
    routing = three_cases(time_machine)
    assert routing.recorder.max_notification_id() > 40  # a log worth netting

    one_by_one = await projected(routing, read_models, VIEWS, tmp_path / "one.sqlite", 1)
    at_once = await projected(routing, read_models, VIEWS, tmp_path / "all.sqlite", 500)

    assert at_once == one_by_one
    statuses = {row["number"]: row["status"] for row in at_once["case_index"]}
    assert sorted(statuses.values()) == ["approved", "assigned", "not_valid"]
    assert at_once["timers"]
    assert at_once["deadlines"]
