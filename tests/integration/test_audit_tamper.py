"""Tampering with stored rows, directly in SQLite and in PostgreSQL, is detected k of k.

Each story stores a few complaints through the application, pins the log with a signed
checkpoint, then changes the database behind the application's back the way an insider
could: edit a row, delete one, delete a stream's last event, swap two rows, insert a row,
move a row to another position, or alter the checkpoint file. `verify` must fail every time
and name where.
"""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
from eventsourcing.persistence import Tracking

from services.intake.application import IntakeApplication
from services.intake.commands import Acknowledge, Judge
from services.intake.contracts import to_integration as intake_contract
from services.routing.application import RoutingApplication
from shared.platform.audit.checkpoints import CheckpointFile
from shared.platform.audit.signing import published_keys
from shared.platform.audit.verify import verify
from shared.platform.eventstore import persistence_env
from shared.platform.outbox import OutboxReader
from shared.platform.runtime import sealer_for
from shared.platform.settings import Settings
from tests.conftest import settings_from
from tests.support.builders import clerk_meta, registration

pytestmark = pytest.mark.integration


class Rows:
    """Direct access to the events table, as someone with database rights has it."""

    def __init__(self, store: str, settings: Settings, postgres=None) -> None:
        self.store = store
        if store == "sqlite":
            self.conn = sqlite3.connect(
                settings.data_dir / f"{settings.storage.database_name()}.sqlite"
            )
            self.table, self.position = "stored_events", "rowid"
            self.mark = "?"
        else:
            self.conn = postgres.connect(settings.storage.database_name())
            self.table, self.position = "intake_events", "notification_id"
            self.mark = "%s"

    def run(self, sql: str, *params):
        sql = sql.format(table=self.table, position=self.position).replace("?", self.mark)
        cursor = self.conn.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        self.conn.commit()
        return rows

    def all(self):
        return self.run(
            "SELECT {position}, originator_id, originator_version, topic, state "
            "FROM {table} ORDER BY {position}"
        )

    def stream_of(self, last: int):
        """Rows (position, version) of a complaint stream with at least `last` versions."""
        streams: dict[str, list] = {}
        for position, stream, v, topic, _ in self.all():
            if topic.endswith("Complaint.Registered") or str(stream) in streams:
                streams.setdefault(str(stream), []).append((position, v))
        for rows in streams.values():
            if len(rows) >= last:
                return rows
        raise AssertionError("no stream long enough")


@pytest.fixture(params=["sqlite", "postgres"])
def sealed(request, tmp_path):
    if request.param == "sqlite":
        settings = Settings(service="intake", data_dir=tmp_path / "data")
        postgres = None
    else:
        postgres = request.getfixturevalue("postgres")
        env = request.getfixturevalue("production_env")
        settings = settings_from(env, "intake", data_dir=str(tmp_path / "data"))
    app = IntakeApplication(persistence_env(settings), "Asia/Shanghai")
    for i in range(4):
        number = app.register(registration(description=f"case {i}"), clerk_meta()).complaint.number
        app.change(Acknowledge(number, reply="Noted, we are on it."), clerk_meta())
        app.change(Judge(number, valid=True, reason="defect confirmed", reply=None), clerk_meta())
    sealer = sealer_for(settings.audit, app)
    assert sealer.seal() is not None
    checkpoints = CheckpointFile(settings.audit.checkpoint_dir, settings.storage.database_name())

    def check():
        keys = published_keys(settings.audit.checkpoint_dir)
        return verify(
            settings.storage.database_name(), app.recorder, app.mapper.ring, checkpoints.all(), keys
        )

    assert check().ok
    yield Rows(request.param, settings, postgres), checkpoints, check
    app.close()


def edit(rows: Rows, _):
    position, _version = rows.stream_of(3)[1]
    [(state,)] = rows.run("SELECT state FROM {table} WHERE {position} = ?", position)
    forged = bytes(state).replace(b"Noted", b"Nuted")
    rows.run("UPDATE {table} SET state = ? WHERE {position} = ?", forged, position)
    return position


def delete(rows: Rows, _):
    stream = rows.stream_of(3)
    rows.run("DELETE FROM {table} WHERE {position} = ?", stream[1][0])
    return stream[2][0]  # the next version no longer follows on


def delete_last_of_a_stream(rows: Rows, _):
    position = rows.stream_of(3)[-1][0]
    rows.run("DELETE FROM {table} WHERE {position} = ?", position)
    return None  # only the log chain can tell; the checkpoint names where


def swap(rows: Rows, _):
    (first, _), (second, _) = rows.stream_of(3)[1:3]
    [(a,)] = rows.run("SELECT state FROM {table} WHERE {position} = ?", first)
    [(b,)] = rows.run("SELECT state FROM {table} WHERE {position} = ?", second)
    rows.run("UPDATE {table} SET state = ? WHERE {position} = ?", b, first)
    rows.run("UPDATE {table} SET state = ? WHERE {position} = ?", a, second)
    return first


def insert(rows: Rows, _):
    *_, topic, state = rows.all()[2]
    forged_stream = uuid.uuid4() if rows.store == "postgres" else str(uuid.uuid4())
    rows.run(
        "INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
        forged_stream,
        topic,
        state,
    )
    return rows.all()[-1][0]


def move(rows: Rows, _):
    position = rows.stream_of(3)[-1][0]
    [(last,)] = rows.run("SELECT MAX({position}) FROM {table}")
    rows.run("UPDATE {table} SET {position} = ? WHERE {position} = ?", last + 1, position)
    return None


def alter_checkpoint(_, checkpoints: CheckpointFile):
    [line] = checkpoints.path.read_text().splitlines()
    pinned = json.loads(line)
    pinned["events"] += 1
    checkpoints.path.write_text(json.dumps(pinned) + "\n")
    return pinned["position"]


TAMPERING = [edit, delete, delete_last_of_a_stream, swap, insert, move, alter_checkpoint]


@pytest.mark.parametrize("tamper", TAMPERING, ids=lambda t: t.__name__)
def test_tampering_with_stored_rows_is_detected_and_located(sealed, tamper):
    rows, checkpoints, check = sealed
    expected = tamper(rows, checkpoints)
    report = check()
    assert not report.ok, f"{tamper.__name__} went unnoticed"
    if expected is not None:
        assert report.first_broken.position == expected, report.first_broken
    print(f"{rows.store} {tamper.__name__}: detected: {report.first_broken.problem}")


def test_the_cli_verifies_a_store_and_names_the_break(tmp_path, monkeypatch, capsys):
    from cli.main import main

    monkeypatch.setenv("COMPLAINTS_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(service="intake", data_dir=tmp_path / "data")
    app = IntakeApplication(persistence_env(settings), "Asia/Shanghai")
    number = app.register(registration(), clerk_meta()).complaint.number
    app.change(Acknowledge(number, reply="Noted."), clerk_meta())
    app.change(Judge(number, valid=True, reason="confirmed", reply=None), clerk_meta())
    sealer_for(settings.audit, app).seal()
    app.close()

    with pytest.raises(SystemExit) as verified:
        main(["audit", "verify", "intake"])
    assert verified.value.code == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True

    edit(Rows("sqlite", settings), None)
    with pytest.raises(SystemExit) as verified:
        main(["audit", "verify", "intake"])
    assert verified.value.code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["first_broken"]["problem"].startswith("link does not verify")


def test_a_removed_tail_another_service_already_consumed_is_reported(tmp_path, monkeypatch, capsys):
    """Dropping a log's last events before the next checkpoint leaves no broken link; but
    routing recorded how far it consumed intake's log, and the CLI holds the two together."""
    from cli.main import main

    monkeypatch.setenv("COMPLAINTS_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(service="intake", data_dir=tmp_path / "data")
    intake = IntakeApplication(persistence_env(settings), "Asia/Shanghai")
    routing = RoutingApplication(
        persistence_env(Settings(service="routing", data_dir=tmp_path / "data"))
    )
    for i in range(3):
        intake.register(registration(description=f"case {i}"), clerk_meta())
    outbox = OutboxReader("intake", intake.recorder, intake.mapper, intake_contract)
    for event in outbox.read(0, 99).events:
        routing.save_tracked(Tracking("intake#feed", event.position), *routing.policy(event))
    intake.close()
    routing.close()

    with pytest.raises(SystemExit) as verified:
        main(["audit", "verify", "intake"])
    assert verified.value.code == 0
    capsys.readouterr()

    rows = Rows("sqlite", settings)
    [(last,)] = rows.run("SELECT MAX({position}) FROM {table}")
    rows.run("DELETE FROM {table} WHERE {position} = ?", last)
    with pytest.raises(SystemExit) as verified:
        main(["audit", "verify", "intake"])

    assert verified.value.code == 1
    problem = json.loads(capsys.readouterr().out)["first_broken"]["problem"]
    assert problem.startswith(f"routing already consumed position {last}"), problem
