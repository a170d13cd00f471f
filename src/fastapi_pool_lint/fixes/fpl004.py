"""FPL004 fix (safe): spell out SQLAlchemy's default ``pool_timeout=30`` on the engine call."""

from __future__ import annotations

from ..findings import Finding
from ..model import known
from ..model.engines import pool_class
from .base import SAFE, CannotFix, Plan
from .changes import AddKeyword
from .context import Fixer

DEFAULT_POOL_TIMEOUT = "30"  # SQLAlchemy's default: making it explicit changes nothing at run time


class ImplicitPoolTimeoutFixer(Fixer):
    code = "FPL004"

    def plan(self, finding: Finding) -> Plan:
        engine = self.context.engine_call(finding)
        pools = pool_class(engine, self.analysis.evaluator)
        if pools is not None:
            rejecting = sorted(pools & known.NON_TIMEOUT_POOLS)
            if rejecting:
                name = rejecting[0].rsplit(".", 1)[-1]
                raise CannotFix(f"`poolclass` may be {name}, which rejects `pool_timeout`")
            if not pools or not pools <= known.QUEUE_POOLS:
                raise CannotFix("cannot tell which pool class `poolclass` names")
        self.context.parsed(engine.env.module)  # the module can be edited
        return Plan(
            SAFE,
            f"Add `pool_timeout={DEFAULT_POOL_TIMEOUT}` (SQLAlchemy's default, now explicit)",
            changes=(
                AddKeyword(
                    engine.env.module, engine.call.node, "pool_timeout", DEFAULT_POOL_TIMEOUT
                ),
            ),
        )
