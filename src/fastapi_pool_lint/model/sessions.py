"""Session dependencies: which generators yield a sync session and how they treat it.

FPL001 reports the generators; its fix needs to know how each one opens the session, whether it
commits, and whether a route manages the transaction itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..summary.records import Attr, Call, Either, Expr, Name, Seq, Subscript, ValueBinding
from . import known
from .evaluator import Env, Evaluator
from .project import ProjectModel
from .values import BoundMethod, DbMethod, DbObject, FunctionRef, Value, options

TRANSPARENT_DECORATORS = frozenset({known.STATICMETHOD, known.CLASSMETHOD})
TRANSACTION_METHODS = frozenset({"commit", "rollback", "begin", "begin_nested", "close"})
LIFECYCLE_METHODS = frozenset({"commit", "rollback", "close"})
MAX_HELPER_DEPTH = 6


def yielded_sync_session(evaluator: Evaluator, ref: FunctionRef) -> Optional[DbObject]:
    """The sync session or connection a function yields, if it yields one."""
    for option in options(evaluator.produced(ref, (), "yield")):
        if isinstance(option, DbObject) and option.kind in ("session", "connection"):
            return option
    return None


def session_generator(evaluator: Evaluator, ref: FunctionRef) -> Optional[DbObject]:
    """What a plain ``def`` generator FastAPI could inject yields, when it is a sync session.

    Decorated generators (``@contextmanager``, fixtures, wrappers) are not what FastAPI sees and
    answer None; ``@staticmethod``/``@classmethod`` are transparent.
    """
    function = evaluator.project.function(ref)
    if function is None or function.is_async or not function.is_generator:
        return None
    if evaluator.decorator_names(ref) - TRANSPARENT_DECORATORS:
        return None
    return yielded_sync_session(evaluator, ref)


@dataclass(frozen=True)
class GeneratorLifecycle:
    """How a session generator opens, commits and closes what it yields.

    ``opener`` is the call that creates the session (``SessionLocal()``, ``Session(engine)``,
    ``SessionLocal.begin()``, ``engine.connect()``); ``via`` says how its result reaches the
    ``yield``: ``assign`` (``db = opener``), ``with`` (``with opener as db``) or ``yield``
    (``yield opener``). ``other_calls`` are the calls the generator makes beyond opening,
    committing, rolling back and closing: behaviour a rewrite would lose.
    """

    variable: Optional[str]
    opener: Call
    via: str
    commits: bool
    rolls_back: bool
    closes: bool
    other_calls: tuple[Call, ...]


def _call_ids(expr: Expr, out: set[int]) -> None:
    if isinstance(expr, Call):
        out.add(expr.node)
        _call_ids(expr.func, out)
        for arg in expr.args:
            _call_ids(arg.value, out)
    elif isinstance(expr, Attr):
        _call_ids(expr.value, out)
    elif isinstance(expr, Subscript):
        _call_ids(expr.value, out)
        for item in expr.items:
            _call_ids(item, out)
    elif isinstance(expr, (Seq, Either)):
        items = expr.items if isinstance(expr, Seq) else expr.options
        for item in items:
            _call_ids(item, out)


def generator_lifecycle(project: ProjectModel, ref: FunctionRef) -> Optional[GeneratorLifecycle]:
    """The lifecycle of a generator that yields one session, or None when it is not that shape."""
    function = project.function(ref)
    if function is None or len(function.yields) != 1:
        return None
    yielded = function.yields[0]
    variable: Optional[str] = None
    if isinstance(yielded, Call):
        opener, via = yielded, "yield"
    elif isinstance(yielded, Name):
        variable = yielded.id
        bindings = function.body.bindings.get(variable, ())
        if len(bindings) != 1:
            return None
        binding = bindings[0]
        if not isinstance(binding, ValueBinding) or not isinstance(binding.value, Call):
            return None
        if binding.via not in ("assign", "with"):
            return None
        opener, via = binding.value, binding.via
    else:
        return None
    opener_calls: set[int] = set()
    _call_ids(opener, opener_calls)
    methods: set[str] = set()
    other: list[Call] = []
    for call in function.body.calls:
        if call.node in opener_calls:
            continue
        func = call.func
        if (
            variable is not None
            and isinstance(func, Attr)
            and isinstance(func.value, Name)
            and func.value.id == variable
            and func.attr in LIFECYCLE_METHODS
            and not call.args
        ):
            methods.add(func.attr)
        else:
            other.append(call)
    return GeneratorLifecycle(
        variable=variable,
        opener=opener,
        via=via,
        commits="commit" in methods,
        rolls_back="rollback" in methods,
        closes="close" in methods or via == "with",
        other_calls=tuple(other),
    )


class TransactionCalls:
    """Whether a function, or a sync helper it calls, commits/rolls back/begins a sync session.

    Helpers are followed with the call's arguments bound to their parameters, like the blocking
    analysis does, up to ``max_depth`` calls deep.
    """

    def __init__(self, evaluator: Evaluator, max_depth: int = MAX_HELPER_DEPTH) -> None:
        self.evaluator = evaluator
        self.project = evaluator.project
        self.max_depth = max_depth
        self._memo: dict[tuple[FunctionRef, tuple[tuple[str, Value], ...]], Optional[str]] = {}

    def first(self, ref: FunctionRef) -> Optional[str]:
        """The first transaction call reachable from ``ref``'s body (``Session.commit()``...)."""
        return self._function(ref, (), 0)

    def _function(
        self, ref: FunctionRef, context: tuple[tuple[str, Value], ...], depth: int
    ) -> Optional[str]:
        key = (ref, context)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # cycle guard
        function = self.project.function(ref)
        result: Optional[str] = None
        if function is not None and not function.is_async:
            env = Env(ref.module, ref.key, context=context)
            for call in function.body.calls:
                result = self._call(call, env, depth)
                if result is not None:
                    break
        self._memo[key] = result
        return result

    def _call(self, call: Call, env: Env, depth: int) -> Optional[str]:
        for option in options(self.evaluator.eval(call.func, env)):
            if isinstance(option, DbMethod):
                obj = option.obj
                if (
                    isinstance(obj, DbObject)
                    and obj.kind in ("session", "connection")
                    and option.name in TRANSACTION_METHODS
                ):
                    return f"{known.KIND_DISPLAY[obj.kind]}.{option.name}()"
                continue
            if depth >= self.max_depth:
                continue
            target, receiver = None, None
            if isinstance(option, FunctionRef):
                target = option
            elif isinstance(option, BoundMethod):
                target, receiver = option.function, option.receiver
            if target is None:
                continue
            function = self.project.function(target)
            if function is None:
                continue
            context = self.evaluator.bind_arguments(function, receiver, call.args, env)
            found = self._function(target, context, depth + 1)
            if found is not None:
                return found
        return None
