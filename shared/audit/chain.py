"""Per-stream hash links inside each stored event (an HMAC keyed from configuration).

Link of version v = HMAC-SHA256(key, link of v-1 | stream id | v | topic | state), the
first version chained to a zero link. The link is written into the stored JSON state as a
final `"_chain"` member, `"<key id>:<link>"`, so the row stays valid JSON for anyone
querying the database, and the library's table layout is untouched. The key is not in the
database: someone who can write rows but has no key cannot make a link that verifies. The
key id names which key of the ring (`shared.audit.keys`) made it; links written before key
ids carry the link alone and were made with the installation's first key.

Links are computed by the mapper as events are stored. The predecessor's link is usually
known already, because the aggregate was just loaded (its events decoded by this mapper) or
its previous event is in the same transaction; otherwise it is read by primary key.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

if TYPE_CHECKING:
    from shared.audit.keys import KeyRing

GENESIS = bytes(32)
MARKER = b'"_chain":"'
KEY_ID_LENGTH = 16
#: `"_chain":"` + key id + `:` + 64 hex digits + `"}`
SUFFIX_LENGTH = len(MARKER) + KEY_ID_LENGTH + 1 + 64 + 2
#: `"_chain":"` + 64 hex digits + `"}`, as written before key ids
UNNAMED_SUFFIX_LENGTH = len(MARKER) + 64 + 2
#: Predecessor links remembered per process (about 150 bytes each).
CACHE_SIZE = 100_000


def link(key: bytes, previous: bytes, stream: UUID | str, version: int, topic: str, state: bytes):
    message = b"\x00".join((str(stream).encode(), str(version).encode(), topic.encode(), state))
    return hmac.new(key, previous + message, hashlib.sha256).digest()


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
    """The state as it was before sealing, and its key id and link."""
    for length in (SUFFIX_LENGTH, UNNAMED_SUFFIX_LENGTH):
        start = len(state) - length
        if start < 1 or state[start : start + len(MARKER)] != MARKER:
            continue
        if not state.endswith(b'"}'):
            break
        value = state[start + len(MARKER) : -2].decode(errors="replace")
        key_id, _, hex_link = value.rpartition(":")
        try:
            chain_link = bytes.fromhex(hex_link)
        except ValueError:
            break
        body = state[:start]
        if body.endswith(b","):
            body = body[:-1]
        return Unsealed(body + b"}", key_id or None, chain_link)
    return Unsealed(state, None, None)


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
        chain_link = link(key, previous, stream, version, stored.topic, stored.state)
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
