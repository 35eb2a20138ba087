"""Evidence files for test stories: real ones, made in memory, and spoofed ones."""

from __future__ import annotations

import io

from PIL import Image


def png(width: int = 4, height: int = 3) -> bytes:
    """A real PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


HTML = b"<html><script>alert(document.cookie)</script></html>"
#: What attackers upload under an innocent type, with the type they declare.
SPOOFED = [
    ("clip.mp4", HTML, "video/mp4"),
    ("voice.mp3", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "audio/mpeg"),
    ("photo.webp", b"RIFF\x00\x00\x00\x00" + HTML, "image/webp"),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + HTML, "image/png"),
    ("note.txt", HTML, "text/plain"),
    ("scan.pdf", b"%PDF-1.7\n" + HTML, "application/pdf"),
]
