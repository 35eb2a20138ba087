"""Per-stream links inside each stored event (a MAC under a key kept out of the database).

Link of version v = BLAKE2b-256 keyed with the link key (RFC 7693's MAC mode) over the link
of v-1 and the digest of v, the first version chained to a zero link, where the digest is
the SHA-256 of the event's stream id, version, topic, key id and state: the same digest the
log chain hashes (`checkpoints`), so each event's content is hashed once, and the MAC runs
over 64 bytes in one pass (a quarter of HMAC's cost, on every write and every verify).
Links from before key ids were HMAC-SHA256(key, link of v-1 | stream id | v | topic |
state), and still verify as such.

The link is written into the stored JSON state as a final `"_chain"` member, `"<key
id>:<link>"`, so the row stays valid JSON for anyone querying the database, and the
library's table layout is untouched. The key is not in the database: someone who can write
rows but has no key cannot make a link that verifies. The key id names which key of the ring
(`shared.platform.audit.keys`) made it; links written before key ids carry the link alone and were
made with the installation's first key.

Links are computed by the mapper as events are stored. The predecessor's link is usually
known already, because the aggregate was just loaded (its events decoded by this mapper) or
its previous event is in the same transaction; otherwise it is read by primary key.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

if TYPE_CHECKING:
    from shared.platform.audit.keys import KeyRing

GENESIS = bytes(32)
MARKER = b'"_chain":"'
KEY_ID_LENGTH = 16
#: `"_chain":"` + key id + `:` + 64 hex digits + `"}`
SUFFIX_LENGTH = len(MARKER) + KEY_ID_LENGTH + 1 + 64 + 2
#: `"_chain":"` + 64 hex digits + `"}`, as written before key ids
UNNAMED_SUFFIX_LENGTH = len(MARKER) + 64 + 2
COLON, COMMA = ord(":"), ord(",")
#: Predecessor links remembered per process (about 150 bytes each).
CACHE_SIZE = 100_000


def content_digest(
    stream: UUID | str, version: int, topic: str, key_id: str | None, state: bytes
) -> bytes:
    """All of an event, in the clear: what its link and the log chain hash."""
    fields = (str(stream).encode(), str(version).encode(), topic.encode(), (key_id or "").encode())
    return hashlib.sha256(b"\x00".join((*fields, state))).digest()


def keyed_link(key: bytes, previous: bytes, digest: bytes) -> bytes:
    """The link of an event whose link names its key."""
    return hashlib.blake2b(previous + digest, key=key, digest_size=32).digest()


def link(key: bytes, previous: bytes, stream: UUID | str, version: int, topic: str, state: bytes):
    """The link of an event written before key ids (verified, never written any more)."""
    message = b"\x00".join((str(stream).encode(), str(version).encode(), topic.encode(), state))
    return hmac.digest(key, previous + message, "sha256")


class Unsealed(NamedTuple):
    state: bytes  # as the transcoder wrote it
    key_id: str | None  # None: a link from before key ids (or no link at all)
    link: bytes | None  # None: the row carries no link


def seal(state: bytes, key_id: str, chain_link: bytes) -> bytes:
    """The state with the key id and the link as its last member."""
    body = state[:-1]
    separator = b"" if body == b"{" else b","
    return body + separator + MARKER + f"{key_id}:{chain_link.hex()}".encode() + b'"}'


def unseal(state: bytes) -> Unsealed:
    """The state as it was before sealing, and its key id and link (on every event read, so
    by fixed offsets rather than by parsing)."""
    start = len(state) - SUFFIX_LENGTH
    key_at = start + len(MARKER)
    if start >= 1 and state.startswith(MARKER, start) and state[key_at + KEY_ID_LENGTH] == COLON:
        key_id: str | None = state[key_at : key_at + KEY_ID_LENGTH].decode(errors="replace")
        link_at = key_at + KEY_ID_LENGTH + 1
    else:
        start = len(state) - UNNAMED_SUFFIX_LENGTH
        if start < 1 or not state.startswith(MARKER, start):
            return Unsealed(state, None, None)
        key_id, link_at = None, start + len(MARKER)
    if not state.endswith(b'"}'):
        return Unsealed(state, None, None)
    try:
        chain_link = binascii.unhexlify(state[link_at:-2])
    except (binascii.Error, ValueError):
        return Unsealed(state, None, None)
    body_end = start - 1 if state[start - 1] == COMMA else start
    return Unsealed(state[:body_end] + b"}", key_id, chain_link)


class ChainMapper(Mapper):
    """A mapper that seals each stored event with its stream link and strips it on reading."""

    def __init__(self, transcoder: Transcoder, ring: KeyRing) -> None:
        super().__init__(transcoder)
        self.ring = ring
        self.recorder: Any = None  # set once the application has built its recorder
        self._links: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        stream, version = stored.originator_id, stored.originator_version
        previous = GENESIS if version == 1 else self._link_of(stream, version - 1)
        key_id, key = self.ring.current()
        digest = content_digest(stream, version, stored.topic, key_id, stored.state)
        chain_link = keyed_link(key, previous, digest)
        self._remember(stream, version, chain_link)
        return StoredEvent(
            originator_id=stream,
            originator_version=version,
            topic=stored.topic,
            state=seal(stored.state, key_id, chain_link),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        state, _, chain_link = unseal(stored_event.state)
        if chain_link is not None:
            self._remember(stored_event.originator_id, stored_event.originator_version, chain_link)
        return super().to_domain_event(
            StoredEvent(
                originator_id=stored_event.originator_id,
                originator_version=stored_event.originator_version,
                topic=stored_event.topic,
                state=state,
            )
        )

    def _remember(self, stream: UUID | str, version: int, chain_link: bytes) -> None:
        with self._lock:
            self._links[(str(stream), version)] = chain_link
            self._links.move_to_end((str(stream), version))
            if len(self._links) > CACHE_SIZE:
                self._links.popitem(last=False)

    def _link_of(self, stream: UUID | str, version: int) -> bytes:
        with self._lock:
            known = self._links.get((str(stream), version))
        if known is not None:
            return known
        [row] = self.recorder.select_events(stream, gt=version - 1, lte=version, limit=1)
        chain_link = unseal(row.state).link
        return GENESIS if chain_link is None else chain_link
