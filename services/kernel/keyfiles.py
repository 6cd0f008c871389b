"""Keys a developer's machine generates for itself on first use (production is given them instead)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
from pathlib import Path

KEY_BYTES = 32


class KeyFormatError(ValueError):
    """A key's text is not URL-safe base64 of KEY_BYTES bytes; the message names where it came from."""


def new_key() -> str:
    """32 random bytes as URL-safe base64: the form of every key Case Review reads."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def decode_key(text: str, *, source: str) -> bytes:
    """The KEY_BYTES bytes of a URL-safe base64 key (padded or not); KeyFormatError naming `source`."""
    cleaned = text.strip()
    try:
        key = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as error:
        raise KeyFormatError(f"{source} is not URL-safe base64") from error
    if len(key) != KEY_BYTES:
        raise KeyFormatError(f"{source} must decode to exactly {KEY_BYTES} bytes, not {len(key)}")
    return key


def read_or_create_key_file(path: Path) -> str:
    """The text of the key file at `path`, created (mode 0600) with a new key if there is none yet."""
    if path.exists():
        return path.read_text(encoding="ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(new_key() + "\n")
        file.flush()
        os.fsync(file.fileno())
    try:
        # A hard link puts the complete file in place only if there is none yet, so when two processes start
        # together both end up with the winner's key (os.replace would let the loser overwrite it).
        os.link(temporary, path)
    except FileExistsError:
        pass
    except OSError:
        # A file system without hard links: fall back to an atomic rename.
        if not path.exists():
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return path.read_text(encoding="ascii")
