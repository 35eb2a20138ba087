"""Deadlines that fire: clocks per policy, business days, pauses, extensions, and timers."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.routing.calendar import BusinessCalendar, Duration
from services.routing.commands import Approve, ExtendClock, PauseClock, Rebaseline, ResumeClock
from services.routing.deadlines import DeadlinePolicy, default_policy
from services.routing.domain import Case
from shared.kernel.errors import Conflict, Invalid
from tests.support.routing_story import AUTHORITY, HANDLER, MANAGER, opened, react, upstream
from tests.support.timing import RECEIVED


def test_working_days_skip_weekends_and_holidays_and_keep_the_local_time():
    calendar = BusinessCalendar(holidays=frozenset({date(2026, 11, 10)}))
    friday_4pm = datetime(2026, 11, 6, 8, 0, tzinfo=UTC)  # 16:00 Shanghai
    # Mon 9, (Tue 10 is a holiday), Wed 11, Thu 12 -> due Thursday 16:00 local.
    assert calendar.add(friday_4pm, Duration.parse("3wd")) == datetime(
        2026, 11, 12, 8, 0, tzinfo=UTC
    )
    assert calendar.add(friday_4pm, Duration.parse("3d")) == friday_4pm + timedelta(days=3)
    assert calendar.add(friday_4pm, Duration.parse("24h")) == friday_4pm + timedelta(hours=24)


def test_a_complaint_received_on_a_day_off_starts_counting_the_next_working_morning():
    saturday = datetime(2026, 11, 7, 6, 0, tzinfo=UTC)
    due = BusinessCalendar().add(saturday, Duration.parse("1wd"))
    assert due == datetime(2026, 11, 10, 1, 0, tzinfo=UTC)  # Tuesday 09:00 Shanghai


def test_the_shipped_policy_starts_every_clock_with_its_seed_duration(time_machine):
    routing, number = opened(received_at=RECEIVED)
    clocks = routing.case(number).clocks
    assert clocks["acknowledge"].due == RECEIVED + timedelta(hours=24)
    assert clocks["close"].due == RECEIVED + timedelta(days=13)
    assert clocks["unit_conclusion"].due == RECEIVED + timedelta(days=3)
    assert clocks["investigation_report"].due == RECEIVED + timedelta(days=3)


def test_a_foreign_customer_gets_17_days_to_close(time_machine):
    routing, number = opened(
        received_at=RECEIVED,
        complainant={"name": "ACME GmbH", "type": "key_account", "foreign": True},
    )
    assert routing.case(number).clocks["close"].due == RECEIVED + timedelta(days=17)


def test_per_unit_and_per_severity_limits_override_the_defaults():
    policy = default_policy()
    assert str(policy.duration("unit_conclusion", "level_3", "sales", True)) == "7d"
    assert str(policy.duration("unit_conclusion", "level_3", "sales", False)) == "3d"
    assert str(policy.duration("unit_conclusion", "level_1", "", False)) == "1d"
    assert str(policy.duration("unit_conclusion", "level_3", "coordination_office", False)) == "12h"


def test_a_working_day_policy_counts_over_the_national_holiday():
    data = {
        **_policy_dict(),
        "clocks": {"close": {"starts": "received", "domestic": "5wd", "foreign": "5wd"}},
    }
    policy = DeadlinePolicy.from_dict(data)
    # Tue 29 Sep 2026, 10:00 local. Working days: Wed 30 Sep; 1-7 Oct are the holiday; then
    # Thu 8, Fri 9, Sat 10 (a make-up working day, 调休), Mon 12 -> due Mon 12 Oct, 10:00.
    received = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
    due = policy.due("close", received, "level_3", "", False)
    assert due == datetime(2026, 10, 12, 2, 0, tzinfo=UTC)


def _policy_dict():
    import json

    from services.routing.deadlines import POLICY_FILE

    return json.loads(POLICY_FILE.read_text())


def fired(routing, number):
    return [
        (e.clock, e.timer)
        for e in routing.events.get(routing.case(number).id)
        if isinstance(e, Case.TimerFired)
    ]


def test_warning_reminder_and_escalation_fire_in_turn_and_never_twice(time_machine):
    routing, number = opened(received_at=RECEIVED, complainant={"name": "Wu", "type": "consumer"})
    case = routing.case(number)
    assert case.due_timers(time_machine.now()) == []

    time_machine.set(RECEIVED + timedelta(hours=16, minutes=1))  # 8 h before 24 h
    routing.fire_due_timers([number], time_machine.now())
    assert fired(routing, number) == [("acknowledge", "warning")]

    time_machine.set(RECEIVED + timedelta(hours=24, minutes=1))
    routing.fire_due_timers([number], time_machine.now())
    routing.fire_due_timers([number], time_machine.now())  # a second tick changes nothing
    assert fired(routing, number) == [("acknowledge", "warning"), ("acknowledge", "reminder")]

    time_machine.set(RECEIVED + timedelta(hours=48, minutes=1))
    routing.fire_due_timers([number], time_machine.now())
    assert ("acknowledge", "escalation") in fired(routing, number)
    assert routing.case(number).escalation_level == 1  # one level up: the unit's manager


def test_a_level_1_case_goes_to_senior_management_at_once(time_machine):
    routing, number = opened(received_at=RECEIVED, channel="media")
    assert routing.case(number).escalation_level == 3


def test_acknowledgement_at_intake_stops_the_clock_on_time(time_machine):
    routing, number = opened(received_at=RECEIVED)
    time_machine.set(RECEIVED + timedelta(hours=3))
    react(
        routing,
        upstream(
            number,
            "intake.ComplaintAcknowledged",
            {"reply": "noted", "acknowledged_at": time_machine.now().isoformat(), "on_time": True},
        ),
    )
    state = routing.case(number).clocks["acknowledge"]
    assert (state.state, state.met) == ("stopped", True)


def test_a_pause_while_waiting_for_the_customer_moves_the_deadline_by_its_length(time_machine):
    routing, number = opened(received_at=RECEIVED)
    due = routing.case(number).clocks["close"].due
    time_machine.set(RECEIVED + timedelta(days=1))
    routing.change(PauseClock(number, name="close", reason="waiting for samples"), HANDLER)
    with pytest.raises(Conflict):
        routing.change(PauseClock(number, name="close", reason="twice"), HANDLER)
    time_machine.set(RECEIVED + timedelta(days=3))
    far_future = time_machine.now() + timedelta(days=30)
    assert all(name != "close" for name, _ in routing.case(number).due_timers(far_future))

    routing.change(ResumeClock(number, name="close", reason="samples arrived"), HANDLER)
    assert routing.case(number).clocks["close"].due == due + timedelta(days=2)


def test_an_extension_needs_a_later_date_and_keeps_its_reason(time_machine):
    routing, number = opened(received_at=RECEIVED)
    due = routing.case(number).clocks["unit_conclusion"].due
    with pytest.raises(Invalid):
        routing.change(
            ExtendClock(
                number, name="unit_conclusion", due=due, reason="x", policy=routing.policy_in_force
            ),
            MANAGER,
        )
    routing.change(
        ExtendClock(
            number,
            name="unit_conclusion",
            due=due + timedelta(days=2),
            reason="supplier analysis pending",
            policy=routing.policy_in_force,
        ),
        MANAGER,
    )
    [extension] = routing.case(number).clocks["unit_conclusion"].extensions
    assert extension["reason"] == "supplier analysis pending"


def test_a_changed_policy_reaches_an_open_case_only_by_rebaseline(time_machine):
    routing, number = opened(received_at=RECEIVED)
    stricter = DeadlinePolicy.from_dict(
        {
            **_policy_dict(),
            "version": "2026.12-1",
            "clocks": {
                **_policy_dict()["clocks"],
                "close": {"starts": "received", "domestic": "10d", "foreign": "14d"},
            },
        }
    )
    routing.policy_in_force = stricter
    assert routing.case(number).clocks["close"].due == RECEIVED + timedelta(days=13)
    routing.change(Rebaseline(number, policy=stricter, reason="policy 2026.12"), MANAGER)
    assert routing.case(number).clocks["close"].due == RECEIVED + timedelta(days=10)


@pytest.mark.parametrize(
    ("clock_name", "after"),
    [
        ("acknowledge", timedelta(hours=24)),
        ("unit_conclusion", timedelta(days=3)),
        ("investigation_report", timedelta(days=3)),
        ("close", timedelta(days=13)),
    ],
)
def test_each_clock_reminds_the_unit_exactly_at_its_due_time(time_machine, clock_name, after):
    routing, number = opened(received_at=RECEIVED, complainant={"name": "Wu", "type": "consumer"})
    time_machine.set(RECEIVED + after - timedelta(seconds=1))
    routing.fire_due_timers([number], time_machine.now())
    assert (clock_name, "reminder") not in fired(routing, number)
    time_machine.set(RECEIVED + after)
    routing.fire_due_timers([number], time_machine.now())
    assert (clock_name, "reminder") in fired(routing, number)


def test_the_customer_confirmation_window_runs_from_settlement(time_machine):
    from tests.support.routing_story import investigated, proposed

    routing, number = opened(received_at=RECEIVED)
    investigated(routing, number)
    proposed(routing, number)
    routing.change(
        Approve(number, approver_id="m", approver_level="manager", authority=AUTHORITY), MANAGER
    )
    react(
        routing,
        upstream(
            number,
            "settlement.SettlementCompleted",
            {"total_amount": "2400.00", "currency": "CNY", "completed_by": "f"},
            producer="settlement",
        ),
    )
    window = routing.case(number).clocks["customer_confirmation"]
    assert window.due == time_machine.now() + timedelta(days=7)


def test_a_step_done_on_time_upstream_is_on_time_however_late_routing_hears_of_it(
    time_machine,
):
    routing, number = opened(received_at=RECEIVED)
    acknowledged = upstream(
        number,
        "intake.ComplaintAcknowledged",
        {"reply": "noted", "acknowledged_at": RECEIVED.isoformat(), "on_time": True},
        at=RECEIVED + timedelta(hours=2),
    )
    time_machine.advance(timedelta(days=2))  # routing was down; it catches up now
    react(routing, acknowledged)
    stop = routing.case(number).clocks["acknowledge"]
    assert (stop.stopped_at, stop.met) == (RECEIVED + timedelta(hours=2), True)
    assert routing.case(number).late_steps == []
    assert routing.case(number).due_timers(time_machine.now()) == []


def test_a_clock_stop_names_its_cause_and_old_stops_are_read_by_their_wording():
    upcast = {"clock": "acknowledge", "reason": "not valid"}
    Case.ClockStopped.upcast_v1_v2(upcast)
    assert upcast["cause"] == "not_valid"
    for clock_name, cause in (("close", "completed"), ("acknowledge", "closed")):
        state = {"clock": clock_name, "reason": "closed"}
        Case.ClockStopped.upcast_v1_v2(state)
        assert state["cause"] == cause


def test_working_days_follow_chinas_calendar_across_the_spring_festival_and_its_make_up_day():
    friday = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, before the holiday
    # Saturday the 14th is worked (调休), the 15th to the 23rd are off, then Tue 24, Wed 25.
    official = BusinessCalendar()
    assert official.add(friday, Duration.parse("3wd")) == datetime(2026, 2, 25, 2, 0, tzinfo=UTC)
    weekdays_only = BusinessCalendar(official=False)
    assert weekdays_only.add(friday, Duration.parse("3wd")) == datetime(
        2026, 2, 18, 2, 0, tzinfo=UTC
    )
    # The policy's own days win: a site that works Monday the 23rd, and closes the 24th.
    site = BusinessCalendar(
        working_days=frozenset({date(2026, 2, 23)}), holidays=frozenset({date(2026, 2, 24)})
    )
    assert site.add(friday, Duration.parse("3wd")) == datetime(2026, 2, 25, 2, 0, tzinfo=UTC)
    assert site.is_working_day(date(2026, 2, 23))
    assert not site.is_working_day(date(2026, 2, 24))


def test_the_answer_clock_counts_three_working_days_and_stops_at_the_judgement(time_machine):
    routing, number = opened(received_at=RECEIVED)  # Thursday 5 November
    answer = routing.case(number).clocks["answer"]
    assert answer.due == datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # Tuesday: Thu+Fri,Mon,Tue
    judged = upstream(
        number,
        "intake.ComplaintJudged",
        {"valid": True, "reason": "defect confirmed", "reply": None},
        at=RECEIVED + timedelta(days=1),
    )
    react(routing, judged)
    stopped = routing.case(number).clocks["answer"]
    assert (stopped.state, stopped.met) == ("stopped", True)


def test_clocks_overdue_at_one_moment_escalate_one_level_and_reminders_name_the_level(
    time_machine,
):
    routing, number = opened(received_at=RECEIVED, complainant={"name": "Wu", "type": "consumer"})
    time_machine.set(RECEIVED + timedelta(days=20))  # a clock jump: every clock overdue at once
    routing.fire_due_timers([number], time_machine.now())
    case = routing.case(number)
    assert case.escalation_level == 1  # one overdue period, one level: the unit's manager
    escalations = [e for e in routing.events.get(case.id) if isinstance(e, Case.Escalated)]
    assert len(escalations) == 1
    assert "acknowledge" in escalations[0].reason
    assert "close" in escalations[0].reason
    reminders = [
        e
        for e in routing.events.get(case.id)
        if isinstance(e, Case.TimerFired) and e.timer == "reminder"
    ]
    assert {(e.unit, e.level) for e in reminders} == {("quality_management", "unit_handler")}
    time_machine.advance(timedelta(days=30))
    routing.fire_due_timers([number], time_machine.now())
    assert routing.case(number).escalation_level == 1  # nothing new fell due
