"""An auditor replays a whole case: every service's events, merged, at any past moment.

A complaint is registered, judged, investigated, remedied, approved, settled, confirmed by
the customer and closed, each step by the role that may take it. Between approval and
settlement the test looks at routing and settlement; afterwards the audit API, asked for
that moment, must give back exactly what was seen then. The merged history has every
service's events, effects after their causes, each with its actor; the stores verify, and
so does the case exported with its proofs, with the public checkpoint key alone.
"""

import httpx
import pytest

from shared.kernel import clock
from shared.platform.audit.export import verify_export
from shared.platform.audit.report import fetch_case, fetch_proofs, timeline_html
from shared.platform.audit.signing import published_keys
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.http_story import (
    call,
    investigated_and_proposed,
    seen,
    settled_and_ready_to_close,
)

pytestmark = pytest.mark.e2e


def test_a_closed_case_replays_step_by_step_across_all_four_services(system, tmp_path):
    urls = {s: system.url(s) for s in ("intake", "routing", "settlement", "analytics")}
    intake, routing, settlement = urls["intake"], urls["routing"], urls["settlement"]

    number = call(
        "POST",
        f"{intake}/complaints",
        "clerk",
        {
            "channel": "phone",
            "nature": "quality",
            "complainant": {"name": "Zhang San", "type": "key_account", "customer_id": "C-1001"},
            "subject": {"part_no": "PCB-7731", "batch": "2645", "quantity_defective": 12},
            "problem": {"what": "solder bridges on J3", "where": "SMT line 2"},
            "description": "12 boards short",
            "demands": {"remedy": "return", "amount": "2400.00", "currency": "CNY"},
        },
    )["number"]
    case = f"{routing}/cases/{number}"
    seen(case, lambda c: c["status"] == "assigned")
    call(
        "POST", f"{intake}/complaints/{number}/judgement", "clerk", {"valid": True, "reason": "ok"}
    )
    investigated_and_proposed(case, "2400.00", 12)
    call("POST", f"{case}/approval", "manager")

    observed_case = seen(case, lambda c: c["status"] == "approved")
    observed_settlement = seen(f"{settlement}/settlements/{number}", lambda s: True)
    moment = clock.now()

    settled_and_ready_to_close(urls, number, 12)
    call("POST", f"{case}/closure", "manager", {"reason": "all four conditions met"})

    history = fetch_case(urls, number, bearer("auditor"), as_of=moment)
    events = history["events"]
    kinds = [(e["service"], e["type"]) for e in events]
    assert kinds[0] == ("intake", "Complaint.Registered")
    assert ("routing", "Case.RemedyApproved") in kinds
    assert ("settlement", "Settlement.CreditNoteIssued") in kinds
    assert kinds[-1] == ("routing", "Case.Closed")
    position = {e["event_id"]: i for i, e in enumerate(events)}
    for i, event in enumerate(events):
        if event["causation_id"] in position:
            assert position[event["causation_id"]] < i, "an effect came before its cause"
    approval = next(e for e in events if e["type"] == "Case.RemedyApproved")
    assert approval["actor"] == {"id": "mgr-li", "role": "manager"}
    assert approval["data"]["authority_verified"] is True
    assert all(len(e["link"]) == 64 for e in events)

    [routing_then] = history["state"]["routing"].values()
    assert routing_then["state"]["status"] == observed_case["status"] == "approved"
    assert routing_then["state"]["approval"] == observed_case["approval"]
    settlement_then = next(
        s["state"] for s in history["state"]["settlement"].values() if s["type"] == "Settlement"
    )
    assert settlement_then["status"] == observed_settlement["status"]
    assert settlement_then["received"] == observed_settlement["received"] == {}
    assert settlement_then["credit_note"] is observed_settlement["credit_note"] is None

    just_approved = fetch_case(urls, number, bearer("auditor"), as_of_event=approval["event_id"])
    [routing_at_approval] = just_approved["state"]["routing"].values()
    assert routing_at_approval["state"]["status"] == "approved"
    assert "Settlement" not in {s["type"] for s in just_approved["state"]["settlement"].values()}

    exported, unpinned = fetch_proofs(urls, number, bearer("auditor"), wait_seconds=15)
    checkpoint_keys = published_keys(settings_from(system.env, "intake").audit.checkpoint_dir)
    offline = verify_export(exported, checkpoint_keys)
    assert (unpinned, offline.ok, offline.events) == (0, True, len(events)), offline
    assert f"Case {number}" in timeline_html(history)
    for service, url in urls.items():
        report = httpx.get(f"{url}/audit/verify", headers=bearer("auditor"), timeout=60).json()
        assert report["ok"], (service, report)


def test_the_cli_says_so_when_no_service_knows_the_case(system, monkeypatch):
    from cli.main import main

    for name, value in system.env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit) as refused:
        main(["audit", "show", "2611-9999"])

    assert refused.value.code == "no case 2611-9999: no service has recorded anything of it"
