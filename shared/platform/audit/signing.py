"""Checkpoint signatures anyone can check: Ed25519, with the public key published.

The link key (HMAC) must stay secret, so checkpoints signed with it could be checked only by
someone holding it. Checkpoints are therefore signed with an Ed25519 key of the
installation (`cryptography`, the maintained library PyJWT already uses): its private half
is a 32-byte secret created on first use like the other installation secrets, its public
half is published beside the checkpoints as `checkpoint-key-<key id>.pem`, and an auditor
checks checkpoints with that file alone (`complaints audit verify-checkpoints`). The key id
is the first 16 hex digits of the SHA-256 of the raw public key, so a checkpoint names the
key that signed it and keys can be replaced without ambiguity.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.platform.secrets import installation_secret

ALGORITHM = "Ed25519"
PUBLISHED = "checkpoint-key-{key_id}.pem"


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class CheckpointSigner:
    """The installation's checkpoint key: signs, and publishes its public half."""

    def __init__(self, seed: bytes) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public = self._private.public_key()
        self.key_id = key_id(self.public)

    @classmethod
    def of_installation(cls, private_key_file: Path) -> CheckpointSigner:
        """The installation's key: 32 random bytes created (0600) by the first process."""
        return cls(installation_secret(private_key_file))

    def sign(self, message: bytes) -> str:
        return self._private.sign(message).hex()

    def publish(self, directory: Path) -> Path:
        """Write the public key beside the checkpoints (once), readable by auditors."""
        path = directory / PUBLISHED.format(key_id=self.key_id)
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(public_pem(self.public))
        return path


def load_public_key(pem: bytes) -> tuple[str, Ed25519PublicKey]:
    """(key id, key) of a published checkpoint key; ValueError if it is not one."""
    public = serialization.load_pem_public_key(pem)
    if not isinstance(public, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key_id(public), public


def published_keys(directory: Path) -> dict[str, Ed25519PublicKey]:
    """The checkpoint keys published in `directory`, by key id."""
    return dict(
        load_public_key(path.read_bytes())
        for path in sorted(directory.glob(PUBLISHED.format(key_id="*")))
    )


def signature_holds(public: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public.verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True
