"""Replace files atomically, and only if they still hold the bytes the fix was planned on.

Each file is written to a temporary file in its own directory, flushed to disk, given the
original's permission bits, checked once more against the expected hash, and moved over the
original with ``os.replace`` (atomic on POSIX and Windows). A symbolic link is followed: the file
it points to is replaced, the link stays. A group of files (one multi-file fix) is written
together: if one of them cannot be written, the ones already replaced get their old bytes back.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .source import digest


@dataclass(frozen=True)
class Replacement:
    key: str  # display path
    path: Path
    old: bytes
    new: bytes


class WriteFailure(Exception):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def current_digest(path: Path) -> Optional[str]:
    try:
        return digest(path.read_bytes())
    except OSError:
        return None


def replace_file(key: str, path: Path, data: bytes, expected: str) -> None:
    """Write ``data`` over ``path`` if it still hashes to ``expected``; else WriteFailure."""
    real = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except OSError as error:
        raise WriteFailure(key, f"cannot stat: {error.strerror or error}") from None
    try:
        fd, temporary = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".fpl")
    except OSError as error:
        raise WriteFailure(key, f"cannot create a temporary file: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        if current_digest(real) != expected:
            raise WriteFailure(key, "changed on disk since it was read; not touched")
        os.replace(temporary, real)
    except WriteFailure:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise WriteFailure(key, f"cannot write: {error.strerror or error}") from None
    _fsync_directory(real.parent)


def replace_group(replacements: Sequence[Replacement]) -> None:
    """Replace every file of a group, or (as far as the disk allows) none of them."""
    for replacement in replacements:
        if current_digest(replacement.path) != digest(replacement.old):
            raise WriteFailure(replacement.key, "changed on disk since it was read; not touched")
    done: list[Replacement] = []
    try:
        for replacement in replacements:
            replace_file(
                replacement.key, replacement.path, replacement.new, digest(replacement.old)
            )
            done.append(replacement)
    except WriteFailure:
        for replacement in reversed(done):
            with contextlib.suppress(WriteFailure):
                replace_file(
                    replacement.key, replacement.path, replacement.old, digest(replacement.new)
                )
        raise
