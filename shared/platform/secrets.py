"""Installation secrets created on first use (the token secret and the audit key), and the
private folders the services keep their data in.

A secret is written to a temporary file created with mode 0600 (never readable by anyone
else, not even for an instant) and hard-linked into place, so services starting together
never read a half-written secret and all end up with the same one. The data folders
(stores, checkpoints, evidence, secrets) are 0700; the service processes also run with
umask 077 (`cli.main`), so every file they create there is 0600.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: Folders of personal data and secrets: the owner's alone.
PRIVATE_DIR = 0o700
#: Files created in them: the owner's alone.
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """`path` as a folder only its owner can enter (created, or tightened if it exists)."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIR)
    return path


def installation_secret(path: Path) -> bytes:
    """The 32-byte secret in `path`, created (mode 0600) by whichever process is first."""
    if not path.exists():
        private_dir(path.parent)
        staging = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(32))
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
        finally:
            staging.unlink()
    return path.read_bytes()
