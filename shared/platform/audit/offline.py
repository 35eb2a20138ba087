"""Checkpoint files checked by an auditor with the public key alone: no database, no secret.

Every line of `<database>.jsonl` must be a checkpoint signed by one of the given public keys,
and the log it pins can only grow: positions strictly increasing, event counts never falling.
The first line that fails is named (file and line), whatever was done to it: a byte changed,
a line removed or reordered, a checkpoint forged without the private key. Checkpoints from
before Ed25519 are signed with the link key; they are counted, and checked by `verify`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from shared.platform.audit.checkpoints import LEGACY, Checkpoint, PublicKeys


@dataclass
class LineReport:
    """What an offline check of a file found: nothing, or the first line that fails."""

    broken_line: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}


@dataclass
class FileReport(LineReport):
    file: str = ""
    checkpoints: int = 0
    legacy: int = 0


def check_file(path: Path, public_keys: PublicKeys) -> FileReport:
    report = FileReport(file=str(path))
    last: Checkpoint | None = None
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            problem, checkpoint = _check_line(line, last, public_keys)
            if problem is not None:
                report.broken_line, report.problem = number, problem
                return report
            assert checkpoint is not None
            report.checkpoints += 1
            report.legacy += checkpoint.algorithm == LEGACY
            last = checkpoint
    return report


def _check_line(
    line: str, last: Checkpoint | None, public_keys: PublicKeys
) -> tuple[str | None, Checkpoint | None]:
    try:
        checkpoint = Checkpoint(**json.loads(line))
    except (ValueError, TypeError):
        return "not a checkpoint (the line was altered)", None
    if checkpoint.algorithm != LEGACY:
        if checkpoint.key_id not in public_keys:
            return f"signed by key {checkpoint.key_id!r}, which was not given", None
        if not checkpoint.genuine(b"", public_keys):
            return "the signature does not verify: the checkpoint was altered", None
    if last is not None and checkpoint.position <= last.position:
        return "the position does not follow the previous checkpoint's", None
    if last is not None and checkpoint.events < last.events:
        return "fewer events than the previous checkpoint pinned", None
    return None, checkpoint
