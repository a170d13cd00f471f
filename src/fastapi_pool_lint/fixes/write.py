"""Replace files atomically, and only if they still hold the bytes the fix was planned on.

Each file is written to a temporary file in its own directory, flushed to disk, given the
original's permission bits (and owner, where allowed), checked once more against the expected
hash, and moved over the original with ``os.replace`` (atomic on POSIX and Windows); the
directory is flushed too. A symbolic link is followed: the file it points to is replaced, the
link stays. A file that is read-only, that sits in a read-only directory (read-only: not
writable by this user, or with no write permission bit at all, which holds for the superuser
too), or that has other hard links (a replacement would separate them) is refused.

A group of files (one multi-file fix) is written together: every temporary file is written
first, then they are moved over the originals one after the other; if one cannot be moved, the
ones already replaced get their old bytes back. SIGINT and SIGTERM are held back while a group
is written (and delivered once it is in place), so an interruption at any moment leaves each
file old or new, never partial, and no temporary file behind (except SIGKILL, which may leave
a ``.<name>.*.fpl`` file beside the original, intact).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Optional

from ..discovery import read_source_file
from .source import digest

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]


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


@dataclass(frozen=True)
class _Staged:
    """New bytes written next to the file they replace, not yet moved over it."""

    key: str
    real: Path
    temporary: Path


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
        return digest(read_source_file(path))
    except OSError:
        return None


def _writable(path: Path, info: os.stat_result) -> bool:
    """Whether ``path`` may be written, as editors decide: its permission bits must grant write
    to someone (``chmod a-w`` marks a file or directory read-only for the superuser too, who
    could write it anyway), and this user must have write access."""
    if not stat.S_IMODE(info.st_mode) & 0o222:
        return False
    effective = os.access in os.supports_effective_ids
    return os.access(path, os.W_OK, effective_ids=effective)


def _refusal(real: Path, info: os.stat_result) -> Optional[str]:
    """Why ``real`` must not be replaced, or None."""
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file; not touched"
    if not _writable(real, info):
        return "read-only file; not touched"
    directory = real.parent
    try:
        writable = _writable(directory, os.stat(directory))
    except OSError:
        writable = False
    if not writable:
        return f"cannot write in its directory {directory}; not touched"
    if info.st_nlink > 1:
        others = info.st_nlink - 1
        return f"has {others} other hard link(s), which a replacement would split off; not touched"
    return None


def _stage(key: str, path: Path, data: bytes) -> _Staged:
    """Write ``data`` to a temporary file beside ``path`` (its real target), flushed to disk."""
    real = Path(os.path.realpath(path))
    try:
        info = os.stat(real)
    except OSError as error:
        raise WriteFailure(key, f"cannot stat: {error.strerror or error}") from None
    refusal = _refusal(real, info)
    if refusal is not None:
        raise WriteFailure(key, refusal)
    try:
        fd, name = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".fpl")
    except OSError as error:
        raise WriteFailure(key, f"cannot create a temporary file: {error.strerror or error}") from None
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if hasattr(os, "chown"):
            with contextlib.suppress(OSError):  # keep the owner where this user may
                os.chown(temporary, info.st_uid, info.st_gid)
        # After chown, which clears the set-user-ID and set-group-ID bits.
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
    except BaseException as error:  # an interruption, too: no temporary file is left
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise WriteFailure(key, f"cannot write: {error.strerror or error}") from None
        raise
    return _Staged(key, real, temporary)


def _commit(staged: _Staged, expected: str) -> None:
    """Move the staged bytes over the file if it still hashes to ``expected``."""
    if current_digest(staged.real) != expected:
        raise WriteFailure(staged.key, "changed on disk since it was read; not touched")
    try:
        os.replace(staged.temporary, staged.real)
    except OSError as error:
        raise WriteFailure(staged.key, f"cannot write: {error.strerror or error}") from None
    _fsync_directory(staged.real.parent)


def _discard(staged: Sequence[_Staged]) -> None:
    for item in staged:
        with contextlib.suppress(OSError):
            os.unlink(item.temporary)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the duration; deliver the first one afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def record(signum: int, frame: Optional[FrameType]) -> None:
        received.append(signum)

    previous = {}
    for name in ("SIGINT", "SIGTERM"):
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(ValueError, OSError):
                previous[number] = signal.signal(number, record)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        if received:
            signal.raise_signal(received[0])


@contextlib.contextmanager
def _locked(paths: Sequence[Path]) -> Iterator[None]:
    """Hold an exclusive ``flock`` on each file (in one order: no two runs deadlock) from the
    check of its bytes to its replacement, so that two ``fix`` runs at once cannot interleave
    their groups. A run waiting here finds the file replaced once it gets the lock: its check
    then fails, and it reports the file as changed on disk. Without ``fcntl``: no lock."""
    if fcntl is None:
        yield
        return
    handles: list[int] = []
    try:
        for path in sorted({os.path.realpath(p) for p in paths}):
            try:
                handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            except OSError:
                continue  # the write itself will say what is wrong with this file
            handles.append(handle)
            with contextlib.suppress(OSError):
                fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        for handle in handles:
            os.close(handle)  # closing releases the lock


def _replace(key: str, path: Path, data: bytes, expected: str) -> None:
    staged = _stage(key, path, data)
    try:
        _commit(staged, expected)
    finally:
        _discard([staged])


def replace_file(key: str, path: Path, data: bytes, expected: str) -> None:
    """Write ``data`` over ``path`` if it still hashes to ``expected``; else WriteFailure."""
    with _signals_held(), _locked([path]):
        _replace(key, path, data, expected)


def replace_group(replacements: Sequence[Replacement]) -> None:
    """Replace every file of a group, or (as far as the disk allows) none of them.

    SIGINT and SIGTERM are held back from the first check to the last move (a group is a few
    small files): no moment of an interruption can leave a temporary file or half a group."""
    with _signals_held(), _locked([r.path for r in replacements]):
        for replacement in replacements:
            if current_digest(replacement.path) != digest(replacement.old):
                raise WriteFailure(replacement.key, "changed on disk since it was read; not touched")
        staged: list[_Staged] = []
        try:
            for replacement in replacements:
                staged.append(_stage(replacement.key, replacement.path, replacement.new))
            done: list[Replacement] = []
            try:
                for replacement, item in zip(replacements, staged):
                    _commit(item, digest(replacement.old))
                    done.append(replacement)
            except WriteFailure:
                for replacement in reversed(done):
                    with contextlib.suppress(WriteFailure):
                        _replace(
                            replacement.key,
                            replacement.path,
                            replacement.old,
                            digest(replacement.new),
                        )
                raise
        finally:
            _discard(staged)
