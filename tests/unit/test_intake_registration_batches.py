"""Registrations that queue up while a save is in flight are numbered together.

The desk is busy: a save holds the numbering. Meanwhile ten clerks register complaints, two of
them retry one request with the same Idempotency-Key, and one registration cannot be built
(it names the same earlier case twice). When the numbering frees, everything queued is saved
in one transaction: serials gapless in arrival order, the twin answered with its first's
complaint, the broken one refused alone and taking no serial.
"""

import threading

import pytest

from services.intake.registrar import MAX_BATCH, Registrar
from shared.kernel.errors import Conflict
from shared.platform import idempotency
from shared.platform.idempotency import IdempotentRequest
from tests.support.builders import clerk_meta, intake_app, registration
from tests.support.waiting import wait_until

CLERKS = 10
TWIN = IdempotentRequest("retry-1", "clerk-wang POST /complaints", "same body")
REPEATED_TWICE = [{"number": "2610-0007", "matched_on": ["batch"]}] * 2


def test_what_queued_behind_a_save_is_numbered_in_order_and_saved_at_once(monkeypatch):
    app = intake_app()
    saves = []
    save = app.save
    monkeypatch.setattr(app, "save", lambda *objs: saves.append(objs) or save(*objs))
    outcomes: dict[str, object] = {}

    def clerk(name: str, key: IdempotentRequest | None = None, repeats=()) -> None:
        idempotency.serve(key)
        try:
            registered = app.register(registration(description=name), clerk_meta(), repeats)
            outcomes[name] = (registered.complaint.number, registered.replayed)
        except Conflict as refused:
            outcomes[name] = refused

    clerks = [threading.Thread(target=clerk, args=(f"clerk-{i}",)) for i in range(CLERKS)]
    clerks += [
        threading.Thread(target=clerk, args=("twin-a", TWIN)),
        threading.Thread(target=clerk, args=("broken", None, REPEATED_TWICE)),
        threading.Thread(target=clerk, args=("twin-b", TWIN)),
    ]
    registrar: Registrar = app.registrar
    with registrar._numbering:  # a save in flight
        for thread in clerks:
            thread.start()
        wait_until(lambda: len(registrar._queue) == len(clerks), what="all queued")
    for thread in clerks:
        thread.join(timeout=30)

    numbers = [o[0] for o in outcomes.values() if isinstance(o, tuple)]
    assert len(numbers) == CLERKS + 2  # the twins share one
    assert sorted(set(numbers)) == [f"2611-{serial:04d}" for serial in range(1, CLERKS + 2)]
    assert outcomes["twin-a"] == (outcomes["twin-b"][0], False)  # type: ignore[index]
    assert outcomes["twin-b"][1] is True  # type: ignore[index]
    assert isinstance(outcomes["broken"], Conflict)
    assert len(saves) == 1, "one transaction for everything queued"
    assert sum(type(o).__name__ == "Complaint" for o in saves[0]) == CLERKS + 1


@pytest.mark.parametrize(("queued", "transactions"), [(1, 1), (MAX_BATCH + 10, 2)])
def test_a_batch_never_exceeds_its_bound(monkeypatch, queued, transactions):
    app = intake_app()
    saves = []
    save = app.save
    monkeypatch.setattr(app, "save", lambda *objs: saves.append(objs) or save(*objs))
    registrar: Registrar = app.registrar
    threads = [
        threading.Thread(target=app.register, args=(registration(), clerk_meta()))
        for _ in range(queued)
    ]
    with registrar._numbering:
        for thread in threads:
            thread.start()
        wait_until(lambda: len(registrar._queue) == queued, what="all queued")
    for thread in threads:
        thread.join(timeout=30)
    assert len(saves) == transactions
    last = app.register(registration(), clerk_meta()).complaint.number
    assert last == f"2611-{queued + 1:04d}"
