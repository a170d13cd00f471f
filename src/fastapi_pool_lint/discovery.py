"""Find the Python files to analyse and the module names they can be imported as.

Directories are walked without following symlinks; version-control, virtualenv, cache and build
directories are skipped, and so is everything a ``.gitignore`` on the way excludes. Module names
come from the project's layout, never from the current directory: a package's name runs from the
top-most directory with an ``__init__.py``; files outside packages (FastAPI's tutorial layout,
namespace packages) are named relative to each plausible import root (the project root, ``src/``,
directories holding a ``pyproject.toml``/``setup.py``, and the file's own directory), and an
import picks the candidate nearest to the importing file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import pathspec

# ``exclude(path, is_dir)``: the configured ``extend-exclude`` (see ``suppression.excluded``).
Exclude = Callable[[Path, bool], bool]

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".fastapi_pool_lint_cache",
        "site-packages",
        "__pypackages__",
        ".direnv",
    }
)
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")


class DiscoveryError(Exception):
    """A path given on the command line cannot be analysed."""


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a directory"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def unusable(path: Path) -> Optional[str]:
    """Why ``path`` is no file to read (a dangling or looping link, a FIFO...), or None."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        if path.is_symlink():
            if error.errno == errno.ELOOP:
                return "symbolic link loop"
            try:
                return f"broken symbolic link (to {os.readlink(path)})"
            except OSError:
                return "broken symbolic link"
        return None  # missing or unreadable: the caller's own error says which
    if stat.S_ISREG(mode):
        return None
    return f"not a regular file ({_kind(mode)})"


def read_source_file(path: Path) -> bytes:
    """The bytes of the regular file ``path``; OSError (with a clear ``strerror``) otherwise.

    Opened without blocking and checked once open, so a FIFO, socket or device named like a
    Python file (or swapped in after discovery) is refused instead of hanging the run.
    """
    problem = unusable(path)
    if problem is not None:
        raise OSError(errno.EINVAL, problem)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"not a regular file ({_kind(mode)})")
        return handle.read()


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    display: str  # relative to the current directory when under it, posix separators
    module: str  # primary dotted module name
    is_package: bool  # an ``__init__.py``
    aliases: tuple[str, ...] = field(default=())  # every dotted name it can be imported as

    def place(self) -> bytes:
        """Where the file is and the names it is imported under: what cache keys that depend
        on how modules resolve to each other take from it."""
        parts = (self.display, self.module, ",".join(self.aliases), str(self.path.parent))
        return "\0".join(parts).encode()


def find_project_root(paths: Sequence[Path]) -> Path:
    """The nearest ancestor of the first path holding a project marker, else that path."""
    start = paths[0].resolve() if paths else Path.cwd().resolve()
    if start.is_file():
        start = start.parent
    for candidate in (start, *start.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return start


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").exists()


class _IgnoreRules:
    """``.gitignore`` files from the repository root down, applied relative to their directory."""

    def __init__(self) -> None:
        self._specs: dict[Path, Optional[pathspec.GitIgnoreSpec]] = {}
        # Per directory: the (directory, spec) pairs that apply to its entries, nearest first,
        # up to ``top`` or the repository root. Shared by every file in the directory.
        self._chains: dict[tuple[Path, Path], tuple[tuple[str, pathspec.GitIgnoreSpec], ...]] = {}

    def _spec(self, directory: Path) -> Optional[pathspec.GitIgnoreSpec]:
        if directory not in self._specs:
            spec = None
            gitignore = directory / ".gitignore"
            if gitignore.is_file():
                try:
                    lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
                except (OSError, ValueError):
                    spec = None
            self._specs[directory] = spec
        return self._specs[directory]

    def _chain(self, directory: Path, top: Path) -> tuple[tuple[str, pathspec.GitIgnoreSpec], ...]:
        key = (directory, top)
        chain = self._chains.get(key)
        if chain is None:
            found = []
            for ancestor in (directory, *directory.parents):
                spec = self._spec(ancestor)
                if spec is not None:
                    found.append((ancestor.as_posix().rstrip("/") + "/", spec))
                if ancestor == top or (ancestor / ".git").exists():
                    break
            chain = self._chains[key] = tuple(found)
        return chain

    def ignored(self, path: Path, is_dir: bool, top: Path) -> bool:
        chain = self._chain(path.parent, top)
        if not chain:
            return False
        text = path.as_posix() + ("/" if is_dir else "")
        return any(spec.match_file(text[len(prefix):]) for prefix, spec in chain)


def _walk(
    directory: Path, ignore: _IgnoreRules, top: Path, exclude: Optional[Exclude] = None
) -> Iterator[Path]:
    """Depth first, entries sorted by name; symbolic links to directories are not followed."""
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        return
    subdirectories = []
    for entry in entries:
        name = entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            sub = directory / name
            if name in SKIPPED_DIRS or name.endswith(".egg-info"):
                continue
            if _is_virtualenv(sub) or ignore.ignored(sub, True, top):
                continue
            if exclude is not None and exclude(sub, True):
                continue
            subdirectories.append(sub)
        elif name.endswith(".py") and not _special(entry):
            path = directory / name
            if ignore.ignored(path, False, top):
                continue
            if exclude is None or not exclude(path, False):
                yield path
    for sub in subdirectories:
        yield from _walk(sub, ignore, top, exclude)


def _special(entry: os.DirEntry[str]) -> bool:
    """A FIFO, socket or device: no source file (reading one could block forever). Dangling
    and looping links are kept: reading them fails with a clear reason."""
    try:
        if entry.is_file():  # the directory listing's type, or one stat for a link
            return False
        return not stat.S_ISREG(entry.stat().st_mode)
    except OSError:
        return False


def iter_python_files(
    paths: Iterable[Path], top: Path, exclude: Optional[Exclude] = None
) -> Iterator[Path]:
    """Python files under ``paths``; a file named explicitly is included unless ``exclude``
    (the configured ``extend-exclude``) matches it or a directory above it."""
    ignore = _IgnoreRules()
    for path in paths:
        problem = unusable(path)
        if path.is_dir():
            yield from _walk(path, ignore, top, exclude)
        elif problem is not None:
            raise DiscoveryError(f"{path}: {problem}")
        elif path.is_file():
            if exclude is None or not _excluded_with_parents(path, top, exclude):
                yield path
        else:
            raise DiscoveryError(f"{path}: no such file or directory")


def _excluded_with_parents(path: Path, top: Path, exclude: Exclude) -> bool:
    if exclude(path, False):
        return True
    for directory in path.parents:
        if directory == top or top not in directory.parents:
            break
        if exclude(directory, True):
            return True
    return False


def _package_root(path: Path) -> Path:
    directory = path.parent
    while (directory / "__init__.py").exists() and directory.parent != directory:
        directory = directory.parent
    return directory


def _dotted(path: Path, root: Path) -> Optional[str]:
    # String arithmetic rather than ``relative_to``: this runs for every file and root.
    prefix = root.as_posix().rstrip("/") + "/"
    text = path.as_posix()
    if not text.startswith(prefix):
        return None
    parts = text[len(prefix) :].split("/")
    stem, dot, _ = parts[-1].rpartition(".")
    parts[-1] = stem if dot else parts[-1]
    if parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def _import_roots(path: Path, project_root: Path) -> tuple[Path, list[Path]]:
    """The package root of ``path``'s directory and the roots it may be imported from."""
    roots: list[Path] = []
    package_root = _package_root(path)
    if package_root != path.parent:
        roots.append(package_root)
    else:
        # Outside a regular package, a script's own directory is an import root (``python
        # main.py``). Inside one it is not: Python 3 has no implicit relative imports, and a
        # sibling ``routers/auth.py`` must not shadow the top-level ``auth.py``.
        roots.append(path.parent)
    if project_root in path.parent.parents:
        for ancestor in path.parent.parents:
            if ancestor == project_root or ancestor.name == "src" or any((ancestor / m).exists() for m in ROOT_MARKERS):
                roots.append(ancestor)
            if ancestor == project_root:
                break
    return package_root, roots


def module_names(
    path: Path,
    project_root: Path,
    roots_by_directory: Optional[dict[Path, tuple[Path, list[Path]]]] = None,
) -> tuple[str, tuple[str, ...]]:
    """The primary module name of ``path`` and every name it can be imported under.

    ``roots_by_directory`` memoises the import roots per directory (they depend on the
    directory only): ``discover`` passes one, so a directory's markers are looked up once.
    """
    found = roots_by_directory.get(path.parent) if roots_by_directory is not None else None
    if found is None:
        found = _import_roots(path, project_root)
        if roots_by_directory is not None:
            roots_by_directory[path.parent] = found
    package_root, roots = found
    names: list[str] = []
    for root in roots:
        name = _dotted(path, root)
        if name and name not in names:
            names.append(name)
    if not names:
        # A stable name (not ``hash()``, which changes between runs): cache keys depend on it.
        stable = hashlib.blake2b(str(path).encode(), digest_size=6).hexdigest()
        names.append(path.stem if path.stem.isidentifier() else "_" + stable)
    primary = names[0]
    if package_root == path.parent and path.name != "__init__.py":
        # Not inside a regular package: prefer the name relative to the nearest import root,
        # so that namespace-package relative imports resolve.
        longer = [n for n in names if n.endswith("." + primary)]
        if longer:
            primary = min(longer, key=len)
    return primary, tuple(names)


def discover(
    paths: Sequence[Path], cwd: Path, exclude: Optional[Exclude] = None
) -> tuple[Path, list[SourceFile]]:
    """The project root and the files to analyse, sorted and without duplicates."""
    absolute = [p if p.is_absolute() else cwd / p for p in paths]
    project_root = find_project_root(absolute)
    top = project_root
    seen: set[Path] = set()
    files: list[SourceFile] = []
    roots_by_directory: dict[Path, tuple[Path, list[Path]]] = {}
    for path in iter_python_files(absolute, top, exclude):
        resolved = Path(os.path.abspath(path))
        if resolved in seen:
            continue
        seen.add(resolved)
        primary, aliases = module_names(resolved, project_root, roots_by_directory)
        files.append(
            SourceFile(
                path=resolved,
                display=display_path(resolved, cwd),
                module=primary,
                is_package=resolved.name == "__init__.py",
                aliases=aliases,
            )
        )
    files.sort(key=lambda f: f.path.as_posix())
    return project_root, files
