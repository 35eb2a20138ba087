"""A case exported with its proofs, checked offline with the public checkpoint key alone.

Each service exports, from its own store, the case's events as stored (stream, version,
topic, key id, link and the exact state), and for each event the *steps* of the log chain
from the checkpoint before it to the checkpoint that pins it: every log position between
the two, with its link and content digest. Those two checkpoints are in the file, signed.
An auditor recomputes each event's content digest, finds it at its position among the
steps, and walks the steps from one signed log hash to the next: an event changed in the
file no longer matches its step, and a step changed no longer leads to the signed hash.

What a chain proof cannot show is an event left out. So each service also signs a manifest,
with the same Ed25519 key as its checkpoints: the case's streams and the version each had
reached at the last checkpoint. Every version from 1 to that head must be in the file; a
removed event or a truncated tail is named by stream and version.

Every line is a JSON object in canonical form (sorted keys, no spaces, ASCII), one per
line, so a change to any byte, even one that leaves the JSON meaning the same, is found and
its line named. Events pinned only by checkpoints from before content digests (log format
1) cannot be proven without the link key, and are reported so.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from shared.kernel.errors import Invalid
from shared.platform.audit.chain import GENESIS, unseal
from shared.platform.audit.checkpoints import (
    PAGE,
    Checkpoint,
    PublicKeys,
    content_digest,
    log_step,
    step_of,
)
from shared.platform.audit.offline import LineReport
from shared.platform.audit.signing import ALGORITHM, CheckpointSigner, signature_holds
from shared.platform.audit.store_reads import log_page, positions_of

MANIFEST, CHECKPOINT, EVENT, STEP = "manifest", "checkpoint", "event", "step"
#: The most log steps one service's part of an export may hold (about 170 bytes each).
MAX_STEPS = 200_000
#: Where the log chain starts: before the first checkpoint.
ORIGIN = Checkpoint("", 0, GENESIS.hex(), 0, "", log_format=2)


def canonical(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@dataclass
class CaseProof:
    """One store's part of an export: canonical lines, and the events not yet pinned."""

    lines: list[str]
    unpinned: int


@dataclass(frozen=True)
class Exporter:
    """Who exports: the service and its store, with every service the export gathers
    (each manifest names them all, so a whole service's part left out is seen)."""

    service: str
    services: tuple[str, ...]
    store: str
    signer: CheckpointSigner


def case_proof(
    app: Any, exporter: Exporter, number: str, checkpoints: list[Checkpoint]
) -> CaseProof:
    """The case's events in this store with their proofs, as of the last checkpoint."""
    store = exporter.store
    checkpoints = sorted(checkpoints, key=lambda c: c.position)
    through = checkpoints[-1].position if checkpoints else 0
    events, heads, unpinned = [], {}, 0
    streams = app.case_streams(number)
    positions = positions_of(app.recorder, streams)
    for stream in streams:
        for stored in app.recorder.select_events(stream):
            position = positions[(str(stream), stored.originator_version)]
            if position > through:
                unpinned += 1
                continue
            events.append(_event_line(store, position, stored))
            heads[str(stream)] = stored.originator_version
    segments = {_bracket(checkpoints, e["position"]) for e in events}
    check_bounded(number, segments)
    lines = [_manifest(exporter, number, through, heads)]
    used = sorted({c for pair in segments for c in pair if c.position}, key=lambda c: c.position)
    lines += [canonical({"kind": CHECKPOINT, "store": store, **c.fields()}) for c in used]
    lines += [canonical(e) for e in sorted(events, key=lambda e: e["position"])]
    for before, pinning in sorted(segments, key=lambda pair: pair[1].position):
        lines += [canonical(s) for s in _steps(app.recorder, store, before, pinning)]
    return CaseProof(lines, unpinned)


def check_bounded(
    number: str, segments: set[tuple[Checkpoint, Checkpoint]], limit: int = MAX_STEPS
) -> None:
    """Refuse, before reading them, a proof of more log steps than one answer should hold
    (the signed event counts say how many each segment has)."""
    steps = sum(pinning.events - before.events for before, pinning in segments)
    if steps > limit:
        raise Invalid(
            f"case {number}'s proof would hold {steps:,} log steps, more than {limit:,}: "
            "its events are spread over checkpoint intervals of very busy periods; verify "
            "it against the store with `complaints audit verify` instead",
            field="number",
            rule="proof_within_bounds",
        )


def _event_line(store: str, position: int, stored: Any) -> dict[str, Any]:
    state, key_id, chain_link = unseal(stored.state)
    return {
        "kind": EVENT,
        "store": store,
        "position": position,
        "stream": str(stored.originator_id),
        "version": stored.originator_version,
        "topic": stored.topic,
        "key_id": key_id,
        "link": (chain_link or b"").hex(),
        "state": state.decode(),
    }


def _bracket(checkpoints: list[Checkpoint], position: int) -> tuple[Checkpoint, Checkpoint]:
    """The checkpoint before `position` (or the origin) and the one that pins it."""
    before = ORIGIN
    for checkpoint in checkpoints:
        if checkpoint.position >= position:
            return before, checkpoint
        before = checkpoint
    raise ValueError(f"position {position} is after the last checkpoint")


def _manifest(exporter: Exporter, number: str, through: int, heads: dict[str, int]) -> str:
    unsigned = {
        "kind": MANIFEST,
        "store": exporter.store,
        "service": exporter.service,
        "services": sorted(exporter.services),
        "case_number": number,
        "through": through,
        "streams": heads,
        "algorithm": ALGORITHM,
        "key_id": exporter.signer.key_id,
    }
    signature = exporter.signer.sign(canonical(unsigned).encode())
    return canonical({**unsigned, "signature": signature})


def _steps(
    recorder: Any, store: str, before: Checkpoint, pinning: Checkpoint
) -> Iterable[dict[str, Any]]:
    position = before.position
    while position < pinning.position:
        page = log_page(recorder, position, PAGE, stop=pinning.position)
        if not page:
            break
        for row in page:
            chain_link, digest = step_of(row)
            yield {
                "kind": STEP,
                "store": store,
                "position": row.id,
                "link": (chain_link or b"").hex(),
                "digest": digest.hex(),
            }
        position = page[-1].id


# --- offline verification -------------------------------------------------------------


DIGEST = "^[0-9a-f]{64}$"
LINK = "^([0-9a-f]{64})?$"  # empty: a row with no link
Position = Annotated[int, Field(ge=1, lt=2**63)]


class _Line(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    store: str


class ManifestLine(_Line):
    kind: Literal["manifest"]
    service: str
    services: list[str]
    case_number: str
    through: int
    streams: dict[str, int]
    algorithm: str
    key_id: str
    signature: str

    def genuine(self, public_keys: PublicKeys) -> bool:
        public = public_keys.get(self.key_id)
        unsigned = canonical(self.model_dump(exclude={"signature"}))
        return public is not None and signature_holds(public, unsigned.encode(), self.signature)


class CheckpointLine(_Line):
    kind: Literal["checkpoint"]
    position: int
    log_hash: str
    events: int
    at: str
    signature: str
    algorithm: str
    key_id: str
    log_format: int = 1

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(**self.model_dump(exclude={"kind"}, exclude_unset=True))


class EventLine(_Line):
    kind: Literal["event"]
    position: Position
    stream: UUID
    version: int
    topic: str
    key_id: str | None
    link: Annotated[str, Field(pattern=LINK)]
    state: str

    def digest(self) -> str:
        state = self.state.encode()
        return content_digest(self.stream, self.version, self.topic, self.key_id, state).hex()


class StepLine(_Line):
    kind: Literal["step"]
    position: Position
    link: Annotated[str, Field(pattern=LINK)]
    digest: Annotated[str, Field(pattern=DIGEST)]

    def hashes(self) -> tuple[bytes | None, bytes]:
        return bytes.fromhex(self.link) or None, bytes.fromhex(self.digest)


AnyLine = TypeAdapter(
    Annotated[ManifestLine | CheckpointLine | EventLine | StepLine, Field(discriminator="kind")]
)


@dataclass
class ExportReport(LineReport):
    stores: int = 0
    events: int = 0


class Broken(Exception):
    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


@dataclass
class StorePart:
    """What the file holds for one store, each item with the line it came from."""

    first_line: int
    manifest: tuple[int, ManifestLine] | None = None
    checkpoints: list[tuple[int, Checkpoint]] = field(default_factory=list)
    events: list[tuple[int, EventLine]] = field(default_factory=list)
    steps: dict[int, tuple[int, StepLine]] = field(default_factory=dict)


def verify_export(lines: Iterable[str], public_keys: PublicKeys) -> ExportReport:
    report = ExportReport()
    try:
        parts = _parse(lines)
        for manifest_line, manifest in (p.manifest for p in parts.values() if p.manifest):
            if not manifest.genuine(public_keys):
                raise Broken(manifest_line, "the manifest's signature does not verify")
        for store, part in parts.items():
            if part.manifest is None:
                raise Broken(part.first_line, f"no signed manifest for store {store!r}")
        _check_every_service_present(parts)
        for store, part in parts.items():
            _check_store(store, part, public_keys)
            report.events += len(part.events)
        report.stores = len(parts)
    except Broken as broken:
        report.broken_line, report.problem = broken.line, broken.problem
    return report


def _parse(lines: Iterable[str]) -> dict[str, StorePart]:
    parts: dict[str, StorePart] = {}
    for number, line in enumerate(lines, start=1):
        try:
            item = AnyLine.validate_json(line)
        except ValidationError:
            raise Broken(number, "not a line as exported: the line was altered") from None
        if canonical(item.model_dump(mode="json", exclude_unset=True)) != line:
            raise Broken(number, "not as exported: the line was altered")
        part = parts.setdefault(item.store, StorePart(number))
        if isinstance(item, ManifestLine):
            if part.manifest is not None:
                raise Broken(number, "a second manifest for the same store")
            part.manifest = (number, item)
        elif isinstance(item, CheckpointLine):
            part.checkpoints.append((number, item.checkpoint()))
        elif isinstance(item, EventLine):
            part.events.append((number, item))
        else:
            if item.position in part.steps:
                raise Broken(number, "a second step at the same log position")
            part.steps[item.position] = (number, item)
    return parts


def _check_every_service_present(parts: dict[str, StorePart]) -> None:
    present = {p.manifest[1].service for p in parts.values() if p.manifest}
    for part in parts.values():
        assert part.manifest is not None
        line, manifest = part.manifest
        missing = sorted(set(manifest.services) - present)
        if missing:
            raise Broken(
                line,
                f"the export was made of {', '.join(manifest.services)}; the part of "
                f"{', '.join(missing)} is missing",
            )


def _check_store(store: str, part: StorePart, public_keys: PublicKeys) -> None:
    """One store's part, its manifest already found genuine."""
    assert part.manifest is not None
    manifest_line, manifest = part.manifest
    for number, checkpoint in part.checkpoints:
        if checkpoint.store != store or not checkpoint.genuine(b"", public_keys):
            raise Broken(number, "the checkpoint's signature does not verify")
    _check_steps(part)
    for number, event in part.events:
        _check_event(number, event, part.steps, manifest.through)
    _check_complete(manifest_line, manifest, part.events)


def _check_steps(part: StorePart) -> None:
    """Walk every segment of steps from one signed log hash to the next."""
    positions = sorted(part.steps)
    before = ORIGIN
    for number, pinning in sorted(part.checkpoints, key=lambda c: c[1].position):
        segment = [part.steps[p] for p in positions if before.position < p <= pinning.position]
        if segment:
            _walk(segment, before, number, pinning)
        before = pinning
    beyond = [p for p in positions if p > before.position]
    if beyond:
        raise Broken(part.steps[beyond[0]][0], "a step no checkpoint pins")


def _walk(
    segment: list[tuple[int, StepLine]], before: Checkpoint, number: int, pinning: Checkpoint
) -> None:
    if pinning.log_format < 2:
        raise Broken(
            number,
            "pinned by a checkpoint from before content digests: verify these events "
            "against the store (`complaints audit verify`)",
        )
    first, last = segment[0][0], segment[-1][0]
    log_hash = bytes.fromhex(before.log_hash)
    for _, step in segment:
        log_hash = log_step(log_hash, step.position, *step.hashes())
    if log_hash.hex() != pinning.log_hash or len(segment) != pinning.events - before.events:
        raise Broken(
            number,
            f"the steps on lines {first}-{last} do not lead to this checkpoint's signed log "
            "hash: a step was altered, removed or added",
        )


def _check_event(
    number: int, event: EventLine, steps: dict[int, tuple[int, StepLine]], through: int
) -> None:
    step = steps.get(event.position)
    if step is None or event.position > through:
        raise Broken(number, "no proof step at this event's position")
    if event.digest() != step[1].digest or event.link != step[1].link:
        raise Broken(number, "the event differs from what the log pinned: it was altered")


def _check_complete(
    manifest_line: int, manifest: ManifestLine, events: list[tuple[int, EventLine]]
) -> None:
    versions: dict[str, list[int]] = defaultdict(list)
    for number, event in events:
        if str(event.stream) not in manifest.streams:
            raise Broken(number, "an event of a stream the manifest does not list")
        versions[str(event.stream)].append(event.version)
    for stream, head in manifest.streams.items():
        have = sorted(versions.get(stream, []))
        for version in range(1, head + 1):
            if version not in have:
                what = "the tail was truncated" if version > max(have, default=0) else "removed"
                raise Broken(
                    manifest_line,
                    f"stream {stream} version {version} is missing ({what}); the signed "
                    f"manifest pins {head} versions",
                )
        if len(have) != head:
            raise Broken(manifest_line, f"stream {stream} has events the manifest does not pin")
