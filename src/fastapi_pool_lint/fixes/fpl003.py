"""FPL003 fix (unsafe): a finite pool timeout instead of ``None``."""

from __future__ import annotations

from typing import Optional

from ..findings import Finding
from ..model.engines import EngineCall, pool_timeout_none
from ..model.evaluator import Env, call_argument, keyword_argument
from ..summary.records import Const, DictExpr, Expr, ImportBinding, Name, ValueBinding
from .base import UNSAFE, CannotFix, Change, Plan
from .changes import ReplaceArgument, ReplaceDictEntryInArgument, ReplaceDictEntryInAssignment
from .context import Fixer


def _index(engine: EngineCall, expr: Optional[Expr]) -> int:
    for i, arg in enumerate(engine.call.args):
        if arg.value is expr:
            return i
    raise CannotFix("cannot find the argument to edit")


class PoolTimeoutNoneFixer(Fixer):
    code = "FPL003"

    def plan(self, finding: Finding) -> Plan:
        engine = self.context.engine_call(finding)
        evaluator = self.analysis.evaluator
        quoted = pool_timeout_none(engine, evaluator)
        if quoted is None:
            raise CannotFix("the infinite timeout is no longer there")
        seconds = str(self.context.settings.fix_pool_timeout)
        module = engine.env.module
        call = engine.call
        change: Change
        if quoted == "pool_timeout=None":
            change = ReplaceArgument(
                module, call.node, _index(engine, keyword_argument(call, "pool_timeout")), seconds
            )
            replacement = f"pool_timeout={seconds}"
        elif quoted == "timeout=None":
            change = ReplaceArgument(
                module, call.node, _index(engine, call_argument(call, 3, "timeout")), seconds
            )
            replacement = f"timeout={seconds}"
        else:
            change = self._config_change(engine, quoted, seconds)
            replacement = quoted.replace("None", seconds)
        self.context.parsed(change.module)
        return Plan(
            UNSAFE,
            f"Replace `{quoted}` with `{replacement}`: an exhausted pool then fails after "
            f"{seconds} s instead of hanging forever",
            changes=(change,),
        )

    def _config_change(self, engine: EngineCall, quoted: str, seconds: str) -> Change:
        """The ``"<prefix>pool_timeout": None`` entry of ``engine_from_config``'s dict."""
        key = quoted.split('"')[1]
        call = engine.call
        config = call_argument(call, 0, "configuration")
        if isinstance(config, DictExpr):
            return ReplaceDictEntryInArgument(
                engine.env.module, call.node, _index(engine, config), key, seconds
            )
        if isinstance(config, Name):
            found = self._assigned_dict(engine.env.module, config.id, key, engine.env.function, 0)
            if found is not None:
                module, name = found
                return ReplaceDictEntryInAssignment(module, name, key, seconds)
        raise CannotFix(
            f"cannot find the literal configuration that sets `{key}` to None; change it where "
            f"it is defined"
        )

    def _assigned_dict(
        self, module_key: str, name: str, key: str, function: Optional[str], depth: int
    ) -> Optional[tuple[str, str]]:
        """The module-level ``name = {...}`` that sets ``key`` to None, following imports."""
        project = self.analysis.project
        if depth > 4 or (function is not None and self.analysis.evaluator.local_bindings(
            name, Env(module_key, function)
        )):
            return None
        bindings = project.modules[module_key].body.bindings.get(name, ())
        if len(bindings) != 1:
            return None
        binding = bindings[0]
        if (
            isinstance(binding, ValueBinding)
            and binding.via == "assign"
            and isinstance(binding.value, DictExpr)
            and _has_none_entry(binding.value, key)
        ):
            return module_key, name
        if isinstance(binding, ImportBinding) and "." in binding.target:
            owner, _, attr = binding.target.rpartition(".")
            target = project.module_for_name(owner, module_key)
            if target is not None:
                return self._assigned_dict(target, attr, key, None, depth + 1)
        return None


def _has_none_entry(config: DictExpr, key: str) -> bool:
    return any(
        isinstance(k, Const) and k.value == key and isinstance(v, Const) and v.value is None
        for k, v in config.items
    )
