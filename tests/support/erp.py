"""The example ERP consumer (`examples/erp_consumer.py`) run as finance would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.infra import ROOT


def run_erp_consumer(env: dict[str, str], folder: Path, group: str) -> dict[str, Any]:
    """Read the settlement topic from the start as consumer group `group`; its summary."""
    summary = folder / f"{group}.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "erp_consumer.py"),
            "--kafka",
            env["COMPLAINTS_KAFKA_BOOTSTRAP"],
            "--topic",
            f"{env['COMPLAINTS_KAFKA_TOPIC_PREFIX']}.settlement.v1",
            "--group",
            group,
            "--idle-exit",
            "4",
            "--summary",
            str(summary),
            "--quiet",
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    return json.loads(summary.read_text())
