"""The persistent cache in ``<project root>/.fastapi_pool_lint_cache/``.

Layout: one directory per *namespace* (tool version, a fingerprint of the tool's own code and of
libcst, the Python implementation and version), holding

- ``summaries/``: per file, its :class:`ModuleSummary` (or why it cannot be parsed), keyed by the
  file's content hash, module name and whether it is a package. A summary depends on nothing
  else, so an entry never needs invalidating: a changed file simply has a new key.
- ``spans/``: per file (same key), the span of every node id, stored once a finding needed it.
- ``results/``: per *project state* (every file's key and place, the dependency files that carry
  FastAPI/SQLAlchemy versions, the settings), the final located findings, so a run on an
  unchanged tree reads one entry and neither parses nor analyses anything.
- ``calls/``: per *layout* (which modules there are, their names and places), what each module's
  calls evaluate to and which modules that read (see ``model/callgraph.py``).

The cache stays bounded (:meth:`Cache.settle`): after a run that wrote entries, only the newest
few ``results`` and ``calls`` entries are kept; once a project's worth of entries has been
written since the last pruning, the summaries and spans of files that are no longer in the
project are pruned down to a project's worth (the newest first), and of the namespaces of other
tool builds only the most recently used one is kept.

Entries are written to a temporary file in the same directory and moved into place with
``os.replace``, so a reader sees a whole old entry, a whole new one, or none; concurrent runs
write identical entries for identical keys. Each entry starts with a magic tag and a digest of
its payload; an entry that is truncated, corrupt, of another format or unreadable is a miss, and
is rebuilt and overwritten. Payloads are pickles read with an unpickler that only admits this
package's record classes, so a planted cache file cannot make the linter run code. The directory
holds a ``.gitignore`` of ``*`` (and a ``CACHEDIR.TAG``) so that it is never committed or backed up.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Collection
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Optional

from . import __version__

CACHE_DIR_NAME = ".fastapi_pool_lint_cache"
FORMAT = 1
_MAGIC = b"FPLC\x00\x01\r\n"
_DIGEST_SIZE = 16
_PROTOCOL = pickle.HIGHEST_PROTOCOL
_GITIGNORE = "# Created by fastapi-pool-lint: this directory is a cache.\n*\n"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by fastapi-pool-lint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
_ALLOWED_MODULE_PREFIX = "fastapi_pool_lint."
# Plain data classes a result may hold besides ours (``CheckResult.files``).
_ALLOWED_CLASSES = frozenset({("pathlib", "PosixPath"), ("pathlib", "WindowsPath")})


def digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=_DIGEST_SIZE)
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def file_key(content_hash: str, module: str, is_package: bool) -> str:
    """The key of a file's summary and spans: what its summary depends on, and nothing else."""
    return digest(content_hash.encode(), module.encode(), b"p" if is_package else b"m")


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=_DIGEST_SIZE).hexdigest()


_CODE_FINGERPRINT: Optional[str] = None


def code_fingerprint() -> str:
    """A digest of this package's sources and of libcst's version: what summaries come from.

    A source counts by its path, size and modification time (as CPython decides whether a
    ``.pyc`` is stale): reading and hashing every source cost 18 ms per run.
    """
    global _CODE_FINGERPRINT
    if _CODE_FINGERPRINT is None:
        h = hashlib.blake2b(digest_size=8)
        package = Path(__file__).resolve().parent
        for path in sorted(package.rglob("*.py")):
            h.update(path.relative_to(package).as_posix().encode())
            try:
                info = path.stat()
                h.update(f"\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
            except OSError:
                h.update(b"?")
        spec = find_spec("libcst")
        if spec is not None and spec.origin:
            version_file = Path(spec.origin).with_name("_version.py")
            try:
                h.update(version_file.read_bytes())
            except OSError:
                h.update(spec.origin.encode())
        _CODE_FINGERPRINT = h.hexdigest()
    return _CODE_FINGERPRINT


def namespace() -> str:
    implementation = sys.implementation.name
    major, minor = sys.version_info[:2]
    return f"v{FORMAT}-{__version__}-{implementation}{major}{minor}-{code_fingerprint()}"


# --------------------------------------------------------------------------- entries


class _RestrictedUnpickler(pickle.Unpickler):
    """Only this package's classes (records, findings) and plain data may come out."""

    def find_class(self, module: str, name: str) -> Any:
        if (module.startswith(_ALLOWED_MODULE_PREFIX) and not name.startswith("_")) or (
            module,
            name,
        ) in _ALLOWED_CLASSES:
            value = super().find_class(module, name)
            if isinstance(value, type):
                return value
        raise pickle.UnpicklingError(f"not allowed in a cache entry: {module}.{name}")


def encode(value: object) -> bytes:
    """An entry's bytes: magic, digest of the payload, payload."""
    payload = dumps(value)
    return _MAGIC + hashlib.blake2b(payload, digest_size=_DIGEST_SIZE).digest() + payload


def decode(blob: bytes) -> Optional[object]:
    """The value in an entry, or None when the entry is not a whole, valid entry."""
    header = len(_MAGIC) + _DIGEST_SIZE
    if len(blob) < header or not blob.startswith(_MAGIC):
        return None
    payload = blob[header:]
    if hashlib.blake2b(payload, digest_size=_DIGEST_SIZE).digest() != blob[len(_MAGIC) : header]:
        return None
    return loads(payload)


def dumps(value: object) -> bytes:
    """A value's bytes inside an entry (the entry's digest covers them): an entry can carry
    parts kept as bytes, to be decoded only when needed and stored again without pickling."""
    return pickle.dumps(value, protocol=_PROTOCOL)


def loads(payload: bytes) -> Optional[object]:
    """The value :func:`dumps` gave ``payload``, or None when it is malformed."""
    try:
        value: object = _RestrictedUnpickler(io.BytesIO(payload)).load()
    except Exception:  # any malformed payload is a miss
        return None
    return value


def write_atomic(path: Path, blob: bytes) -> bool:
    """Write ``blob`` to ``path`` through a temporary file and ``os.replace``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError:
        return False
    return True


def read_entry(path: Path) -> Optional[object]:
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    return decode(blob)


# --------------------------------------------------------------------------- the store


# How much of the cache a run keeps (see ``Cache.settle``).
RESULTS_KEPT = 8  # whole results: the last few project states (switching branches and back)
CALLS_KEPT = 4  # per-module calls: the last few layouts
MIN_FILE_ENTRIES = 256  # summaries/spans of files no longer in the project, at least kept
OTHER_NAMESPACES_KEPT = 1  # other tool builds' directories (the one used last)
_TALLY = "written"  # entries written since the last pruning, in each namespace


class Cache:
    """One project's cache directory, for this tool build and Python.

    Kinds of entries: ``summaries``, ``spans`` (keyed by :func:`file_key`), ``results`` (keyed
    by the project state) and ``calls`` (keyed by the layout). Every failure to read is a miss;
    every failure to write or to prune is ignored (a read-only checkout still gets its
    findings).
    """

    def __init__(self, project_root: Path) -> None:
        self.root = project_root / CACHE_DIR_NAME
        self.base = self.root / namespace()
        self._prepared = False
        self.usable = True
        self.written = 0  # entries this object wrote

    def prepare(self) -> bool:
        """Create the directory with its ``.gitignore`` and ``CACHEDIR.TAG``; whether usable."""
        if not self._prepared:
            self._prepared = True
            try:
                self.base.mkdir(parents=True, exist_ok=True)
                for name, text in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _CACHEDIR_TAG)):
                    marker = self.root / name
                    if not marker.exists():
                        write_atomic(marker, text.encode())
            except OSError:
                self.usable = False
        return self.usable

    def path(self, kind: str, key: str) -> Path:
        return self.base / kind / key[:2] / key

    def get(self, kind: str, key: str) -> Optional[object]:
        return read_entry(self.path(kind, key))

    def put(self, kind: str, key: str, value: object) -> None:
        if self.prepare() and write_atomic(self.path(kind, key), encode(value)):
            self.written += 1

    # ------------------------------------------------------------------ housekeeping

    def settle(self, live: Collection[str], written_elsewhere: int = 0) -> None:
        """Keep the cache bounded after a run that wrote to it.

        ``live``: the file keys of the project as it is now (their summaries and spans are never
        pruned); ``written_elsewhere``: entries the run's workers wrote. The newest
        :data:`RESULTS_KEPT` results and :data:`CALLS_KEPT` calls entries are kept on every such
        run (one directory listing each). Summaries and spans are pruned once as many entries
        as the project has files have been written since the last pruning, down to the live
        ones and a project's worth of others, the newest first; then other tool builds'
        namespaces too.
        """
        written = self.written + written_elsewhere
        if not written or not self._prepared or not self.usable:
            return
        self._keep_newest("results", RESULTS_KEPT)
        self._keep_newest("calls", CALLS_KEPT)
        budget = max(MIN_FILE_ENTRIES, len(live))
        tally = self._read_tally() + written
        if tally >= budget:
            keep = frozenset(live)
            for kind in ("summaries", "spans"):
                self._keep_newest(kind, budget, keep)
            self._prune_namespaces()
            tally = 0
        write_atomic(self.base / _TALLY, str(tally).encode())

    def _read_tally(self) -> int:
        try:
            return max(0, int((self.base / _TALLY).read_text()))
        except (OSError, ValueError):
            return 0

    def _entries(self, kind: str) -> list[tuple[float, str, str]]:
        """(modification time, key, path) of every entry of ``kind``."""
        out = []
        with contextlib.suppress(OSError), os.scandir(self.base / kind) as buckets:
            for bucket in buckets:
                with contextlib.suppress(OSError), os.scandir(bucket.path) as entries:
                    for entry in entries:
                        if entry.name.startswith("."):
                            continue  # another run's temporary file
                        with contextlib.suppress(OSError):
                            out.append((entry.stat().st_mtime, entry.name, entry.path))
        return out

    def _keep_newest(self, kind: str, count: int, live: Collection[str] = ()) -> None:
        """Remove all but the ``count`` newest entries of ``kind`` that are not ``live``."""
        others = [e for e in self._entries(kind) if e[1] not in live]
        if len(others) <= count:
            return
        others.sort(reverse=True)
        for _, _, path in others[count:]:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def _prune_namespaces(self) -> None:
        """Remove other tool builds' namespaces but the most recently used ones."""
        others = []
        with contextlib.suppress(OSError), os.scandir(self.root) as listing:
            for entry in listing:
                if entry.name == self.base.name or not entry.name.startswith("v"):
                    continue
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        tally = Path(entry.path) / _TALLY
                        used = tally.stat().st_mtime if tally.exists() else entry.stat().st_mtime
                        others.append((used, entry.path))
        others.sort(reverse=True)
        for _, path in others[OTHER_NAMESPACES_KEPT:]:
            shutil.rmtree(path, ignore_errors=True)


def clean(project_root: Path) -> bool:
    """Remove the project's cache directory; whether there was one."""
    directory = project_root / CACHE_DIR_NAME
    if not directory.exists():
        return False
    shutil.rmtree(directory, ignore_errors=True)
    return True
