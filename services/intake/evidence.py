"""Evidence files: content-addressed (sha256) on disk, metadata as events on the complaint.

The same bytes are stored once however often they are uploaded. The declared content type
must be allowed and must agree with the file's leading bytes where the type has a signature,
so a renamed executable is not stored as a "photo".
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from shared.errors import DomainError, Invalid

#: Allowed types and, where they have one, the leading bytes their files start with.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
    "text/plain": (),
    "audio/mpeg": (),
    "audio/wav": (b"RIFF",),
    "video/mp4": (),
}


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


class TooLarge(DomainError):
    status = 413
    title = "Payload too large"


class EvidenceStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def check(self, content_type: str, head: bytes) -> None:
        if content_type not in SIGNATURES:
            raise UnsupportedMediaType(
                f"{content_type!r} is not an accepted evidence type; accepted: "
                + ", ".join(sorted(SIGNATURES)),
                field="file",
                rule="content_type",
            )
        signatures = SIGNATURES[content_type]
        if signatures and not any(head.startswith(s) for s in signatures):
            raise UnsupportedMediaType(
                f"the file's content is not {content_type}", field="file", rule="content_signature"
            )

    def put(self, content: bytes, content_type: str) -> str:
        if not content:
            raise Invalid("the file is empty", field="file", rule="not_empty")
        if len(content) > self.max_bytes:
            raise TooLarge(
                f"evidence files are limited to {self.max_bytes} bytes",
                field="file",
                rule="max_size",
            )
        self.check(content_type, content[:16])
        digest = hashlib.sha256(content).hexdigest()
        path = self.path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, path)
        return digest

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise Invalid("not a sha256 digest", field="sha256", rule="sha256_hex")
        return self.root / sha256[:2] / sha256[2:]
