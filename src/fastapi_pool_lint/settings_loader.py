"""Read ``[tool.fastapi-pool-lint]`` from ``pyproject.toml`` into ``Settings``, strictly.

The table is found by walking up from the first path to the nearest ``pyproject.toml`` that has
it, stopping at the repository root (a directory holding ``.git`` or ``.hg``); ``--config PATH``
names the file instead. Unknown keys and bad values raise ``ConfigError`` with a message that
names the file and the key, which every front door turns into exit code 2.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional

from .config import PerFileIgnore, Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TABLE = "fastapi-pool-lint"
MAX_HELPER_DEPTH_LIMIT = 50
REPOSITORY_MARKERS = (".git", ".hg")
# How the configuration spells the kinds of synchronous database objects.
BLOCKING_KINDS = {"Session": "session", "Connection": "connection", "Engine": "engine", "Query": "query"}
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


class ConfigError(Exception):
    """The configuration cannot be used; ``str(self)`` is the whole message for the user."""


def parse_codes(items: Iterable[str], where: str) -> frozenset[str]:
    """Rule codes or prefixes (``FPL002``, ``FPL00``, ``FPL``, ``ALL``), comma-separated or not."""
    from .rules import ALL_RULES  # here: importing the rules imports the model

    codes: set[str] = set()
    for value in items:
        for item in value.split(","):
            code = item.strip().upper()
            if not code:
                continue
            if code == "ALL":
                code = "FPL"
            if not any(rule.code.startswith(code) for rule in ALL_RULES):
                known = ", ".join(rule.code for rule in ALL_RULES)
                raise ConfigError(f"{where}: unknown rule code {item.strip()!r} (known: {known})")
            codes.add(code)
    return frozenset(codes)


# ---------------------------------------------------------------------------- value checkers


def _string_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings, got {value!r}")
    return value


def _codes(value: Any, where: str) -> frozenset[str]:
    return parse_codes(_string_list(value, where), where)


def _depth(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_HELPER_DEPTH_LIMIT:
        raise ConfigError(
            f"{where} must be an integer from 0 to {MAX_HELPER_DEPTH_LIMIT}, got {value!r}"
        )
    return value


def _seconds(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where} must be a whole number of seconds, at least 1, got {value!r}")
    return value


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    patterns = _string_list(value, where)
    for pattern in patterns:
        _check_pattern(pattern, where)
    return tuple(patterns)


def _check_pattern(pattern: str, where: str) -> None:
    import pathspec

    if not pattern.strip():
        raise ConfigError(f"{where}: empty pattern")
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except ValueError as error:
        raise ConfigError(f"{where}: invalid pattern {pattern!r}: {error}") from None


def _per_file_ignores(value: Any, where: str) -> tuple[PerFileIgnore, ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where} must be a table of pattern = [codes], e.g. \"tests/*\" = [\"FPL002\"]"
        )
    out = []
    for pattern, codes in value.items():
        entry = f"{where}.{pattern!r}" if pattern else where
        _check_pattern(pattern, where)
        out.append(PerFileIgnore(pattern, _codes(codes, entry)))
    return tuple(out)


def _dotted_names(value: Any, where: str) -> frozenset[str]:
    names = _string_list(value, where)
    for name in names:
        if not _DOTTED.match(name):
            raise ConfigError(
                f"{where}: {name!r} is not a qualified name such as \"mycompany.db.new_session\""
            )
    return frozenset(names)


def _blocking_methods(value: Any, where: str) -> frozenset[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for item in _string_list(value, where):
        kind, _, method = item.partition(".")
        if kind not in BLOCKING_KINDS or not method.isidentifier():
            kinds = ", ".join(BLOCKING_KINDS)
            raise ConfigError(
                f"{where}: {item!r} must be Kind.method with Kind one of {kinds} "
                "(e.g. \"Session.upsert\")"
            )
        out.add((BLOCKING_KINDS[kind], method))
    return frozenset(out)


# key -> (Settings field, checker)
KEYS: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "select": ("select", _codes),
    "ignore": ("ignore", _codes),
    "extend-select": ("extend_select", _codes),
    "extend-exclude": ("extend_exclude", _patterns),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "max-helper-depth": ("max_helper_depth", _depth),
    "session-factories": ("session_factories", _dotted_names),
    "blocking-methods": ("blocking_methods", _blocking_methods),
    "fix-pool-timeout": ("fix_pool_timeout", _seconds),
}


def settings_from_table(table: Mapping[str, Any], source: str, base: Path) -> Settings:
    """Validate the ``[tool.fastapi-pool-lint]`` table (``source`` names it in errors)."""
    values: dict[str, Any] = {"base": base}
    for key, value in table.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(KEYS)})"
            raise ConfigError(f"{source}: unknown key {key!r} in [tool.{TABLE}]{hint}")
        field, check = KEYS[key]
        values[field] = check(value, f"{source}: [tool.{TABLE}] {key}")
    return Settings(**values)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - data.rfind(b"\n", 0, error.start)
        byte = data[error.start : error.start + 1].hex()
        raise ConfigError(
            f"{path}: invalid TOML: byte 0x{byte} at line {line}, column {column} is not UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None


def _table(document: Mapping[str, Any]) -> Optional[Any]:
    tool = document.get("tool")
    return tool.get(TABLE) if isinstance(tool, Mapping) else None


def load_config(path: Path, base: Optional[Path] = None) -> Settings:
    """Settings from the file ``path``: it must have ``[tool.fastapi-pool-lint]``. Patterns are
    relative to ``base``, by default the file's directory."""
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    table = _table(_read_toml(path))
    if table is None:
        raise ConfigError(f"{path}: no [tool.{TABLE}] table")
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path}: [tool.{TABLE}] must be a table")
    return settings_from_table(table, str(path), (base or path.resolve().parent).resolve())


@lru_cache(maxsize=256)
def find_config(start: Path) -> Optional[Path]:
    """The nearest ``pyproject.toml`` at or above ``start`` with our table, within the repository."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _table(_read_toml(pyproject)) is not None:
            return pyproject
        if any((candidate / marker).exists() for marker in REPOSITORY_MARKERS):
            return None
    return None


def discover_settings(first_path: Path, config: Optional[Path] = None) -> tuple[Settings, Optional[Path]]:
    """The settings for a run: the table found from ``first_path``, or the file ``config``
    (``--config``), whose patterns are then relative to the working directory, as in ruff: a
    shared configuration file usually lives outside the project it is used for."""
    if config is not None:
        return load_config(config, base=Path.cwd()), config
    found = find_config(first_path.resolve())
    if found is None:
        return Settings(), None
    return load_config(found), found


def with_overrides(
    settings: Settings,
    *,
    select: Optional[frozenset[str]] = None,
    ignore: Optional[frozenset[str]] = None,
    extend_select: Optional[frozenset[str]] = None,
) -> Settings:
    """Command-line options on top of the file: ``--select`` replaces the configured selection
    (``select`` and ``extend-select``); ``--ignore`` and ``--extend-select`` add to it."""
    if select is not None:
        settings = replace(settings, select=select, extend_select=frozenset())
    if ignore:
        settings = replace(settings, ignore=settings.ignore | ignore)
    if extend_select:
        settings = replace(settings, extend_select=settings.extend_select | extend_select)
    return settings
