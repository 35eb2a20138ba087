"""From acknowledgement to the customer's last word: the rules of a complaint's life.

Every refused command leaves no event: the complaint's version does not move.
"""

from datetime import timedelta

import pytest

from services.intake.commands import (
    Acknowledge,
    AttachEvidence,
    Classify,
    Confirm,
    Judge,
    LinkRepeat,
    RejectOutcome,
    UnlinkRepeat,
    Withdraw,
)
from services.intake.domain.complaint import MAX_REPEAT_LINKS
from shared.contracts.envelope import IntegrationEvent
from shared.kernel import clock
from shared.kernel.errors import Conflict, Invalid
from tests.support.builders import TAXONOMY, clerk_meta, intake_app, registration


@pytest.fixture
def desk():
    app = intake_app()
    number = app.register(registration(), clerk_meta()).complaint.number
    return app, number


def refused(app, command, error=Conflict):
    version = app.complaint(command.number).version
    with pytest.raises(error) as raised:
        app.change(command, clerk_meta())
    assert app.complaint(command.number).version == version, "a refused command left an event"
    return raised.value


def settle(app, number):
    app.change(Judge(number, valid=True, reason="defect confirmed", reply=None), clerk_meta())
    event = IntegrationEvent(
        event_id="6f1c3c55-8a4e-4f0e-9d6b-2b7f1a3c9e11",
        type="settlement.SettlementCompleted",
        schema_version=1,
        case_number=number,
        occurred_at=clock.now(),
        recorded_at=clock.now(),
        producer="settlement",
        position=9,
        correlation_id="6f1c3c55-8a4e-4f0e-9d6b-2b7f1a3c9e12",
        actor={"id": "fin-zhou", "role": "finance"},
        data={"total_amount": "2400.00", "currency": "CNY", "completed_by": "fin-zhou"},
    )
    app.save(*app.policy(event))


def acknowledged(app, number):
    [event] = [
        e for e in app.events.get(app.complaint(number).id) if type(e).__name__ == "Acknowledged"
    ]
    return event


def test_an_acknowledgement_within_24_hours_is_on_time_and_only_once(time_machine):
    app = intake_app()
    number = app.register(registration(), clerk_meta()).complaint.number
    time_machine.set(app.complaint(number).received_at + timedelta(hours=23))
    app.change(Acknowledge(number, reply="We are on it."), clerk_meta())
    assert acknowledged(app, number).on_time
    refused(app, Acknowledge(number, reply="again"))


def test_a_late_acknowledgement_is_recorded_as_late(time_machine):
    app = intake_app()
    number = app.register(registration(), clerk_meta()).complaint.number
    time_machine.set(app.complaint(number).received_at + timedelta(hours=25))
    app.change(Acknowledge(number, reply="Sorry for the wait."), clerk_meta())
    assert not acknowledged(app, number).on_time


def test_not_valid_needs_the_explained_reply_and_closes_the_complaint(desk):
    app, number = desk
    error = refused(app, Judge(number, valid=False, reason="misuse", reply=" "), Invalid)
    assert error.field == "reply"
    app.change(
        Judge(
            number,
            valid=False,
            reason="misuse",
            reply="The damage comes from storage in a wet place; see the manual, p. 4.",
        ),
        clerk_meta(),
    )
    assert app.complaint(number).status == "not_valid"
    refused(app, Judge(number, valid=True, reason="again", reply=None))
    refused(app, Withdraw(number, reason="too late"))


def test_classification_accepts_only_known_codes_and_records_what_changed(desk):
    app, number = desk
    assert (
        refused(
            app,
            Classify(number, changes={"severity": "level_9"}, reason="x", taxonomy=TAXONOMY),
            Invalid,
        ).field
        == "severity"
    )
    assert (
        refused(
            app, Classify(number, changes={"colour": "red"}, reason="x", taxonomy=TAXONOMY), Invalid
        ).field
        == "colour"
    )
    app.change(
        Classify(
            number,
            changes={"severity": "level_1", "cause": "technical_defect"},
            reason="recall risk",
            taxonomy=TAXONOMY,
        ),
        clerk_meta(),
    )
    assert app.complaint(number).classification["severity"] == "level_1"
    refused(
        app,
        Classify(number, changes={"severity": "level_1"}, reason="same again", taxonomy=TAXONOMY),
    )


def test_a_repeat_link_can_be_made_and_undone():
    app = intake_app()
    earlier = app.register(registration(), clerk_meta()).complaint.number
    later = app.register(registration(), clerk_meta()).complaint.number
    complaint = app.link_repeat(later, earlier, clerk_meta())
    assert complaint.repeat_of == {earlier: ["part_no", "batch"]}
    refused(app, LinkRepeat(later, earlier=earlier, matched_on=[]))
    refused(app, LinkRepeat(later, earlier=later, matched_on=[]), Invalid)
    app.change(UnlinkRepeat(later, earlier=earlier, reason="different defect"), clerk_meta())
    assert app.complaint(later).repeat_of == {}
    refused(app, UnlinkRepeat(later, earlier=earlier, reason="twice"))


def test_a_complaint_keeps_a_bounded_number_of_repeat_links(desk):
    app, number = desk
    for i in range(1, MAX_REPEAT_LINKS + 1):
        app.change(LinkRepeat(number, earlier=f"2601-{i:04d}", matched_on=[]), clerk_meta())
    with pytest.raises(Conflict) as refused_link:
        app.change(LinkRepeat(number, earlier="2601-9999", matched_on=[]), clerk_meta())
    assert refused_link.value.rule == "repeat_links_limit"
    assert len(app.complaint(number).repeat_of) == MAX_REPEAT_LINKS


def test_the_same_evidence_twice_is_attached_once(desk):
    app, number = desk
    for _ in range(2):
        app.change(
            AttachEvidence(
                number, sha256="a" * 64, filename="j3.jpg", content_type="image/jpeg", size=2048
            ),
            clerk_meta(),
        )
    assert list(app.complaint(number).evidence) == ["a" * 64]


def test_only_a_settled_complaint_can_be_confirmed(desk):
    app, number = desk
    refused(app, Confirm(number, satisfaction=5, comment=None))
    settle(app, number)
    assert app.complaint(number).status == "settled"
    assert (
        refused(app, Confirm(number, satisfaction=6, comment=None), Invalid).field == "satisfaction"
    )
    app.change(Confirm(number, satisfaction=4, comment="fair"), clerk_meta())
    assert app.complaint(number).outcome == {"accepted": True, "satisfaction": 4, "comment": "fair"}


def test_a_rejected_outcome_reopens_a_new_handling_cycle(desk):
    app, number = desk
    settle(app, number)
    app.change(RejectOutcome(number, reason="allowance too small"), clerk_meta())
    complaint = app.complaint(number)
    assert (complaint.status, complaint.cycle) == ("in_handling", 2)
    refused(app, RejectOutcome(number, reason="twice"))


def test_a_settlement_completed_twice_marks_the_complaint_once(desk):
    app, number = desk
    settle(app, number)
    version = app.complaint(number).version
    assert (
        app.policy(
            IntegrationEvent.model_validate(
                {
                    "event_id": "6f1c3c55-8a4e-4f0e-9d6b-2b7f1a3c9e13",
                    "type": "settlement.SettlementCompleted",
                    "schema_version": 1,
                    "case_number": number,
                    "occurred_at": clock.now(),
                    "recorded_at": clock.now(),
                    "producer": "settlement",
                    "position": 10,
                    "correlation_id": "6f1c3c55-8a4e-4f0e-9d6b-2b7f1a3c9e14",
                    "actor": {"id": "fin", "role": "finance"},
                    "data": {"total_amount": "0", "currency": "CNY", "completed_by": "fin"},
                }
            )
        )
        == []
    )
    assert app.complaint(number).version == version


def test_the_customer_may_withdraw_an_open_complaint(desk):
    app, number = desk
    app.change(Withdraw(number, reason="solved with the distributor"), clerk_meta())
    assert app.complaint(number).status == "withdrawn"
    refused(app, Acknowledge(number, reply="late"))
