"""The link keys: a key ring in files (never the database), rotated without stopping.

Every link names the id of the key that made it, so a key can be replaced while old links
keep verifying with their own key. The ring is the installation's first key (the
`audit_key_file`, which also verifies links written before key ids existed) and the keys
added by `complaints audit rotate-key`: each one a 0600 file `<key id>.key` in the ring
folder, listed in `ring.json` with the instant it becomes the key for new links.

A rotation takes effect at a future instant (`audit_key_switch_seconds` ahead), so every
process, re-reading the ring at least once a second, switches at the same moment. One switch
period later a sealer marks the old key retired in the ring (`retired-<key id>`): from then
on no process links with it whatever its clock says, so a clock set back, even across a
restart, cannot bring the old key back. Once every process has seen the mark, each store's
sealer records the rotation as an event of the store (`LinkKeys.Rotated`), linked and pinned
like any other: from that position on, a link made with the retired key is flagged by
`verify`, which is what someone holding a stolen old key would have to make. A process never
switches back to an older key.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import event

from shared.kernel import clock
from shared.kernel.aggregate import ClockedAggregate
from shared.platform.audit.chain import KEY_ID_LENGTH
from shared.platform.secrets import PRIVATE_FILE, private_dir

MANIFEST = "ring.json"
RETIRED = "retired-"
#: How often a writer looks for a new key at most (the switch period must exceed it).
RELOAD_SECONDS = 1.0
#: The one stream of each store where its rotations are recorded.
LINK_KEYS_ID = uuid5(NAMESPACE_URL, "complaints:audit:link-keys")


def key_id_of(key: bytes) -> str:
    """A public name for a secret key (16 hex digits of a hash that reveals nothing of it)."""
    return hashlib.sha256(b"complaints link key\x00" + key).hexdigest()[:KEY_ID_LENGTH]


@dataclass(frozen=True)
class RingEntry:
    key_id: str
    active_from: datetime | None  # None: the installation's first key, active since always


@dataclass(frozen=True)
class Rotation:
    key_id: str  # the key that took over
    retired: str  # the key it replaced
    active_from: datetime


class KeyRing:
    """The installation's link keys by id, and the one new links are made with now."""

    def __init__(self, first_key: bytes, directory: Path | None) -> None:
        self.first = RingEntry(key_id_of(first_key), None)
        self.directory = directory
        self._keys = {self.first.key_id: first_key}
        self._entries: list[RingEntry] = [self.first]
        self._retired: set[str] = set()
        self._loaded_at = float("-inf")
        self._stamp: tuple[int, ...] | None = None
        self._floor = 0  # the newest entry this process has linked with: never go back
        self._lock = threading.Lock()

    @classmethod
    def in_memory(cls) -> KeyRing:
        """A ring of one random key, for a store that lives and dies with its process."""
        return cls(os.urandom(32), None)

    @property
    def first_key(self) -> bytes:
        """The installation's first key: links before key ids, checkpoints before Ed25519."""
        return self._keys[self.first.key_id]

    def current(self) -> tuple[str, bytes]:
        """(key id, key) of the key new links are made with at this instant: the newest
        whose instant has come or whose predecessor is retired, and never an older one than
        this process used before."""
        self._reload_if_due()
        now = clock.now()
        entries, chosen = self._entries, self._floor
        for index in range(chosen + 1, len(entries)):
            moment = entries[index].active_from
            if (moment is not None and moment <= now) or entries[index - 1].key_id in self._retired:
                chosen = index
        self._floor = chosen
        return entries[chosen].key_id, self._keys[entries[chosen].key_id]

    def retired(self, key_id: str) -> bool:
        self._reload(force=True)
        return key_id in self._retired

    def retire(self, key_id: str) -> None:
        """Mark a replaced key retired for every process (a file, created once)."""
        if self.directory is None:
            raise RuntimeError("an in-memory key ring cannot retire keys")
        _write_atomically(self.directory / f"{RETIRED}{key_id}", b"")
        self._reload(force=True)

    def key(self, key_id: str | None) -> bytes | None:
        """The key with this id (None: the first key, of links written before key ids)."""
        if key_id is None:
            return self.first_key
        if key_id not in self._keys:
            self._reload(force=True)
        return self._keys.get(key_id)

    def entries(self) -> list[RingEntry]:
        self._reload(force=True)
        return list(self._entries)

    def rotate(self, switch: timedelta) -> RingEntry:
        """Add a new key, the key of new links from `switch` from now on."""
        if self.directory is None:
            raise RuntimeError("an in-memory key ring cannot be rotated")
        private_dir(self.directory)
        key = secrets.token_bytes(32)
        entry = RingEntry(key_id_of(key), clock.now() + switch)
        _write_atomically(self.directory / f"{entry.key_id}.key", key)
        listed = [*self.entries()[1:], entry]
        manifest = [
            {"key_id": e.key_id, "active_from": e.active_from.isoformat()}
            for e in listed
            if e.active_from is not None
        ]
        _write_atomically(self.directory / MANIFEST, json.dumps(manifest, indent=1).encode())
        self._reload(force=True)
        return entry

    def rotations(self) -> list[Rotation]:
        """Each rotation of the ring, oldest first."""
        entries = self.entries()
        return [
            Rotation(new.key_id, old.key_id, new.active_from)
            for old, new in itertools.pairwise(entries)
            if new.active_from is not None
        ]

    def _reload_if_due(self) -> None:
        if time.monotonic() - self._loaded_at >= RELOAD_SECONDS:
            self._reload(force=False)

    def _reload(self, *, force: bool) -> None:
        if self.directory is None:
            return
        with self._lock:
            self._loaded_at = time.monotonic()
            manifest = self.directory / MANIFEST
            try:
                status, folder = manifest.stat(), self.directory.stat()
            except FileNotFoundError:
                return
            stamp = (status.st_mtime_ns, status.st_size, folder.st_mtime_ns)
            if stamp == self._stamp and not force:
                return
            self._retired = {
                path.name.removeprefix(RETIRED) for path in self.directory.glob(f"{RETIRED}*")
            }
            listed = json.loads(manifest.read_bytes())
            entries = [self.first]
            for item in listed:
                key = (self.directory / f"{item['key_id']}.key").read_bytes()
                if key_id_of(key) != item["key_id"]:
                    raise RuntimeError(f"link key file {item['key_id']}.key is not that key")
                self._keys[item["key_id"]] = key
                entries.append(
                    RingEntry(item["key_id"], datetime.fromisoformat(item["active_from"]))
                )
            self._entries, self._stamp = entries, stamp


def _write_atomically(path: Path, content: bytes) -> None:
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(staging, path)


class LinkKeys(ClockedAggregate):
    """The rotations recorded in one store's log (one stream per store)."""

    @staticmethod
    def create_id() -> UUID:
        return LINK_KEYS_ID

    class Started(ClockedAggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        self.recorded: list[str] = []

    class Rotated(ClockedAggregate.Event):
        key_id: str
        retired: str
        active_from: datetime

    @event(Rotated)
    def rotated(self, key_id: str, retired: str, active_from: datetime) -> None:
        self.recorded.append(key_id)


#: The topic of a recorded rotation, as `verify` meets it in the log.
ROTATED_TOPIC = f"{LinkKeys.__module__}:{LinkKeys.Rotated.__qualname__}"


class RotationRecorder:
    """Records in a store each rotation every writer has switched away from by now."""

    def __init__(self, app: Any, ring: KeyRing, switch: timedelta) -> None:
        self.app = app
        self.ring = ring
        self.switch = switch
        #: When this process first saw each old key's retirement mark (monotonic seconds).
        self._marks_seen: dict[str, float] = {}

    def record_due(self) -> int:
        """Retire the keys replaced a switch period ago, and record each retirement once
        every process has had time to see its mark. A concurrent recorder's win shows as a
        conflict, and the next round finds the rotation recorded."""
        rotations = self.ring.rotations()
        if not rotations:
            return 0
        try:
            keys = self.app.repository.get(LINK_KEYS_ID)
        except AggregateNotFoundError:
            keys = None
        now = clock.now()
        due = [
            rotation
            for rotation in rotations
            if rotation.active_from + self.switch <= now
            and (keys is None or rotation.key_id not in keys.recorded)
            and self._marked_long_enough(rotation.retired)
        ]
        if not due:
            return 0
        keys = keys or LinkKeys()
        for rotation in due:
            keys.rotated(rotation.key_id, rotation.retired, rotation.active_from)
        self.app.save(keys)
        return len(due)

    def _marked_long_enough(self, retired: str) -> bool:
        """Whether every process has re-read the ring since `retired` was marked retired
        (marking it now if it is not yet)."""
        if not self.ring.retired(retired):
            self.ring.retire(retired)
        seen = self._marks_seen.setdefault(retired, time.monotonic())
        return time.monotonic() - seen >= 2 * RELOAD_SECONDS
