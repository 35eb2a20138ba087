"""Evidence files: content-addressed (sha256) on disk, metadata as events on the complaint.

The same bytes are stored once however often they are uploaded. The declared content type
must be one of the accepted ones and the content must be what it declares, checked by
maintained libraries rather than hand-kept signatures: images are decoded by Pillow (a PNG
signature followed by HTML is not a PNG), audio and video are recognised by `filetype`,
a PDF has its header and trailer, and text is UTF-8 without markup. Downloads are served
as attachments with `nosniff` and a sandboxing content security policy, so even a file
that fooled a check is never run by a browser.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import filetype
from PIL import Image

from shared.kernel.errors import Invalid, TooLarge, UnsupportedMediaType
from shared.platform.secrets import private_dir


def _image(fmt: str) -> Callable[[bytes], bool]:
    def decodes(content: bytes) -> bool:
        try:
            with Image.open(io.BytesIO(content)) as image:
                image.verify()
                return image.format == fmt
        except Exception:  # any decoder error means: not an image of that format
            return False

    return decodes


def _recognised(mime: str) -> Callable[[bytes], bool]:
    def matches(content: bytes) -> bool:
        kind = filetype.guess(content)
        return kind is not None and kind.mime == mime

    return matches


def _pdf(content: bytes) -> bool:
    return content.startswith(b"%PDF-") and b"%%EOF" in content[-1024:]


def _text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text and not text.lstrip().startswith("<") and not filetype.guess(content)


#: Accepted evidence types, each with the check its content must pass.
ACCEPTED: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": _image("JPEG"),
    "image/png": _image("PNG"),
    "image/gif": _image("GIF"),
    "image/webp": _image("WEBP"),
    "application/pdf": _pdf,
    "text/plain": _text,
    "audio/mpeg": _recognised("audio/mpeg"),
    "audio/wav": _recognised("audio/x-wav"),
    "video/mp4": _recognised("video/mp4"),
}
#: Headers of every evidence download: never sniffed, never run, always saved.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


class EvidenceStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def check(self, content_type: str, content: bytes) -> None:
        if content_type not in ACCEPTED:
            raise UnsupportedMediaType(
                f"{content_type!r} is not an accepted evidence type; accepted: "
                + ", ".join(sorted(ACCEPTED)),
                field="file",
                rule="content_type",
            )
        if not ACCEPTED[content_type](content):
            raise UnsupportedMediaType(
                f"the file's content is not {content_type}", field="file", rule="content_signature"
            )

    def put(
        self, content: bytes, content_type: str, admit: Callable[[str], None] = lambda _: None
    ) -> str:
        """Store `content` under its sha256, once checked; `admit(sha256)` may still refuse
        it (by raising) before anything is written."""
        if not content:
            raise Invalid("the file is empty", field="file", rule="not_empty")
        if len(content) > self.max_bytes:
            raise TooLarge(
                f"evidence files are limited to {self.max_bytes} bytes",
                field="file",
                rule="max_size",
            )
        self.check(content_type, content)
        digest = hashlib.sha256(content).hexdigest()
        admit(digest)
        path = self.path(digest)
        if not path.exists():
            private_dir(path.parent)
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
