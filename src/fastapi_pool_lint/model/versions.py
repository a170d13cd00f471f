"""The FastAPI / SQLAlchemy versions a project allows, read from its dependency files.

Sources, first match wins per package: lock files (``uv.lock``, ``poetry.lock``,
``Pipfile.lock``: the exact version), then ``pyproject.toml`` (PEP 621 and Poetry tables), then
``requirements*.txt``. For a module, the nearest directory above it (up to the project root) whose
files name the package decides, so each service of a monorepo gets its own constraints.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from .dependency_files import LOCK_FILES, PYPROJECT_FILES, REQUIREMENTS_FILES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PACKAGES = ("fastapi", "sqlalchemy", "sqlmodel")


@dataclass(frozen=True)
class Constraint:
    package: str
    specifier: SpecifierSet
    source: str  # the file it was read from, relative to the project root

    def allows_below(self, version: str) -> bool:
        """Whether some release older than ``version`` satisfies the constraint."""
        limit = Version(version)
        major, minor = limit.major, limit.minor
        candidates = [f"{major}.{m}.{p}" for m in range(minor) for p in (0, 1, 2)]
        candidates += [f"{major}.{minor - 1}.99"] if minor else []
        return any(self.specifier.contains(c, prereleases=True) for c in candidates)

    def describe(self) -> str:
        spec = str(self.specifier) or "any version"
        return f"{self.package}{spec if str(self.specifier) else ' (unpinned)'} in {self.source}"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _from_requirement_line(line: str) -> Optional[tuple[str, SpecifierSet]]:
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith(("-", "git+", "http:", "https:")):
        return None
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None
    return _normalise(requirement.name), requirement.specifier


def _spec(text: str) -> Optional[SpecifierSet]:
    text = text.strip()
    if text.startswith("^") or (text.startswith("~") and not text.startswith("~=")):
        # Poetry caret/tilde: ^0.95.1 means >=0.95.1,<0.96 (0.x) — lower bound is what matters.
        bare = text.lstrip("^~")
        text = f">={bare}"
    if re.fullmatch(r"[0-9][0-9A-Za-z.*+!-]*", text):
        text = f"=={text}"
    if text == "*":
        text = ""
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def _table(value: Any) -> dict[str, Any]:
    """``value`` if it is a table (a malformed file may hold anything anywhere), else empty."""
    return value if isinstance(value, dict) else {}


def _array(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _read_toml(path: Path) -> Optional[dict[str, Any]]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None


def _from_lock(path: Path) -> dict[str, SpecifierSet]:
    found: dict[str, SpecifierSet] = {}
    if path.name == "Pipfile.lock":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return found
        for section in ("default", "develop"):
            for name, entry in _table(_table(data).get(section)).items():
                version = entry.get("version") if isinstance(entry, dict) else None
                spec = _spec(version) if isinstance(version, str) else None
                if spec is not None:
                    found.setdefault(_normalise(name), spec)
        return found
    data = _read_toml(path)
    for package in _array(_table(data).get("package")):
        if isinstance(package, dict) and isinstance(package.get("version"), str):
            spec = _spec(package["version"])
            if spec is not None:
                found.setdefault(_normalise(str(package.get("name", ""))), spec)
    return found


def _from_pyproject(path: Path) -> dict[str, SpecifierSet]:
    found: dict[str, SpecifierSet] = {}
    data = _table(_read_toml(path))
    project = _table(data.get("project"))
    lines = list(_array(project.get("dependencies")))
    for extra in _table(project.get("optional-dependencies")).values():
        lines.extend(_array(extra))
    for line in lines:
        parsed = _from_requirement_line(str(line))
        if parsed:
            found.setdefault(*parsed)
    poetry = _table(_table(_table(data.get("tool")).get("poetry")).get("dependencies"))
    for name, value in poetry.items():
        text = value.get("version") if isinstance(value, dict) else value
        spec = _spec(text) if isinstance(text, str) else None
        if spec is not None:
            found.setdefault(_normalise(name), spec)
    return found


def _from_requirements(path: Path) -> dict[str, SpecifierSet]:
    found: dict[str, SpecifierSet] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return found
    for line in lines:
        parsed = _from_requirement_line(line)
        if parsed:
            found.setdefault(*parsed)
    return found


READERS = (
    (LOCK_FILES, _from_lock),
    (PYPROJECT_FILES, _from_pyproject),
    (REQUIREMENTS_FILES, _from_requirements),
)


class Constraints:
    """Version constraints as seen from a module: the nearest dependency files above it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._by_dir: dict[Path, dict[str, Constraint]] = {}

    def _read_dir(self, directory: Path) -> dict[str, Constraint]:
        found: dict[str, Constraint] = {}
        for names, reader in READERS:
            for name in names:
                path = directory / name
                if not path.is_file():
                    continue
                for package, spec in reader(path).items():
                    if package in PACKAGES and package not in found:
                        try:
                            source = path.relative_to(self.root).as_posix()
                        except ValueError:
                            source = path.as_posix()
                        found[package] = Constraint(package, spec, source)
        return found

    def for_directory(self, directory: Path, package: str) -> Optional[Constraint]:
        """The constraint on ``package`` from the nearest directory at or above ``directory``."""
        while True:
            if directory not in self._by_dir:
                self._by_dir[directory] = self._read_dir(directory)
            constraint = self._by_dir[directory].get(package)
            if constraint is not None:
                return constraint
            if directory == self.root or directory.parent == directory:
                return None
            if self.root not in directory.parents:
                return None
            directory = directory.parent
