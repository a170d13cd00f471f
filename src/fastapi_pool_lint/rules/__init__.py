"""The rule registry: one module per rule, listed here in code order."""

from __future__ import annotations

from .base import Rule, RuleDoc
from .fpl001_sync_generator_session_dependency import SyncGeneratorSessionDependency
from .fpl002_blocking_db_call_in_coroutine import BlockingDbCallInCoroutine
from .fpl003_pool_timeout_none import PoolTimeoutNone
from .fpl004_implicit_pool_timeout import ImplicitPoolTimeout

ALL_RULES: tuple[Rule, ...] = (
    SyncGeneratorSessionDependency(),
    BlockingDbCallInCoroutine(),
    PoolTimeoutNone(),
    ImplicitPoolTimeout(),
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE", "Rule", "RuleDoc"]
