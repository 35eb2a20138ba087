"""What a service keeps on disk is its own: stores, checkpoints, evidence, keys.

Complaints hold personal data (names, contacts, evidence photos); the audit key forges
links. A service process creates its folders 0700 and every file in them 0600, from the
first byte (no window in which another local user could read a fresh secret).
"""

from __future__ import annotations

import stat

import httpx
import pytest

from tests.support.auth import bearer
from tests.support.files import png
from tests.support.processes import ServiceProcesses
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

PNG = png()


def test_stores_checkpoints_evidence_and_keys_are_readable_by_the_service_alone(tmp_path):
    folders = {name: tmp_path / name for name in ("data", "evidence", "keys")}
    processes = ServiceProcesses(
        {
            "COMPLAINTS_STORE": "sqlite",
            "COMPLAINTS_TRANSPORT": "http",
            "COMPLAINTS_CONSUMERS_ENABLED": "false",
            "COMPLAINTS_DATA_DIR": str(folders["data"]),
            "COMPLAINTS_EVIDENCE_DIR": str(folders["evidence"]),
            "COMPLAINTS_AUDIT_KEY_FILE": str(folders["keys"] / "chain.key"),
            "COMPLAINTS_AUDIT_CHECKPOINT_INTERVAL_SECONDS": "0.2",
        },
        tmp_path,
    )
    try:
        processes.start("intake")
        intake = processes.url("intake")
        number = httpx.post(
            f"{intake}/complaints",
            json={
                "channel": "phone",
                "nature": "quality",
                "complainant": {"name": "Zhang San"},
                "problem": {"what": "cracked", "where": "home"},
                "description": "cracked housing",
            },
            headers=bearer("clerk"),
        ).json()["number"]
        uploaded = httpx.post(
            f"{intake}/complaints/{number}/evidence",
            files={"file": ("photo.png", PNG, "image/png")},
            headers=bearer("clerk"),
        )
        assert uploaded.status_code == 201, uploaded.text
        wait_until(
            lambda: list(folders["data"].glob("audit-checkpoints/*.jsonl")),
            what="a checkpoint written",
        )
    finally:
        processes.stop_all()
    paths = [p for folder in folders.values() for p in (folder, *folder.rglob("*"))]
    assert len(paths) > 6
    too_open = {
        str(p): oct(stat.S_IMODE(p.stat().st_mode))
        for p in paths
        if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)
    }
    assert too_open == {}
