"""An auditor checks the checkpoints with the published public key alone.

Intake stores complaints and its sealer pins them twice; the checkpoints are signed with the
installation's Ed25519 key and its public half is published beside them. An auditor copies
the checkpoint folder and the key to a machine of their own and checks them there, in a
fresh process with no database and no secret. A byte changed anywhere in a checkpoint is
found and named by line; checkpoints from before Ed25519 still verify against the store.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from services.intake.application import IntakeApplication
from services.intake.commands import Acknowledge
from shared.platform.audit.checkpoints import Checkpoint, CheckpointFile
from shared.platform.audit.signing import published_keys
from shared.platform.audit.verify import verify
from shared.platform.eventstore import persistence_env
from shared.platform.runtime import sealer_for
from shared.platform.settings import Settings
from tests.support.builders import clerk_meta, registration
from tests.support.infra import ROOT

pytestmark = pytest.mark.integration


@pytest.fixture
def sealed(tmp_path) -> Settings:
    settings = Settings(
        service="intake",
        data_dir=tmp_path / "data",
        audit_key_file=tmp_path / "keys" / "chain.key",
        audit_signing_key_file=tmp_path / "keys" / "checkpoint-signing.key",
    )
    app = IntakeApplication(persistence_env(settings), "Asia/Shanghai")
    sealer = sealer_for(settings.audit, app)
    for batch in range(2):
        for i in range(3):
            number = app.register(registration(description=f"{batch}.{i}"), clerk_meta())
            app.change(Acknowledge(number.complaint.number, reply="noted"), clerk_meta())
        assert sealer.seal() is not None
    checkpoints = CheckpointFile(
        settings.audit.checkpoint_dir, settings.storage.database_name()
    ).all()
    keys = published_keys(settings.audit.checkpoint_dir)
    assert verify("intake", app.recorder, app.mapper.ring, checkpoints, keys).ok
    app.close()
    return settings


def auditor_copy(settings: Settings, elsewhere: Path) -> tuple[Path, Path]:
    """The checkpoint folder and the published key, as an auditor would take them away."""
    folder = shutil.copytree(settings.audit.checkpoint_dir, elsewhere / "checkpoints")
    [key] = sorted(folder.glob("checkpoint-key-*.pem"))
    return folder, shutil.move(key, elsewhere / key.name)


def audit_offline(folder: Path, key: Path, cwd: Path) -> tuple[int, list[dict]]:
    """`complaints audit verify-checkpoints` in a fresh process with no data and no secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env["PYTHONPATH"] = str(ROOT)
    command = ["audit", "verify-checkpoints", str(folder), "--public-key", str(key)]
    done = subprocess.run(
        [sys.executable, "-m", "cli", *command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def test_the_checkpoints_verify_with_the_public_key_alone(sealed, tmp_path):
    folder, key = auditor_copy(sealed, tmp_path / "auditor")

    code, [report] = audit_offline(folder, key, tmp_path / "auditor")

    assert code == 0, report
    assert (report["ok"], report["checkpoints"], report["legacy"]) == (True, 2, 0)
    assert not (tmp_path / "auditor" / "var").exists(), "the check created no secret"


@pytest.mark.parametrize("field", ["position", "log_hash", "events", "at", "key_id"])
def test_one_byte_changed_in_a_checkpoint_is_found_and_its_line_named(sealed, tmp_path, field):
    folder, key = auditor_copy(sealed, tmp_path / "auditor")
    [file] = folder.glob("*.jsonl")
    lines = file.read_text().splitlines()
    value = str(json.loads(lines[1])[field])
    changed = value[:-1] + ("1" if value[-1] != "1" else "2")
    lines[1] = lines[1].replace(value, changed, 1)
    file.write_text("\n".join(lines) + "\n")

    code, [report] = audit_offline(folder, key, tmp_path / "auditor")

    assert code == 1
    assert report["broken_line"] == 2, report


def test_a_removed_checkpoint_or_a_key_not_given_is_refused(sealed, tmp_path):
    folder, key = auditor_copy(sealed, tmp_path / "auditor")
    [file] = folder.glob("*.jsonl")
    first, second = file.read_text().splitlines()
    file.write_text(f"{second}\n{first}\n")  # reordered: the log cannot shrink
    code, [report] = audit_offline(folder, key, tmp_path / "auditor")
    assert (code, report["broken_line"]) == (1, 2)

    other = tmp_path / "other.pem"
    from shared.platform.audit.signing import CheckpointSigner, public_pem

    other.write_bytes(public_pem(CheckpointSigner(b"o" * 32).public))
    code, [report] = audit_offline(folder, other, tmp_path / "auditor")
    assert (code, report["broken_line"]) == (1, 1)


def test_checkpoints_from_before_public_keys_still_verify_against_the_store(tmp_path):
    settings = Settings(
        service="intake",
        data_dir=tmp_path / "data",
        audit_key_file=tmp_path / "keys" / "chain.key",
        audit_signing_key_file=tmp_path / "keys" / "checkpoint-signing.key",
    )
    app = IntakeApplication(persistence_env(settings), "Asia/Shanghai")
    app.register(registration(), clerk_meta())
    file = CheckpointFile(settings.audit.checkpoint_dir, settings.storage.database_name())
    legacy_head = sealer_for(settings.audit, app).seal()
    assert legacy_head is not None
    file.path.write_text("")  # as if written by the earlier code: HMAC under the link key
    file.append(Checkpoint(**{**legacy_head.__dict__}).signed(app.mapper.ring.first_key))
    app.register(registration(description="after the upgrade"), clerk_meta())
    assert sealer_for(settings.audit, app).seal() is not None

    keys = published_keys(settings.audit.checkpoint_dir)
    report = verify("intake", app.recorder, app.mapper.ring, file.all(), keys)

    assert report.ok, report
    assert [c.algorithm for c in file.all()] == ["HMAC-SHA256", "Ed25519"]
    app.close()
