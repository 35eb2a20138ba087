"""The log chain over a store's notification log, pinned by signed checkpoints.

log hash at position p = SHA-256(log hash before | p | link of the event at p | digest of
the event at p), where the digest is the SHA-256 of its stream, version, topic, key id and
state. Per-stream links catch what happens inside a stream; the log chain also catches a
whole row moved to another position or the last event of a stream dropped; and, because it
hashes each event's content in the clear, a checkpoint proves an exported event to someone
without the link key (`shared.platform.audit.export`). Checkpoints of log format 1, from before the
digests, hash the links alone and still verify. A sealer, running beside the relay
(one per service), appends a checkpoint (position, log hash, event count, time, Ed25519
signature and the id of the key) to `<checkpoint dir>/<database>.jsonl` whenever new events
were stored: the file is only ever appended to, and belongs on append-only storage (a WORM
mount, an object-lock bucket) where the database's writers cannot reach it. Checkpoints
written before Ed25519 carry an HMAC under the link key (`algorithm` absent) and still
verify with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.kernel import clock
from shared.platform.audit.chain import GENESIS, content_digest, unseal
from shared.platform.audit.signing import (
    ALGORITHM,
    CheckpointSigner,
    published_keys,
    signature_holds,
)
from shared.platform.audit.store_reads import LogRow, log_page
from shared.platform.secrets import private_dir
from shared.platform.threads import run_sync

log = logging.getLogger(__name__)

PAGE = 5_000


#: The log format of new checkpoints: each step hashes the event's content digest too.
LOG_FORMAT = 2


def log_step(
    previous: bytes, position: int, chain_link: bytes | None, digest: bytes | None = None
) -> bytes:
    """One step of the log chain; without `digest`, as in log format 1."""
    step = previous + position.to_bytes(8, "big") + (chain_link or GENESIS) + (digest or b"")
    return hashlib.sha256(step).digest()


def step_of(row: LogRow) -> tuple[bytes | None, bytes]:
    """A stored row's link and content digest, as the log chain steps over it."""
    state, key_id, chain_link = unseal(row.state)
    digest = content_digest(row.originator_id, row.originator_version, row.topic, key_id, state)
    return chain_link, digest


#: How checkpoints were signed before Ed25519: an HMAC under the link key.
LEGACY = "HMAC-SHA256"
PublicKeys = Mapping[str, Ed25519PublicKey]


@dataclass(frozen=True)
class Checkpoint:
    store: str
    position: int
    log_hash: str
    events: int
    at: str
    signature: str = ""
    algorithm: str = LEGACY
    key_id: str = ""
    log_format: int = 1

    def signed_by(self, signer: CheckpointSigner) -> Checkpoint:
        unsigned = replace(
            self, algorithm=ALGORITHM, key_id=signer.key_id, signature="", log_format=LOG_FORMAT
        )
        return replace(unsigned, signature=signer.sign(unsigned.message()))

    def signed(self, key: bytes) -> Checkpoint:
        """Signed as before Ed25519 (kept to read and test checkpoints of that time)."""
        return replace(self, algorithm=LEGACY, key_id="", signature=self._mac(key))

    def genuine(self, key: bytes, public_keys: PublicKeys) -> bool:
        if self.algorithm == ALGORITHM:
            public = public_keys.get(self.key_id)
            return public is not None and signature_holds(public, self.message(), self.signature)
        return self.algorithm == LEGACY and hmac.compare_digest(self.signature, self._mac(key))

    def message(self) -> bytes:
        """What an Ed25519 signature covers: every field but the signature, canonically
        (the log format only from format 2 on, as checkpoints before it were signed)."""
        return _canonical(self.fields(), "signature")

    def fields(self) -> dict[str, Any]:
        """As written in the checkpoint file."""
        fields = asdict(self)
        if self.log_format == 1:
            del fields["log_format"]
        return fields

    def _mac(self, key: bytes) -> str:
        message = _canonical(self.fields(), "signature", "algorithm", "key_id")
        return hmac.new(key, message, hashlib.sha256).hexdigest()


def _canonical(fields: dict[str, Any], *leaving_out: str) -> bytes:
    kept = {k: v for k, v in fields.items() if k not in leaving_out}
    return json.dumps(kept, sort_keys=True, separators=(",", ":")).encode()


class CheckpointFile:
    """`<directory>/<store>.jsonl`: one signed checkpoint per line, appended, fsynced."""

    def __init__(self, directory: Path, store: str) -> None:
        self.path = directory / f"{store}.jsonl"

    def all(self) -> list[Checkpoint]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as lines:
            return [Checkpoint(**json.loads(line)) for line in lines if line.strip()]

    def last(self) -> Checkpoint | None:
        recent = self.recent(1)
        return recent[-1] if recent else None

    def recent(self, count: int) -> list[Checkpoint]:
        """The last `count` checkpoints (fewer if the file holds fewer), oldest first, read
        from the file's end: the file grows by a line every interval for years."""
        if not self.path.exists():
            return []
        size = self.path.stat().st_size
        window = 4096
        with self.path.open("rb") as file:
            while True:
                file.seek(max(0, size - window))
                lines = [line for line in file.read().splitlines() if line.strip()]
                # A line cut by the window's start is not taken, unless the window is the file.
                whole = lines if window >= size else lines[1:]
                if len(whole) >= count or window >= size:
                    return [Checkpoint(**json.loads(line)) for line in whole[-count:]]
                window *= 4

    @staticmethod
    def line(checkpoint: Checkpoint) -> str:
        return json.dumps(checkpoint.fields(), sort_keys=True)

    def append(self, checkpoint: Checkpoint) -> None:
        private_dir(self.path.parent)
        with self.path.open("a", encoding="utf-8") as file:
            file.write(self.line(checkpoint) + "\n")
            file.flush()
            os.fsync(file.fileno())


class CheckpointPublishing(Protocol):
    async def publish(self, store: str, line: bytes) -> None: ...


class RotationRecording(Protocol):
    def record_due(self) -> int: ...


class PublishedMark(Protocol):
    """How far the audit topic has acknowledged this store's checkpoints (a tracking row of
    the store itself, so it moves only forward and is backed up with it)."""

    def position(self) -> int: ...

    def advance(self, position: int) -> None: ...


@dataclass(frozen=True)
class Tail:
    """The events after the last checkpoint: protected by their links only until pinned."""

    positions: int  # log positions stored after the last checkpoint
    age_seconds: float  # how long the oldest of them has been waiting


def unpinned(file: CheckpointFile, recorder: Any, mapper: Any) -> Tail:
    """The store's unpinned tail, read from the checkpoint file and the store: true wherever
    the sealer runs (it may be another process)."""
    last = file.last()
    after = last.position if last else 0
    head = recorder.max_notification_id() or 0
    if head <= after:
        return Tail(0, 0.0)
    [first] = recorder.select_notifications(after, 1, inclusive_of_start=False)
    waited = (clock.now() - mapper.to_domain_event(first).timestamp).total_seconds()
    return Tail(head - after, max(0.0, waited))


class StoreDiffers(RuntimeError):
    """The store does not hold what the last checkpoint pinned: events it pinned are gone
    or were changed, or the checkpoints are another store's (a PostgreSQL deployment's
    beside an embedded one's, a restored backup). Sealing stops; `/ready` says why."""


class Sealer:
    """Pins the store's log: appends a signed checkpoint over the events stored since the
    last one.

    It extends the log hash of the last checkpoint, so it first re-derives that checkpoint
    from the store (from the checkpoint before it, or from the start) unless it wrote it
    itself: extending a hash the store no longer produces would sign a chain that never
    verifies, and would hide the break."""

    def __init__(
        self,
        store: str,
        recorder: Any,
        key: bytes,
        directory: Path,
        interval: float,
        signer: CheckpointSigner,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.key = key
        self.file = CheckpointFile(directory, store)
        self.interval = interval
        self.signer = signer
        #: Where checkpoints are published besides the file (Kafka transport), if anywhere.
        self.publisher: CheckpointPublishing | None = None
        self.published: PublishedMark | None = None
        #: Records the store's due link-key rotations before each seal, if set.
        self.rotations: RotationRecording | None = None
        #: The last checkpoint known to match the store: written or re-derived here.
        self._matched: Checkpoint | None = None
        #: Why the last seal failed, until one succeeds (`/ready` says so).
        self.failure: str | None = None

    def seal(self) -> Checkpoint | None:
        """Extend the log chain from the last checkpoint over the new events, and pin it."""
        recent = self.file.recent(2)
        last = recent[-1] if recent else None
        self.signer.publish(self.file.path.parent)
        if last is not None and not last.genuine(self.key, published_keys(self.file.path.parent)):
            raise RuntimeError(f"the last checkpoint in {self.file.path} is not genuine")
        if last is not None and last != self._matched:
            self._rederive(recent[0] if len(recent) == 2 else None, last)
            self._matched = last
        position = last.position if last else 0
        log_hash = bytes.fromhex(last.log_hash) if last else GENESIS
        events = last.events if last else 0
        while True:
            page = log_page(self.recorder, position, PAGE)
            for row in page:
                log_hash = log_step(log_hash, row.id, *step_of(row))
                position = row.id
                events += 1
            if len(page) < PAGE:
                break
        if position == (last.position if last else 0):
            return None  # nothing new to pin
        checkpoint = Checkpoint(
            self.store, position, log_hash.hex(), events, clock.now().isoformat()
        ).signed_by(self.signer)
        self.file.append(checkpoint)
        self._matched = checkpoint
        return checkpoint

    def _rederive(self, before: Checkpoint | None, last: Checkpoint) -> None:
        """Recompute `last` from `before` (or the start) over the store's rows; raise
        `StoreDiffers` if the store does not give the same position, count and hash."""
        position = before.position if before else 0
        log_hash = bytes.fromhex(before.log_hash) if before else GENESIS
        events = before.events if before else 0
        digests = last.log_format > 1  # format 1 hashed the links alone
        while position < last.position:
            page = log_page(self.recorder, position, PAGE, stop=last.position)
            for row in page:
                chain_link, digest = step_of(row)
                log_hash = log_step(log_hash, row.id, chain_link, digest if digests else None)
                position = row.id
                events += 1
            if len(page) < PAGE:
                break
        same = (position, events) == (last.position, last.events)
        if not same or log_hash.hex() != last.log_hash:
            raise StoreDiffers(
                f"the store does not hold what the last checkpoint in {self.file.path} pinned "
                f"(position {last.position}, {last.events} events; the store gives position "
                f"{position}, {events} events{(same and ', another log hash') or ''}"
                "): events it pinned are gone or changed, or the checkpoints are another "
                "store's (COMPLAINTS_AUDIT_CHECKPOINT_DIR); run `complaints audit verify`"
            )

    async def publish_pending(self) -> None:
        """Publish, in order, every checkpoint the topic has not acknowledged yet.

        The mark moves only after the acknowledgement, so a crash or an outage between the
        two publishes a checkpoint again (auditors deduplicate by store and position), never
        loses one.
        """
        if self.publisher is None or self.published is None:
            return
        done = await run_sync(self.published.position)
        last = await run_sync(self.file.last)
        if last is None or last.position <= done:
            return  # the steady state: nothing new, and the file is not read through
        for checkpoint in await run_sync(self.file.all):
            if checkpoint.position > done:
                await self.publisher.publish(self.store, self.file.line(checkpoint).encode())
                await run_sync(self.published.advance, checkpoint.position)

    async def run(self) -> None:
        while True:
            try:
                if self.rotations is not None:
                    await run_sync(self.rotations.record_due)
                await run_sync(self.seal)
                await self.publish_pending()
                self.failure = None
            except StoreDiffers as error:
                if self.failure != str(error):  # said once, not every interval
                    log.error("audit sealing stopped: %s", error)
                self.failure = str(error)
            except Exception as error:
                log.exception("audit sealer failed; retrying")
                self.failure = f"{type(error).__name__}: {error}"[:500]
            await asyncio.sleep(self.interval)
