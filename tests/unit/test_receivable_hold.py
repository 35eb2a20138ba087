"""Receivables of the complained part numbers are held while the complaint is open."""

from services.settlement.commands import AgreeCompensation, Complete
from services.settlement.domain import ReceivableHold
from tests.support.builders import settlement_app
from tests.support.routing_story import registered_event, upstream
from tests.support.settlement_story import FINANCE, approval


def held_case():
    app = settlement_app()
    event = registered_event()
    app.save(*app.policy(event))
    return app, event.case_number


def test_registration_places_a_hold_on_the_complained_part_number():
    app, number = held_case()
    hold = app.hold(number)
    assert isinstance(hold, ReceivableHold)
    assert not hold.released
    [placed] = [e for e in app.events.get(hold.id) if isinstance(e, ReceivableHold.Placed)]
    assert placed.part_nos == ["PCB-7731"]


def test_a_complaint_found_not_valid_releases_it_for_normal_collection():
    app, number = held_case()
    app.save(
        *app.policy(
            upstream(
                number,
                "intake.ComplaintJudged",
                {"valid": False, "reason": "misuse", "reply": "see manual"},
            )
        )
    )
    released = [
        e for e in app.events.get(app.hold(number).id) if isinstance(e, ReceivableHold.Released)
    ]
    assert released[0].normal_collection is True
    assert app.policy(upstream(number, "intake.ComplaintWithdrawn", {"reason": "x"})) == []


def test_completing_the_settlement_releases_the_hold():
    app, number = held_case()
    app.save(*app.policy(approval(number, remedies=[{"kind": "compensation", "amount": "100.00"}])))
    app.act(AgreeCompensation(number, amount="100.00", kind="compensation", payee="C"), FINANCE)
    app.act(Complete(number, completed_by="fin"), FINANCE)
    assert app.hold(number).released
