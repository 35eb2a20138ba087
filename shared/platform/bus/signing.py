"""Kafka messages signed with keys the services share, checked before anything is applied.

A consumer trusts what passes its contract: the case, the amounts, and the position that
moves its tracking. On the HTTP feed the follower's bearer token says who serves the feed;
on Kafka, anyone who may write to a topic could publish a valid-looking approval, or a
far-ahead position that makes the consumer skip what comes after. Broker ACLs are the first
defence; this is the second: with `COMPLAINTS_KAFKA_SIGNING_KEY_FILE` set, the relay adds an
HMAC-SHA256 of each message's bytes (header `signature`), and a consumer dead-letters a
message without a valid one (tracking untouched, as for a message that is no envelope).

The file holds one key a line, each at least 32 characters. The first signs; any verifies:
to rotate, add the new key as the first line everywhere, then remove the old one. The
standard library's `hmac` is the implementation (constant-time comparison included).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: The Kafka header that carries the signature.
HEADER = "signature"
SCHEME = b"hmac-sha256="
#: The shortest key accepted: 256 bits of hex or base64 text is longer.
MIN_KEY_CHARACTERS = 32


@dataclass(frozen=True)
class BusKeys:
    """The shared keys, the signing one first."""

    keys: tuple[bytes, ...]

    @classmethod
    def load(cls, path: Path | None) -> BusKeys | None:
        """The keys in `path` (None when unset: messages are neither signed nor checked)."""
        if path is None:
            return None
        keys = tuple(line.strip().encode() for line in path.read_text().splitlines())
        keys = tuple(key for key in keys if key)
        if not keys or any(len(key) < MIN_KEY_CHARACTERS for key in keys):
            raise ValueError(
                f"{path}: one signing key a line, each at least {MIN_KEY_CHARACTERS} characters"
            )
        return cls(keys)

    def sign(self, value: bytes) -> bytes:
        return SCHEME + _digest(self.keys[0], value)

    def refusal(self, value: bytes, headers: Sequence[tuple[str, bytes]]) -> str | None:
        """Why the message is not signed by any of the keys; None when it is."""
        given = [v for name, v in headers if name == HEADER]
        if not given:
            return "unsigned: no signature header, and this consumer requires one"
        if not given[0].startswith(SCHEME):
            return "signature is not hmac-sha256"
        digest = given[0][len(SCHEME) :]
        if any(hmac.compare_digest(digest, _digest(key, value)) for key in self.keys):
            return None
        return "signature does not match the message under any of the shared keys"


def _digest(key: bytes, value: bytes) -> bytes:
    return hmac.new(key, value, hashlib.sha256).hexdigest().encode()
