"""Installation secrets created on first use: the token secret and the audit key.

Written to a temporary file and hard-linked into place, so services starting together never
read a half-written secret and all end up with the same one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def installation_secret(path: Path) -> bytes:
    """The 32-byte secret in `path`, created (mode 0600) by whichever process is first."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}")
        staging.write_bytes(secrets.token_bytes(32))
        staging.chmod(0o600)
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
        finally:
            staging.unlink()
    return path.read_bytes()
