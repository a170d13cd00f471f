"""Which calls in a coroutine end in synchronous database I/O, and through which helpers.

A call blocks when it is a blocking method of a synchronous Session/Connection/Engine/Query, or
when it calls a synchronous project function (function, method, constructor, ``__call__``) whose
body contains such a call, with the call's arguments bound to the helper's parameters, up to
``max_depth`` helpers deep. Work handed to ``run_in_threadpool``/``to_thread``/executors is passed
as a function reference, never called in the coroutine, so it is never followed. Awaited async
helpers are coroutines themselves and are analysed in their own body.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

from ..summary.records import Attr, Call, Iteration, NodeId
from . import known
from .callgraph import CallGraph
from .evaluator import Env, Evaluator, call_argument, render
from .project import ProjectModel
from .values import (
    BoundMethod,
    ClassRef,
    Closure,
    DbMethod,
    DbObject,
    External,
    FunctionRef,
    Instance,
    Origin,
    Site,
    Value,
    options,
)


@dataclass(frozen=True)
class Step:
    site: Site  # the call
    label: str  # how it reads: "crud.get_user", "Session.query(...).first()"
    callee: Optional[FunctionRef]  # the helper it enters; None for the database call itself
    origin: Optional[Origin] = None  # for the database call: how its session was opened


@dataclass(frozen=True)
class BlockingCall:
    coroutine: FunctionRef
    node: NodeId  # where in the coroutine: the call, or the iterable of a ``for``
    chain: tuple[Step, ...]  # chain[0] is at ``node``; chain[-1] the database call
    call: Optional[Call] = None  # None when the coroutine itself iterates a Query

    @property
    def chain_text(self) -> str:
        return " -> ".join(step.label for step in self.chain)

    @property
    def final(self) -> Step:
        return self.chain[-1]


def db_call_label(method: DbMethod) -> str:
    obj = method.obj
    if isinstance(obj, DbObject) and obj.kind == "query":
        return f"Session.query(...).{method.name}()"
    kind = obj.kind if isinstance(obj, DbObject) else "session"
    return f"{known.KIND_DISPLAY.get(kind, kind)}.{method.name}()"


def is_blocking(method: DbMethod, extra: frozenset[tuple[str, str]] = frozenset()) -> bool:
    """Whether ``method`` does I/O: the built-in table, plus configured ``(kind, name)`` pairs."""
    obj = method.obj
    if not isinstance(obj, DbObject) or obj.kind not in known.SYNC_KINDS:
        return False
    return (
        method.name in known.BLOCKING_METHODS.get(obj.kind, frozenset())
        or method.name.startswith(known.BLOCKING_PREFIXES.get(obj.kind, ()))
        or (obj.kind, method.name) in extra
    )


class BlockingAnalysis:
    def __init__(
        self,
        project: ProjectModel,
        evaluator: Evaluator,
        calls: CallGraph,
        max_depth: int,
        extra_methods: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        self.project = project
        self.evaluator = evaluator
        self.calls = calls
        self.max_depth = max_depth
        self.extra_methods = extra_methods
        self._helper_chains: dict[object, Optional[tuple[Step, ...]]] = {}
        self._active: set[object] = set()

    def blocking_calls(self) -> Iterator[BlockingCall]:
        """Every call in an ``async def`` body that blocks, with its chain."""
        for ref, function in self.project.iter_functions():
            if not function.is_async:
                continue
            env = Env(ref.module, ref.key)
            for call in function.body.calls:
                chain = self.chain(call, env, 0)
                if chain is not None:
                    yield BlockingCall(ref, call.node, chain, call)
            for iteration in function.body.iterations:
                step = self.iteration_step(iteration, env)
                if step is not None:
                    yield BlockingCall(ref, iteration.node, (step,))

    def _sync_query(self, value: Value) -> Optional[DbObject]:
        for option in options(value):
            if isinstance(option, DbObject) and option.kind == "query":
                return option
        return None

    def iteration_step(self, iteration: Iteration, env: Env) -> Optional[Step]:
        """``for row in session.query(...)``: iterating a Query runs its SELECT."""
        query = self._sync_query(self.evaluator.eval(iteration.value, env))
        if query is None:
            return None
        site = Site(env.module, iteration.node)
        return Step(site, "iterating Session.query(...)", None, query.origin)

    def chain(self, call: Call, env: Env, depth: int) -> Optional[tuple[Step, ...]]:
        site = Site(env.module, call.node)
        metadata = self._metadata_io(call, env)
        if metadata is not None:
            return (Step(site, metadata, None),)
        callee = self.evaluator.eval(call.func, env)
        for option in options(callee):
            if isinstance(option, External) and option.qname in known.ITERATING_BUILTINS:
                query = self._sync_query(self.evaluator.eval(call_argument(call, 0, ""), env))
                if query is not None:
                    name = option.qname.rsplit(".", 1)[-1]
                    return (Step(site, f"{name}(Session.query(...))", None, query.origin),)
                continue
            if isinstance(option, DbMethod):
                # ``await session.execute(...)``: the code treats the object as async, so our
                # inference that it is a sync session is the likelier mistake.
                if not call.awaited and is_blocking(option, self.extra_methods):
                    origin = option.obj.origin if isinstance(option.obj, DbObject) else None
                    return (Step(site, db_call_label(option), None, origin),)
                continue
            if depth >= self.max_depth or call.awaited:
                # An awaited call to a sync function returns an awaitable (a decorator we do
                # not know made it async): the body does not run here.
                continue
            target, receiver, outer = self._helper(option)
            if target is None:
                continue
            function = self.project.function(target)
            if function is None or function.is_async:
                continue
            if function.is_generator and known.CONTEXTMANAGER not in (
                self.evaluator.decorator_names(target)
            ):
                # Calling a generator function runs none of its body: whoever iterates the
                # generator does (``StreamingResponse`` iterates sync ones in the threadpool).
                continue
            context = self.evaluator.bind_arguments(function, receiver, call.args, env)
            rest = self._helper_chain(target, context, depth + 1, outer)
            if rest is not None:
                return (Step(site, render(call.func), target), *rest)
        return None

    def _metadata_io(self, call: Call, env: Env) -> Optional[str]:
        """``metadata.create_all(engine)`` and friends: DDL/reflection on a sync engine."""
        func = call.func
        if not isinstance(func, Attr) or func.attr not in known.METADATA_IO_METHODS:
            return None
        bind = self.evaluator.eval(call_argument(call, 0, "bind"), env)
        for option in options(bind):
            if isinstance(option, DbObject) and option.kind in ("engine", "connection"):
                return f"MetaData.{func.attr}()"
        return None

    def _helper(
        self, value: Value
    ) -> tuple[Optional[FunctionRef], Optional[Value], tuple[tuple[str, Value], ...]]:
        """The function a call runs, its receiver, and the closure bindings it runs with."""
        if isinstance(value, FunctionRef):
            decorated = self.evaluator.decorated(value)  # ``@with_session``: the wrapper runs
            if isinstance(decorated, Closure):
                return decorated.function, None, decorated.outer
            return value, None, ()
        if isinstance(value, Closure):
            return value.function, None, value.outer
        if isinstance(value, BoundMethod):
            return value.function, value.receiver, ()
        if isinstance(value, ClassRef):
            return self.evaluator.find_method(value, "__init__"), Instance(value), ()
        if isinstance(value, Instance):
            return self.evaluator.find_method(value.cls, "__call__"), value, ()
        return None, None, ()

    def _helper_chain(
        self,
        ref: FunctionRef,
        context: tuple[tuple[str, Value], ...],
        depth: int,
        outer: tuple[tuple[str, Value], ...] = (),
    ) -> Optional[tuple[Step, ...]]:
        key = (ref, context, depth, outer)
        if key in self._helper_chains:
            return self._helper_chains[key]
        if (ref, context, outer) in self._active:
            return None
        self._active.add((ref, context, outer))
        try:
            function = self.project.function(ref)
            result: Optional[tuple[Step, ...]] = None
            if function is not None:
                env = Env(ref.module, ref.key, context=context, outer=outer)
                for call in function.body.calls:
                    result = self.chain(call, env, depth)
                    if result is not None:
                        break
                if result is None:
                    for iteration in function.body.iterations:
                        step = self.iteration_step(iteration, env)
                        if step is not None:
                            result = (step,)
                            break
        finally:
            self._active.discard((ref, context, outer))
        self._helper_chains[key] = result
        return result

    def entry_points(self, coroutine: FunctionRef, is_entry: set[FunctionRef]) -> list[FunctionRef]:
        """The routes/dependencies (``is_entry``) that reach ``coroutine`` through its callers."""
        found: list[FunctionRef] = []
        seen = {coroutine}
        queue = deque([coroutine])
        while queue:
            current = queue.popleft()
            for caller in self.calls.callers_of(current):
                if caller in seen:
                    continue
                seen.add(caller)
                if caller in is_entry:
                    found.append(caller)
                queue.append(caller)
        return found
