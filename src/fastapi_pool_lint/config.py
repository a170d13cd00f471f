"""Settings that steer a run: which rules, how deep to follow helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

DEFAULT_MAX_HELPER_DEPTH = 6
DEFAULT_FIX_POOL_TIMEOUT = 30  # seconds; SQLAlchemy's own default


@dataclass(frozen=True)
class Settings:
    select: Optional[frozenset[str]] = None  # None: every rule
    ignore: frozenset[str] = frozenset()
    max_helper_depth: int = DEFAULT_MAX_HELPER_DEPTH
    fix_pool_timeout: int = DEFAULT_FIX_POOL_TIMEOUT  # what FPL003's fix puts instead of None
    plan_fixes: bool = True  # give findings their edits (JSON output, ``fix``); text needs none

    def enabled(self, code: str) -> bool:
        if any(code.startswith(prefix) for prefix in self.ignore):
            return False
        if self.select is None:
            return True
        return any(code.startswith(prefix) for prefix in self.select)
