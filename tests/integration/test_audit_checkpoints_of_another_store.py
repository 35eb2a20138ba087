"""Checkpoints that do not match the store stop the sealer loudly, never quietly.

Found black-box: `make up` (PostgreSQL) and then `make run` (SQLite) in one checkout wrote
their checkpoints to the same `<data dir>/audit-checkpoints/intake.jsonl`. The embedded
intake, with a handful of events, found a last checkpoint pinning position 401 of the other
store: its sealer pinned nothing more, `/metrics` said nothing was unpinned, and `complaints
audit verify` reported the pinned events gone. Once its log passed position 401, the sealer
would have extended the other store's hash over its own rows: a checkpoint that never
verifies, written as if all were well.

Now each kind of store has its own default folder, and a sealer re-derives the last
checkpoint from the store before it extends it (unless it wrote it itself): a store that
does not hold what the checkpoint pinned stops the sealer, `/ready` says `degraded` and why,
and nothing is appended. A restarted sealer over its own store carries on.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.intake.application import IntakeApplication
from services.intake.main import create_app
from shared.platform.audit.checkpoints import Checkpoint, CheckpointFile, StoreDiffers
from shared.platform.audit.signing import published_keys
from shared.platform.audit.verify import verify
from shared.platform.eventstore import persistence_env
from shared.platform.runtime import sealer_for
from shared.platform.settings import Settings
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.builders import clerk_meta, registration
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def register(app: IntakeApplication, count: int) -> None:
    for i in range(count):
        app.register(registration(description=f"case {i}"), clerk_meta())


def test_the_two_deployments_of_one_folder_keep_their_checkpoints_apart(tmp_path):
    data = tmp_path / "data"
    embedded = Settings(service="intake", data_dir=data)
    on_postgres = Settings(service="intake", data_dir=data, store="postgres")
    assert embedded.audit.checkpoint_dir == data / "audit-checkpoints"
    assert on_postgres.audit.checkpoint_dir == data / "audit-checkpoints-postgres"
    chosen = Settings(service="intake", data_dir=data, audit_checkpoint_dir=tmp_path / "worm")
    assert chosen.audit.checkpoint_dir == tmp_path / "worm"


@pytest.fixture(params=["sqlite", "postgres"])
def two_stores(request, tmp_path):
    """Intake's store sealed, and another intake store whose checkpoints go to the same
    folder (named alike: another deployment, a restored backup)."""
    shared_folder = tmp_path / "checkpoints"
    if request.param == "sqlite":
        first = Settings(service="intake", data_dir=tmp_path / "a")
    else:
        env = request.getfixturevalue("production_env")
        first = settings_from(env, "intake", data_dir=str(tmp_path / "a"))
    first = first.model_copy(update={"audit_checkpoint_dir": shared_folder})
    second = Settings(
        service="intake",
        data_dir=tmp_path / "b",
        database_prefix=first.database_prefix,  # the same store name: the same file
        audit_checkpoint_dir=shared_folder,
    )
    sealed = IntakeApplication(persistence_env(first), "Asia/Shanghai")
    other = IntakeApplication(persistence_env(second), "Asia/Shanghai")
    register(sealed, 4)
    assert sealer_for(first.audit, sealed).seal() is not None
    yield first, sealed, second, other
    sealed.close()
    other.close()


def test_a_store_that_does_not_hold_the_pinned_events_stops_the_sealer(two_stores):
    first, sealed, second, other = two_stores
    file = CheckpointFile(second.audit.checkpoint_dir, second.storage.database_name())
    pinned = file.all()
    register(other, 1)  # a shorter log than the one pinned

    with pytest.raises(StoreDiffers, match="events it pinned are gone or changed"):
        sealer_for(second.audit, other).seal()
    register(other, 5)  # now longer: the checkpoint's position exists, its hash does not
    with pytest.raises(StoreDiffers, match="another log hash"):
        sealer_for(second.audit, other).seal()
    assert file.all() == pinned, "nothing appended over the other store's chain"

    register(sealed, 1)  # the store the checkpoints belong to, sealed by a fresh sealer
    assert sealer_for(first.audit, sealed).seal() is not None
    keys = published_keys(first.audit.checkpoint_dir)
    report = verify(
        first.storage.database_name(), sealed.recorder, sealed.mapper.ring, file.all(), keys
    )
    assert report.ok, report
    assert report.checkpoints == 2


def test_the_service_says_why_it_cannot_pin_its_log(tmp_path):
    """The embedded intake started beside another store's checkpoints: it serves, `/ready`
    says `degraded` with the sealer's reason, and the checkpoint file is left as it was."""
    folder = tmp_path / "checkpoints"
    other = Settings(service="intake", data_dir=tmp_path / "other", audit_checkpoint_dir=folder)
    elsewhere = IntakeApplication(persistence_env(other), "Asia/Shanghai")
    register(elsewhere, 3)
    sealer_for(other.audit, elsewhere).seal()
    elsewhere.close()
    pinned = CheckpointFile(folder, "intake").all()

    settings = Settings(
        service="intake",
        data_dir=tmp_path / "data",
        audit_checkpoint_dir=folder,
        audit_checkpoint_interval_seconds=0.05,
        consumers_enabled=False,
    )
    with TestClient(create_app(settings), headers=bearer("clerk")) as desk:
        ready = wait_until(
            lambda: (r := desk.get("/ready").json())["status"] == "degraded" and r,
            timeout=10,
            what="degraded",
        )
        assert "does not hold what the last checkpoint" in ready["audit_sealing"]
        assert ready["checks"] == {"store": True, "bus": True}
        assert "complaints_audit_sealing_failing 1.0" in desk.get("/metrics").text
    assert CheckpointFile(folder, "intake").all() == pinned


def test_the_last_checkpoints_are_read_from_the_end_of_a_long_file(tmp_path):
    """A year of checkpoints every ten seconds is millions of lines: the sealer reads the
    last two from the file's end, whatever their length."""
    file = CheckpointFile(tmp_path, "intake")
    assert file.recent(2) == []
    lines = [
        Checkpoint("intake", p, "ab" * 32, p, f"2026-12-06T00:00:{p % 60:02d}Z", "s" * (p % 300))
        for p in range(1, 400)
    ]
    for checkpoint in lines:
        file.append(checkpoint)
    assert file.recent(2) == lines[-2:]
    assert file.recent(50) == lines[-50:]
    assert file.recent(1000) == lines
    assert file.last() == lines[-1]
