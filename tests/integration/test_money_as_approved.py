"""Money only as approved, over HTTP on real stores (SQLite and PostgreSQL).

A manager approves a remedy in routing; finance can then pay, credit and order up to what
the approval covers, and no more. Paying more takes a supplementary proposal approved at the
authority of the cycle's cumulative total. Every document names the approval that covers it.
The cost sheet is signed by four different people, and a customer's own over-receipt ratio
decides what a return refunds.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.routing.main import create_app as routing_service
from services.settlement.main import create_app as settlement_service
from shared.platform.settings import Settings
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.routing_story import registered_event

QUALITY = {"unit": "quality_management"}


class Desks:
    """Routing and settlement as their users reach them, on one kind of store.

    Routing's published events are carried to settlement by `flow()`, as a consumer would.
    """

    def __init__(self, routing: TestClient, settlement: TestClient) -> None:
        self.routing = routing
        self.settlement = settlement
        self.carried = 0

    def open_case(self, **registration: Any) -> str:
        event = registered_event(**registration)
        app = self.routing.app.state.runtime.app
        app.save(*app.policy(event))
        return event.case_number

    def flow(self) -> None:
        outbox = self.routing.app.state.runtime.outbox
        settlement = self.settlement.app.state.runtime.app
        page = outbox.read(self.carried, 1000)
        for event in page.events:
            settlement.save(*settlement.policy(event))
        self.carried = page.next_after

    def propose(self, number: str, *remedies: dict[str, Any], status: int = 200) -> Any:
        body = {"currency": "CNY", "remedies": list(remedies)}
        answer = self.routing.post(
            f"/cases/{number}/remedies", json=body, headers=bearer("handler", **QUALITY)
        )
        assert answer.status_code == status, answer.text
        return answer

    def approve(self, number: str, authority: str = "manager", status: int = 200) -> Any:
        answer = self.routing.post(
            f"/cases/{number}/approval",
            headers=bearer("manager", f"approver-{authority}", authority=authority),
        )
        assert answer.status_code == status, answer.text
        self.flow()
        return answer

    def finance(self, number: str, action: str, body: dict[str, Any] | None = None, **who: Any):
        role = who.pop("role", "finance")
        return self.settlement.post(
            f"/settlements/{number}/{action}", json=body, headers=bearer(role, **who)
        )


@pytest.fixture(params=["sqlite", "postgres"])
def desks(request, tmp_path):
    def settings(service: str) -> Settings:
        quiet = {"consumers_enabled": False, "relay_enabled": False}
        if request.param == "sqlite":
            return Settings(service=service, data_dir=tmp_path / "data", **quiet)
        env = request.getfixturevalue("production_env")
        return settings_from(env, service, data_dir=str(tmp_path / "data"), **quiet)

    with (
        TestClient(routing_service(settings("routing"))) as routing,
        TestClient(settlement_service(settings("settlement"))) as settlement,
    ):
        yield Desks(routing, settlement)


def refusal(answer) -> dict[str, Any]:
    body = answer.json()
    return {e["rule"]: e for e in body.get("errors", [])}


def test_compensation_beyond_the_approval_is_refused_until_a_supplement_covers_it(desks):
    number = desks.open_case()
    desks.propose(number, {"kind": "compensation", "amount": "800.00"})
    desks.approve(number)

    beyond = desks.finance(number, "compensations", {"amount": "5000.00", "payee": "C-1001"})
    assert beyond.status_code == 409, beyond.text
    rule = refusal(beyond)["within_approval"]
    assert (rule["approved"], rule["supplement_needed"]) == ("800.00", "4200.00")
    assert "800.00 CNY approved" in beyond.json()["detail"]

    paid = desks.finance(number, "compensations", {"amount": "800.00", "payee": "C-1001"})
    assert paid.status_code == 200, paid.text
    [compensation] = paid.json()["compensations"]
    assert compensation["approval"]["approver_id"] == "approver-manager"
    assert compensation["approval"]["approval_no"] == 1
    one_cent = desks.finance(number, "compensations", {"amount": "0.01", "payee": "C-1001"})
    assert one_cent.status_code == 409

    desks.propose(number, {"kind": "compensation", "amount": "4200.00"})
    desks.approve(number)
    more = desks.finance(number, "compensations", {"amount": "4200.00", "payee": "C-1001"})
    assert more.status_code == 200, more.text
    settlement = more.json()
    assert settlement["customer_total"] == "5000.00"
    assert [a["approval_no"] for a in settlement["approvals"]] == [1, 2]
    assert settlement["compensations"][1]["approval"]["approval_no"] == 2


def test_a_reversed_payment_frees_what_it_took_of_the_approval_and_is_not_counted_paid(desks):
    number = desks.open_case()
    desks.propose(number, {"kind": "compensation", "amount": "800.00"})
    desks.approve(number)
    wrong = desks.finance(number, "compensations", {"amount": "800.00", "payee": "C-1009"})
    [mistake] = wrong.json()["compensations"]

    reversed_ = desks.finance(
        number, "reversals", {"voucher": mistake["voucher"], "reason": "paid to the wrong payee"}
    )
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["customer_total"] == "0.00"
    right = desks.finance(number, "compensations", {"amount": "800.00", "payee": "C-1001"})

    assert right.status_code == 200, right.text
    assert right.json()["customer_total"] == "800.00"
    again = desks.finance(number, "compensations", {"amount": "0.01", "payee": "C-1001"})
    assert again.status_code == 409
    assert refusal(again)["within_approval"]["already_paid"] == "800.00"


def test_a_supplement_needs_the_authority_of_the_cycles_cumulative_total(desks):
    number = desks.open_case()
    desks.propose(number, {"kind": "compensation", "amount": "60000.00"})
    desks.approve(number)
    desks.propose(number, {"kind": "compensation", "amount": "60000.00"})

    refused = desks.approve(number, "manager", status=403)
    assert "120000.00 CNY" in refused.json()["detail"]
    assert "deputy_general_manager" in refused.json()["detail"]
    case = desks.approve(number, "deputy_general_manager").json()
    assert case["approved_total"] == "120000.00"
    assert [a["level"] for a in case["approvals"]] == ["manager", "deputy_general_manager"]

    settlement = desks.settlement.get(f"/settlements/{number}", headers=bearer("finance"))
    assert settlement.json()["approved_total"] == "120000.00"
    paid = desks.finance(number, "compensations", {"amount": "120000.00", "payee": "C-1001"})
    assert paid.status_code == 200, paid.text


def test_a_supplement_adds_money_not_returns_and_a_rejected_one_leaves_the_approval(desks):
    number = desks.open_case()
    desks.propose(number, {"kind": "allowance", "amount": "100.00"})
    desks.approve(number)
    returns = desks.propose(
        number,
        {"kind": "return", "amount": "10.00", "quantity": 1, "unit_price": "10.00", "part_no": "P"},
        status=422,
    )
    assert "supplement_kinds" in refusal(returns)
    desks.propose(number, {"kind": "allowance", "amount": "50.00"})
    rejected = desks.routing.post(
        f"/cases/{number}/rejection",
        json={"reason": "no more"},
        headers=bearer("manager"),
    )
    assert rejected.json()["status"] == "approved"
    assert rejected.json()["approved_total"] == "100.00"


def test_allowances_orders_and_credit_notes_stay_within_what_was_approved(desks):
    number = desks.open_case()
    desks.propose(
        number,
        {
            "kind": "return",
            "amount": "2400.00",
            "quantity": 12,
            "unit_price": "200.00",
            "part_no": "PCB-7731",
        },
        {"kind": "allowance", "amount": "500.00"},
        {"kind": "exchange", "amount": "300.00"},
    )
    desks.approve(number)
    line = {"part_no": "PCB-7731", "quantity": 100, "unit_price": "200.00"}

    allowance = {"mode": "percent", "value": "50", "lines": [line]}
    assert desks.finance(number, "allowances", allowance).status_code == 409
    allowance = {"mode": "percent", "value": "2.5", "lines": [line]}
    assert desks.finance(number, "allowances", allowance).status_code == 200

    order = {"kind": "replacement", "part_no": "PCB-7731", "quantity": 3, "unit_cost": "150.00"}
    refused = desks.finance(number, "orders", order)
    assert refused.status_code == 409
    assert refusal(refused)["within_approval"]["approved"] == "300.00"
    assert desks.finance(number, "orders", {**order, "quantity": 2}).status_code == 200
    rework = {**order, "kind": "rework", "quantity": 1}
    assert desks.finance(number, "orders", rework).status_code == 409  # no repair approved

    other = desks.finance(number, "receipts", {"part_no": "PCB-9999", "quantity": 1})
    assert other.status_code == 422
    desks.finance(number, "receipts", {"part_no": "PCB-7731", "quantity": 12})
    note = desks.finance(number, "credit-note").json()["credit_note"]
    assert note["net"] == "2400.00"
    assert note["approval"]["approver_id"] == "approver-manager"


@pytest.mark.parametrize(
    ("tolerance", "received", "refunded"),
    [
        (None, 105, "21000.00"),  # the company's 5%: 105 of 100 is within
        (None, 106, None),  # beyond the company's 5%: held for a decision
        ("0.10", 110, "22000.00"),  # the customer's own 10%: 110 is within
        ("0.10", 111, None),
        ("0", 101, None),  # a customer who accepts no over-receipt
    ],
)
def test_the_customers_own_tolerance_decides_the_refund_at_its_boundary(
    desks, tolerance, received, refunded
):
    customer = {"name": "Zhang San", "type": "key_account", "customer_id": "C-1001"}
    if tolerance is not None:
        customer["over_receipt_tolerance"] = tolerance
    number = desks.open_case(complainant=customer)
    desks.propose(
        number,
        {"kind": "return", "amount": "20000.00", "quantity": 100, "unit_price": "200.00"}
        | {"part_no": "PCB-7731"},
    )
    desks.approve(number)
    receipt = desks.finance(number, "receipts", {"part_no": "PCB-7731", "quantity": received})
    held = receipt.json()["held"]
    source = "customer" if tolerance is not None else "company_default"
    assert receipt.json()["tolerance"] == {"ratio": tolerance or "0.05", "source": source}
    if refunded is None:
        assert "PCB-7731" in held
        assert desks.finance(number, "credit-note").status_code == 409
        return
    assert not held
    note = desks.finance(number, "credit-note")
    assert note.json()["credit_note"]["net"] == refunded


def test_finance_records_the_customers_tolerance_with_a_reason_and_the_refund_names_it(desks):
    number = desks.open_case()
    desks.propose(
        number,
        {"kind": "return", "amount": "2000.00", "quantity": 10, "unit_price": "200.00"}
        | {"part_no": "P-1"},
    )
    desks.approve(number)
    no_reason = desks.finance(number, "over-receipt-tolerance", {"tolerance": "0.2"})
    assert no_reason.status_code == 422
    changed = desks.finance(
        number, "over-receipt-tolerance", {"tolerance": "0.2", "reason": "contract §7"}
    )
    assert changed.json()["tolerance"] == {"ratio": "0.2", "source": "settlement"}
    desks.finance(number, "receipts", {"part_no": "P-1", "quantity": 12})
    assert desks.finance(number, "credit-note").json()["credit_note"]["net"] == "2400.00"
    events = desks.settlement.app.state.runtime.outbox.read(0, 1000).events
    [refund] = [e for e in events if e.type == "settlement.RefundApproved"]
    assert (refund.data["tolerance"], refund.data["tolerance_source"]) == ("0.2", "settlement")
    late = desks.finance(number, "over-receipt-tolerance", {"tolerance": "0.3", "reason": "x"})
    assert late.status_code == 409


def test_the_cost_sheet_is_signed_by_four_different_people_in_their_own_roles(desks):
    number = desks.open_case()
    desks.propose(number, {"kind": "compensation", "amount": "100.00"})
    desks.approve(number)
    cost = {"item": "travel", "amount": "300.00", "accounting_unit": "qa", "owner": "cqe-ma"}
    assert desks.finance(number, "costs", cost).status_code == 200

    assert desks.finance(number, "cost-sign-offs", {}).json()["sign_offs"] == {
        "finance": "fin-zhou"
    }
    again = desks.finance(number, "cost-sign-offs", {"role": "product_management"})
    assert again.status_code == 403
    assert "sign_off_role" in refusal(again)
    same_person = desks.finance(
        number, "cost-sign-offs", {}, role="manager", subject="fin-zhou", authority="manager"
    )
    assert same_person.status_code == 409
    assert "distinct_signers" in refusal(same_person)
    early = desks.finance(
        number, "apportionment", {"parties": [{"kind": "customer", "name": "C", "ratio": "100"}]}
    )
    assert early.status_code == 409

    for role in ("manager", "quality_engineer", "product_manager"):
        signed = desks.finance(number, "cost-sign-offs", {}, role=role)
        assert signed.status_code == 200, signed.text
    settlement = signed.json()
    assert settlement["costs_confirmed"]
    assert len(set(settlement["sign_offs"].values())) == 4
    parties = {"parties": [{"kind": "carrier", "name": "SF", "ratio": "100"}]}
    assert desks.finance(number, "apportionment", parties).status_code == 200


def test_a_retried_command_gets_its_first_answer_and_another_request_with_the_key_a_409(desks):
    number = desks.open_case()
    desks.propose(number, {"kind": "compensation", "amount": "800.00"})
    desks.approve(number)
    key = {"Idempotency-Key": "pay-once", **bearer("finance")}
    body = {"amount": "300.00", "payee": "C-1001"}
    url = f"/settlements/{number}/compensations"

    first = desks.settlement.post(url, json=body, headers=key)
    desks.finance(number, "compensations", {"amount": "100.00", "payee": "C-1001"})
    again = desks.settlement.post(url, json=body, headers=key)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # the first answer, not today's state
    assert "Idempotent-Replayed" not in first.headers

    other = desks.settlement.post(url, json={**body, "amount": "1.00"}, headers=key)
    assert other.status_code == 409
    assert "same_key_same_request" in refusal(other)

    someone_else = {"Idempotency-Key": "pay-once", **bearer("finance", "fin-qian")}
    theirs = desks.settlement.post(url, json=body, headers=someone_else)
    assert theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs.headers  # keys are the caller's own
    assert len(theirs.json()["compensations"]) == 3

    propose = {"currency": "CNY", "remedies": [{"kind": "compensation", "amount": "9.00"}]}
    handler = {"Idempotency-Key": "sup-1", **bearer("handler", **QUALITY)}
    proposed = desks.routing.post(f"/cases/{number}/remedies", json=propose, headers=handler)
    replayed = desks.routing.post(f"/cases/{number}/remedies", json=propose, headers=handler)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == proposed.json()


def test_the_investigations_split_is_offered_and_finance_changes_it_only_with_a_reason(desks):
    number = desks.open_case()
    handler = bearer("handler", **QUALITY)
    investigation = {
        "problem": {"what": "crushed boxes"},
        "root_cause": "pallets stacked four high",
        "responsible_parties": [
            {"kind": "carrier", "name": "SF Express", "share": "70"},
            {"kind": "internal_unit", "name": "Packing", "share": "30"},
        ],
    }
    moved = desks.routing.post(
        f"/cases/{number}/investigation", json=investigation, headers=handler
    )
    assert moved.json()["unit"] == "logistics"  # a carrier at fault: logistics deals with it
    handler = bearer("handler", unit="logistics")
    desks.routing.post(
        f"/cases/{number}/remedies",
        json={"currency": "CNY", "remedies": [{"kind": "compensation", "amount": "100.00"}]},
        headers=handler,
    )
    desks.approve(number)
    cost = {"item": "travel", "amount": "1000.00", "accounting_unit": "qa", "owner": "cqe-ma"}
    desks.finance(number, "costs", cost)
    for role in ("finance", "manager", "quality_engineer", "product_manager"):
        desks.finance(number, "cost-sign-offs", {}, role=role)

    offered = desks.settlement.get(f"/settlements/{number}", headers=bearer("finance"))
    assert offered.json()["proposed_apportionment"] == [
        {"kind": "carrier", "name": "SF Express", "ratio": "70"},
        {"kind": "internal_unit", "name": "Packing", "ratio": "30"},
    ]
    other = {"parties": [{"kind": "carrier", "name": "SF Express", "ratio": "100"}]}
    unexplained = desks.finance(number, "apportionment", other)
    assert (unexplained.status_code, refusal(unexplained).keys()) == (422, {"reason_for_change"})
    as_proposed = desks.finance(number, "apportionment", {})
    assert as_proposed.status_code == 200, as_proposed.text
    shares = {s["name"]: s["amount"] for s in as_proposed.json()["apportionment"]}
    assert shares == {"SF Express": "700.00", "Packing": "300.00"}
