"""Engine and pool constructions, and what their arguments say about pooling."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

from ..summary.records import Call, Const, DictExpr
from . import known
from .callgraph import CallGraph
from .evaluator import Env, Evaluator, call_argument, keyword_argument
from .values import External, Literal, LiteralPrefix, Value, options

ENGINE_FACTORIES = frozenset(
    {
        known.CREATE_ENGINE,
        known.CREATE_ASYNC_ENGINE,
        known.ENGINE_FROM_CONFIG,
        known.QUEUE_POOL,
        known.ASYNC_QUEUE_POOL,
    }
)


@dataclass(frozen=True)
class EngineCall:
    env: Env
    call: Call
    factory: str  # canonical name of what is called

    @property
    def has_kwargs_splat(self) -> bool:
        return any(arg.star == "**" for arg in self.call.args)


_ENGINE_CALLS: weakref.WeakKeyDictionary[CallGraph, list[EngineCall]] = weakref.WeakKeyDictionary()


def engine_calls(calls: CallGraph) -> Iterator[EngineCall]:
    """Every call of an engine or pool factory (found once per call graph, asked by two rules)."""
    found = _ENGINE_CALLS.get(calls)
    if found is None:
        found = []
        for env, call, callee in calls.evaluated:
            for option in options(callee):
                if isinstance(option, External) and option.qname in ENGINE_FACTORIES:
                    found.append(EngineCall(env, call, option.qname))
                    break
        _ENGINE_CALLS[calls] = found
    return iter(found)


def is_none(value: Value) -> bool:
    return isinstance(value, Literal) and value.value is None


def pool_timeout_none(engine: EngineCall, evaluator: Evaluator) -> Optional[str]:
    """How the call sets an infinite pool timeout (the text to quote), or None."""
    call, env = engine.call, engine.env
    if engine.factory in (known.CREATE_ENGINE, known.CREATE_ASYNC_ENGINE, known.ENGINE_FROM_CONFIG):
        value = keyword_argument(call, "pool_timeout")
        if value is not None and is_none(evaluator.eval(value, env)):
            return "pool_timeout=None"
    if engine.factory in known.QUEUE_POOLS:
        value = call_argument(call, 3, "timeout")
        if value is not None and is_none(evaluator.eval(value, env)):
            return "timeout=None"
    if engine.factory == known.ENGINE_FROM_CONFIG:
        prefix_expr = call_argument(call, 1, "prefix")
        prefix = "sqlalchemy."
        if isinstance(prefix_expr, Const) and isinstance(prefix_expr.value, str):
            prefix = prefix_expr.value
        key = f"{prefix}pool_timeout"
        config = call_argument(call, 0, "configuration")
        for source, source_env in evaluator.literal_sources(config, env):
            if not isinstance(source, DictExpr):
                continue
            for item_key, item_value in source.items:
                if (
                    isinstance(item_key, Const)
                    and item_key.value == key
                    and is_none(evaluator.eval(item_value, source_env))
                ):
                    return f'"{key}": None'
    return None


def url_schemes(value: Value) -> Optional[set[str]]:
    """The schemes a database URL may have (``postgresql+psycopg``...), or None when any of
    its possible values cannot be read."""
    schemes: set[str] = set()
    alternatives = options(value)
    if not alternatives:
        return None
    for option in alternatives:
        text = None
        if isinstance(option, Literal) and isinstance(option.value, str):
            text = option.value
        elif isinstance(option, LiteralPrefix):
            text = option.prefix
        if not text or ":" not in text:
            return None
        schemes.add(text.split(":", 1)[0].lower())
    return schemes


def pool_class(engine: EngineCall, evaluator: Evaluator) -> Optional[set[str]]:
    """Canonical names ``poolclass=`` may be; None when not given, empty when unreadable."""
    expr = keyword_argument(engine.call, "poolclass")
    if expr is None:
        return None
    return {o.qname for o in options(evaluator.eval(expr, engine.env)) if isinstance(o, External)}


def implicit_timeout_pooled(engine: EngineCall, evaluator: Evaluator) -> bool:
    """A ``create_engine`` call that will use a QueuePool with an implicit ``pool_timeout``."""
    if engine.factory != known.CREATE_ENGINE or engine.has_kwargs_splat:
        return False
    if keyword_argument(engine.call, "pool_timeout") is not None:
        return False
    pools = pool_class(engine, evaluator)
    if pools is not None:
        return bool(pools) and pools <= known.QUEUE_POOLS
    schemes = url_schemes(evaluator.eval(call_argument(engine.call, 0, "url"), engine.env))
    # Silent only when every URL the engine can get is SQLite's.
    return schemes is None or not all(scheme.startswith("sqlite") for scheme in schemes)
