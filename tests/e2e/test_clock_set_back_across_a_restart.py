"""A clock set back between two steps of a case: the steps stay in order (ADR 37).

Intake is killed and started again with its clock an hour behind (as after an NTP step or a
restored virtual machine), and the desk acknowledges a complaint registered before. The
acknowledgement is not recorded an hour before the registration: not in intake's answer,
not on its feed, and routing stops its acknowledgement clock on time, no earlier than it
started it — on both deployments, through a restart that reads the case back from the store.
"""

from datetime import datetime, timedelta

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.http_story import call, registered_and_opened
from tests.support.timing import clock_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
when = datetime.fromisoformat  # the answers' instants, "Z" and all


def test_a_step_taken_after_the_clock_went_back_is_not_recorded_before_the_one_it_follows(
    system,
):
    intake, routing = system.url("intake"), system.url("routing")
    registered = registered_and_opened(intake, routing)
    number = registered["number"]

    system.kill("intake")
    an_hour_back = clock_env(-timedelta(hours=1))["COMPLAINTS_CLOCK_SHIFT_SECONDS"]
    system.start("intake", clock_shift_seconds=an_hour_back)
    reply = {"reply": "We are on it."}
    acknowledged = call("POST", f"{intake}/complaints/{number}/acknowledgement", "clerk", reply)
    assert when(acknowledged["acknowledged_at"]) >= when(registered["received_at"])

    page = httpx.get(f"{intake}/events?limit=1000", headers=bearer("auditor"), timeout=5).json()
    steps = [e for e in page["events"] if e["case_number"] == number]
    assert [e["type"] for e in steps][-1] == "intake.ComplaintAcknowledged"
    recorded = [when(e["recorded_at"]) for e in steps]
    assert recorded == sorted(recorded), "a step recorded before the step it follows"

    def stopped():
        case = httpx.get(f"{routing}/cases/{number}", headers=bearer("auditor")).json()
        acknowledge = case["clocks"]["acknowledge"]
        return acknowledge.get("stopped_at") and acknowledge

    acknowledge = wait_until(stopped, what="routing heard of the acknowledgement")
    assert acknowledge["met"] is True
    assert when(acknowledge["stopped_at"]) >= when(acknowledge["started_at"])
