"""Recompute every link and the log chain, check every checkpoint, name the first break.

Read in notification order, each event must carry a link; its stream must continue at the
next version; its link must be the HMAC of its predecessor's link and its own row; and at
each checkpoint's position the log hash must equal the signed one. Whatever was done to the
rows (edited, deleted, reordered, inserted) breaks one of these, and the report says where:
position, stream, version, and what is wrong.

Events after the last checkpoint are covered by their stream links only; the report counts
them (`unpinned`), and the sealer pins them within one checkpoint interval.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from shared.audit.chain import GENESIS, link, unseal
from shared.audit.checkpoints import PAGE, Checkpoint, PublicKeys, log_step


@dataclass
class Break:
    position: int | None
    stream: str | None
    version: int | None
    problem: str


@dataclass
class Report:
    store: str
    events: int = 0
    streams: int = 0
    checkpoints: int = 0
    unpinned: int = 0
    seconds: float = 0.0
    first_broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken is None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}


def verify(
    store: str,
    recorder: Any,
    key: bytes,
    checkpoints: list[Checkpoint],
    public_keys: PublicKeys,
) -> Report:
    started = time.perf_counter()
    report = Report(store)
    for checkpoint in checkpoints:
        if not checkpoint.genuine(key, public_keys):
            report.first_broken = Break(
                checkpoint.position, None, None, "a checkpoint's signature does not verify"
            )
            return report
    pending = sorted(checkpoints, key=lambda c: c.position)
    heads: dict[str, tuple[int, bytes]] = {}
    log_hash, position = GENESIS, 0
    while report.ok:
        page = recorder.select_notifications(position, PAGE, inclusive_of_start=False)
        for row in page:
            if pending and pending[0].position < row.id:
                report.first_broken = Break(
                    pending[0].position, None, None, "the event a checkpoint pinned is gone"
                )
                break
            report.first_broken = _check_row(row, key, heads)
            if not report.ok:
                break
            log_hash = log_step(log_hash, row.id, unseal(row.state)[1])
            position = row.id
            report.events += 1
            if pending and pending[0].position == row.id:
                checkpoint = pending.pop(0)
                report.checkpoints += 1
                if checkpoint.log_hash != log_hash.hex() or checkpoint.events != report.events:
                    report.first_broken = Break(
                        row.id,
                        str(row.originator_id),
                        row.originator_version,
                        "the log up to here differs from its signed checkpoint "
                        "(a row before it was deleted, inserted or moved)",
                    )
                    break
        if len(page) < PAGE:
            break
    if report.ok and pending:
        report.first_broken = Break(
            pending[0].position, None, None, "events pinned by a checkpoint are gone"
        )
    report.streams = len(heads)
    if report.ok:
        report.unpinned = report.events - max((c.events for c in checkpoints), default=0)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _check_row(row: Any, key: bytes, heads: dict[str, tuple[int, bytes]]) -> Break | None:
    stream, version = str(row.originator_id), row.originator_version
    state, chain_link = unseal(row.state)
    if chain_link is None:
        return Break(row.id, stream, version, "no link: a row written past the application")
    last_version, previous = heads.get(stream, (0, GENESIS))
    if version != last_version + 1:
        return Break(
            row.id,
            stream,
            version,
            f"stream jumps from version {last_version} to {version} (events deleted or moved)",
        )
    if link(key, previous, row.originator_id, version, row.topic, state) != chain_link:
        return Break(row.id, stream, version, "link does not verify: the row was altered")
    heads[stream] = (version, chain_link)
    return None
