"""Recompute every link and the log chain, check every checkpoint, name the first break.

Read in notification order, each event must carry a link; its stream must continue at the
next version; its link must be the HMAC, under the ring key it names, of its predecessor's
link and its own row; it must not name a key whose retirement the log recorded before it;
and at each checkpoint's position the log hash must equal the signed one. Whatever was done to the
rows (edited, deleted, reordered, inserted) breaks one of these, and the report says where:
position, stream, version, and what is wrong.

Events after the last checkpoint are covered by their stream links only; the report counts
them (`unpinned`), and the sealer pins them within one checkpoint interval.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.platform.audit.chain import GENESIS, content_digest, keyed_link, link, unseal
from shared.platform.audit.checkpoints import LOG_FORMAT, PAGE, Checkpoint, PublicKeys, log_step
from shared.platform.audit.keys import ROTATED_TOPIC, KeyRing
from shared.platform.audit.store_reads import LogRow, log_page


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
    keys: dict[str, int] = field(default_factory=dict)  # events linked by each key id
    rotations: int = 0  # link-key rotations recorded in the log
    seconds: float = 0.0
    first_broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken is None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}


@dataclass
class Walk:
    """What verification has seen so far: each stream's head, and the retired keys."""

    ring: KeyRing
    heads: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    retired: dict[str, int] = field(default_factory=dict)  # key id -> position recorded
    keys: dict[str, int] = field(default_factory=dict)  # events per key id


def verify(
    store: str,
    recorder: Any,
    ring: KeyRing,
    checkpoints: list[Checkpoint],
    public_keys: PublicKeys,
) -> Report:
    started = time.perf_counter()
    report = Report(store)
    for checkpoint in checkpoints:
        if not checkpoint.genuine(ring.first_key, public_keys):
            report.first_broken = Break(
                checkpoint.position, None, None, "a checkpoint's signature does not verify"
            )
            return report
    pending = sorted(checkpoints, key=lambda c: c.position)
    walk = Walk(ring)
    log_hash, position = GENESIS, 0
    while report.ok:
        page = log_page(recorder, position, PAGE)
        for row in page:
            if pending and pending[0].position < row.id:
                report.first_broken = Break(
                    pending[0].position, None, None, "the event a checkpoint pinned is gone"
                )
                break
            report.first_broken, chain_link, digest = _check_row(row, walk)
            if not report.ok:
                break
            log_format = pending[0].log_format if pending else LOG_FORMAT
            log_hash = log_step(log_hash, row.id, chain_link, digest if log_format > 1 else None)
            position = row.id
            report.events += 1
            if pending and pending[0].position == row.id:
                checkpoint = pending.pop(0)
                report.checkpoints += 1
                if checkpoint.log_hash != log_hash.hex() or checkpoint.events != report.events:
                    report.first_broken = Break(
                        row.id,
                        row.originator_id,
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
    report.streams = len(walk.heads)
    report.keys, report.rotations = dict(walk.keys), len(walk.retired)
    if report.ok:
        report.unpinned = report.events - max((c.events for c in checkpoints), default=0)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _check_row(row: LogRow, walk: Walk) -> tuple[Break | None, bytes | None, bytes]:
    """The row's problem if it has one, and its link and content digest (computed once)."""
    stream, version = row.originator_id, row.originator_version
    state, key_id, chain_link = unseal(row.state)
    digest = content_digest(stream, version, row.topic, key_id, state)
    return _problem(row, walk, stream, state, key_id, chain_link, digest), chain_link, digest


def _problem(
    row: LogRow,
    walk: Walk,
    stream: str,
    state: bytes,
    key_id: str | None,
    chain_link: bytes | None,
    digest: bytes,
) -> Break | None:
    version = row.originator_version
    if chain_link is None:
        return Break(row.id, stream, version, "no link: a row written past the application")
    last_version, previous = walk.heads.get(stream, (0, GENESIS))
    if version != last_version + 1:
        return Break(
            row.id,
            stream,
            version,
            f"stream jumps from version {last_version} to {version} (events deleted or moved)",
        )
    key = walk.ring.key(key_id)
    if key is None:
        return Break(row.id, stream, version, f"link names key {key_id}, not in the key ring")
    expected = (
        link(key, previous, stream, version, row.topic, state)
        if key_id is None
        else keyed_link(key, previous, digest)
    )
    if expected != chain_link:
        return Break(row.id, stream, version, "link does not verify: the row was altered")
    if key_id in walk.retired:
        return Break(
            row.id,
            stream,
            version,
            f"link made with key {key_id} after its retirement (recorded at position "
            f"{walk.retired[key_id]})",
        )
    walk.heads[stream] = (version, chain_link)
    named = key_id or walk.ring.first.key_id
    walk.keys[named] = walk.keys.get(named, 0) + 1
    if row.topic == ROTATED_TOPIC:
        walk.retired[json.loads(state)["retired"]] = row.id
    return None
