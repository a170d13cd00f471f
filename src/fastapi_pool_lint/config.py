"""Settings that steer a run: which rules, how deep to follow helpers, what the project adds.

``Settings`` is frozen and hashable, so caches can key on it. It is built from defaults, then
``[tool.fastapi-pool-lint]`` (``settings_loader``), then command-line options.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

DEFAULT_MAX_HELPER_DEPTH = 6
DEFAULT_FIX_POOL_TIMEOUT = 30  # seconds; SQLAlchemy's own default


def _longest_match(code: str, prefixes: frozenset[str]) -> int:
    """Length of the longest prefix in ``prefixes`` that ``code`` starts with; -1 for none."""
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


@dataclass(frozen=True)
class PerFileIgnore:
    """``pattern`` (gitignore syntax, relative to ``Settings.base``) turns off ``codes``."""

    pattern: str
    codes: frozenset[str]


@dataclass(frozen=True)
class Settings:
    select: Optional[frozenset[str]] = None  # None: every rule
    ignore: frozenset[str] = frozenset()
    extend_select: frozenset[str] = frozenset()
    max_helper_depth: int = DEFAULT_MAX_HELPER_DEPTH
    # Discovery and reporting.
    extend_exclude: tuple[str, ...] = ()  # gitignore patterns relative to ``base``
    per_file_ignores: tuple[PerFileIgnore, ...] = ()
    base: Optional[Path] = None  # directory patterns are relative to (the config file's)
    # What the project adds to the built-in tables (``model/known.py``).
    session_factories: frozenset[str] = frozenset()  # qualified names; a call returns a Session
    blocking_methods: frozenset[tuple[str, str]] = frozenset()  # (kind, method): ("session", "x")
    # Fixes.
    fix_pool_timeout: int = DEFAULT_FIX_POOL_TIMEOUT  # what FPL003's fix puts instead of None
    plan_fixes: bool = True  # give findings their edits (JSON output, ``fix``); text needs none

    def enabled(self, code: str) -> bool:
        """The most specific matching prefix decides; on a tie ``ignore`` wins.

        ``select = ["FPL"]`` with ``ignore = ["FPL004"]`` turns FPL004 off; ``ignore = ["FPL"]``
        with ``select = ["FPL002"]`` keeps only FPL002.
        """
        selected = (self.select if self.select is not None else frozenset({"FPL"}))
        chosen = _longest_match(code, selected | self.extend_select)
        return chosen >= 0 and chosen > _longest_match(code, self.ignore)

    def blocking_methods_for(self, kind: str) -> frozenset[str]:
        return frozenset(name for k, name in self.blocking_methods if k == kind)
