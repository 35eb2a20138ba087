"""An auditor takes a case away in one file and checks it with the public key alone.

A complaint is registered and judged valid; routing opens its case and assigns it. An
operator runs `complaints audit export`, which gathers every service's part of the case with
its proofs. On another machine (a fresh process with no database, no secret, no setting)
`complaints audit verify-export` checks the file with the published checkpoint key. Then the
file is tampered with: one byte changed, wherever it is, is found and its line named; an
event taken out is named by stream and version; the newest events cut off are reported as a
truncated tail. On SQLite with HTTP feeds and on PostgreSQL with Kafka.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from shared.platform.audit.export import verify_export
from shared.platform.audit.signing import load_public_key
from tests.conftest import settings_from
from tests.support.auth import bearer
from tests.support.infra import ROOT
from tests.support.processes import CORE, ServiceProcesses, isolated_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

#: One-byte edits tried, spread evenly over the file (each checked in-process).
EDITS = 150


@pytest.fixture(params=["sqlite", "postgres"])
def system(request, tmp_path):
    env = isolated_env(
        request,
        tmp_path,
        audit_checkpoint_interval_seconds="0.5",
        poll_interval_seconds="0.05",
    )
    processes = ServiceProcesses(env, tmp_path)
    processes.env["COMPLAINTS_ANALYTICS_URL"] = processes.url("analytics")
    processes.start_all()
    yield processes
    processes.stop_all()


def complaints(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def a_routed_case(system: ServiceProcesses) -> str:
    intake, routing = system.url("intake"), system.url("routing")
    answer = httpx.post(
        f"{intake}/complaints",
        json={
            "channel": "phone",
            "nature": "quality",
            "complainant": {"name": "Zhang San", "type": "key_account", "customer_id": "C-1001"},
            "problem": {"what": "焊锡桥连 on J3", "where": "SMT line 2"},
            "description": "12 boards short",
        },
        headers=bearer("clerk"),
    )
    number = answer.json()["number"]
    httpx.post(
        f"{intake}/complaints/{number}/judgement",
        json={"valid": True, "reason": "boards returned"},
        headers=bearer("clerk"),
    ).raise_for_status()

    def assigned() -> bool:
        case = httpx.get(f"{routing}/cases/{number}", headers=bearer("auditor"))
        return case.status_code == 200 and case.json()["status"] == "assigned"

    wait_until(assigned, what=f"case {number} assigned")
    return number


def test_an_exported_case_verifies_offline_and_any_tampering_is_named(system, tmp_path):
    number = a_routed_case(system)
    exported = tmp_path / "auditor" / f"{number}.jsonl"
    exported.parent.mkdir()
    operator = {**os.environ, **system.env}
    done = complaints(operator, ROOT, "audit", "export", number, "--out", str(exported))
    assert done.returncode == 0, done.stderr
    [key] = settings_from(system.env, "intake").audit.checkpoint_dir.glob("checkpoint-key-*.pem")

    auditor = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    auditor["PYTHONPATH"] = str(ROOT)
    away = tmp_path / "auditor"
    done = complaints(
        auditor, away, "audit", "verify-export", str(exported), "--public-key", str(key)
    )
    report = json.loads(done.stdout)
    assert done.returncode == 0, report
    assert report["stores"] == len(CORE)
    assert report["events"] >= 4  # registered, judged; opened and assigned
    assert not (away / "var").exists(), "the check created no secret"

    lines = exported.read_text().splitlines()
    keys = dict([load_public_key(key.read_bytes())])
    one_byte_edits_are_found_on_their_line(lines, keys)
    a_removed_event_and_a_truncated_tail_are_named(lines, keys)


def one_byte_edits_are_found_on_their_line(lines: list[str], keys) -> None:
    text = "\n".join(lines) + "\n"
    line_of = [n for n, line in enumerate(lines, start=1) for _ in range(len(line) + 1)]
    for offset in range(0, len(text), max(1, len(text) // EDITS)):
        original = text[offset]
        edited = text[:offset] + ("1" if original != "1" else "2") + text[offset + 1 :]
        report = verify_export(as_read(edited), keys)
        assert not report.ok, f"an edit at byte {offset} went unseen"
        where = line_of[offset]
        lines_named = {report.broken_line}
        if report.problem and "the steps on lines" in report.problem:
            first, last = report.problem.split("the steps on lines ")[1].split(" ")[0].split("-")
            lines_named |= set(range(int(first), int(last) + 1))
        assert where in lines_named or (original == "\n" and where + 1 in lines_named), (
            offset,
            where,
            report,
        )


def as_read(text: str) -> list[str]:
    """The lines as `verify-export` reads them: a last line without newline is kept."""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def a_removed_event_and_a_truncated_tail_are_named(lines: list[str], keys) -> None:
    events = [(n, json.loads(line)) for n, line in enumerate(lines) if '"kind":"event"' in line]
    intake = sorted(
        ((n, e) for n, e in events if e["store"].endswith("intake")), key=lambda x: x[1]["version"]
    )
    assert len(intake) >= 2, "the complaint has a history of at least two events"
    first, last = intake[0], intake[-1]

    removed = verify_export([line for n, line in enumerate(lines) if n != first[0]], keys)
    assert not removed.ok
    assert f"stream {first[1]['stream']} version 1 is missing (removed)" in removed.problem

    cut = verify_export([line for n, line in enumerate(lines) if n != last[0]], keys)
    assert not cut.ok
    assert f"version {last[1]['version']} is missing (the tail was truncated)" in cut.problem

    settlement = [line for line in lines if json.loads(line)["store"].endswith("settlement")]
    without = verify_export([line for line in lines if line not in settlement], keys)
    assert not without.ok
    assert "the part of settlement is missing" in without.problem
