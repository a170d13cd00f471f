"""FPL002 fix (unsafe): take blocking database I/O off the event loop.

A route or dependency that never awaits, is not a generator and that nothing in the project
calls becomes a plain ``def``: FastAPI then runs it in the threadpool. Otherwise the call in the
coroutine (the database call itself, or the call into the first helper of the chain) becomes
``await run_in_threadpool(<callable>, <arguments>)``: the arguments are still evaluated on the
loop, the call runs in a worker thread, and its value is returned where the call was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import libcst as cst

from ..findings import Finding
from ..model import known
from ..model.blocking import BlockingCall
from ..model.evaluator import Env, render
from ..model.sessions import session_generator
from ..model.values import BoundMethod, External, FunctionRef, options
from .base import UNSAFE, AddImport, CannotFix, Change, NodeChange, Plan
from .context import FixContext, Fixer
from .cstutil import await_in_threadpool

RUN_IN_THREADPOOL = "run_in_threadpool"
THREADPOOL_MODULE = "fastapi.concurrency"


@dataclass(frozen=True)
class MakeSync(NodeChange):
    """``async def f`` -> ``def f``."""

    def transform(self, node: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(node, cst.FunctionDef):
            raise CannotFix(f"expected a function, found {type(node).__name__}")
        return node.with_changes(asynchronous=None)


@dataclass(frozen=True)
class AwaitInThreadpool(NodeChange):
    """``f(x)`` -> ``await run_in_threadpool(f, x)`` (parenthesised where an operand)."""

    parenthesize: bool

    def transform(self, node: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(node, cst.Call):
            raise CannotFix(f"expected a call, found {type(node).__name__}")
        return await_in_threadpool(node, RUN_IN_THREADPOOL, parenthesize=self.parenthesize)


def _is_operand(call: cst.CSTNode, parent: Optional[cst.CSTNode]) -> bool:
    """Whether ``await <call>`` needs parentheses in this position (``(await f()).x``)."""
    return (
        (isinstance(parent, cst.Attribute) and parent.value is call)
        or (isinstance(parent, cst.Subscript) and parent.value is call)
        or (isinstance(parent, cst.Call) and parent.func is call)
    )


class BlockingCallFixer(Fixer):
    code = "FPL002"

    def __init__(self, context: FixContext) -> None:
        super().__init__(context)
        self._why_async: dict[FunctionRef, Optional[str]] = {}

    def plan(self, finding: Finding) -> Plan:
        blocking = self.context.blocking_call(finding)
        ref = blocking.coroutine
        function = self.analysis.project.function(ref)
        if function is None:
            raise CannotFix("the coroutine is no longer where the analysis found it")
        if ref not in self._why_async:
            self._why_async[ref] = self._reason_to_stay_async(ref)
        reason = self._why_async[ref]
        if reason is None:
            self.context.parsed(ref.module)
            return Plan(
                UNSAFE,
                f"Declare `{function.name}` with `def` instead of `async def`: it never awaits "
                f"and nothing calls it, so FastAPI runs it in the threadpool",
                changes=(MakeSync(ref.module, function.node),),
            )
        return self._wrap(blocking, reason)

    # ------------------------------------------------------------------ def or async def

    def _reason_to_stay_async(self, ref: FunctionRef) -> Optional[str]:
        """Why ``ref`` must stay a coroutine; None when ``def`` is a safe replacement."""
        analysis = self.analysis
        fastapi = analysis.fastapi
        project = analysis.project
        function = project.function(ref)
        assert function is not None
        name = project.short_name(ref)
        routes = fastapi.routes_of(ref)
        hook = fastapi.hooks.get(ref)
        if hook is not None:
            article = "" if hook == "middleware" else "an " if hook[0] in "aeiou" else "a "
            return f"`{name}` is registered as {article}{hook}"
        if not routes and not fastapi.is_dependency(ref):
            return f"`{name}` is not a route or dependency FastAPI could run in the threadpool"
        if any(route.is_websocket for route in routes):
            return f"`{name}` is a websocket route, which must be a coroutine"
        if function.is_generator:
            return f"`{name}` is an async generator"
        if function.awaits:
            return f"`{name}` awaits"
        for site in analysis.calls.sites_calling(ref):
            return f"`{name}` is called directly in {site.env.module}"
        if not fastapi.only_route_decorators(ref):
            return f"`{name}` has decorators that may expect a coroutine"
        env = Env(ref.module, ref.key)
        for call in function.body.calls:
            for option in options(analysis.evaluator.eval(call.func, env)):
                target = option.function if isinstance(option, BoundMethod) else option
                if isinstance(target, FunctionRef):
                    callee = project.function(target)
                    if callee is not None and callee.is_async:
                        return f"`{name}` calls coroutine function `{render(call.func)}`"
                if isinstance(target, External) and target.qname.split(".")[0] in (
                    "asyncio",
                    "anyio",
                ):
                    return f"`{name}` uses `{render(call.func)}`, which needs the event loop"
        reached = set(fastapi.closure(ref))
        for route in routes:
            reached |= fastapi.route_dependencies(route)
        for dependency in fastapi.class_dependencies(ref):  # class-based views: ``self.db``
            reached |= {dependency, *fastapi.closure(dependency)}
        for dependency in sorted(reached, key=lambda r: (r.module, r.key)):
            if session_generator(analysis.evaluator, dependency) is not None:
                return (
                    f"`{name}` gets a session from sync generator dependency "
                    f"`{project.short_name(dependency)}`; as a sync function it would hold that "
                    f"connection across response validation (FPL001)"
                )
        return None

    # ------------------------------------------------------------------ wrapping

    def _wrap(self, blocking: BlockingCall, reason: str) -> Plan:
        ref = blocking.coroutine
        project = self.analysis.project
        function = project.function(ref)
        assert function is not None
        call = blocking.call
        if call is None:
            raise CannotFix("the coroutine iterates a Query itself: there is no call to wrap")
        if call.awaited:
            raise CannotFix("the call is already awaited")
        parsed = self.context.parsed(ref.module)
        node = parsed.node(call.node)
        if not isinstance(node, cst.Call):
            raise CannotFix("the blocking call is no longer where the analysis found it")
        definition = parsed.node(function.node)
        for ancestor in parsed.ancestors(node):
            if ancestor is definition:
                break
            if isinstance(ancestor, cst.GeneratorExp):
                raise CannotFix(
                    "the call is inside a generator expression, where `await` would make it "
                    "an async generator"
                )
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                raise CannotFix("the call is in a nested scope")
        else:
            raise CannotFix("the call is not in the coroutine's body")
        changes: list[Change] = [
            AwaitInThreadpool(ref.module, call.node, _is_operand(node, parsed.parent(node)))
        ]
        changes.extend(self._import(ref))
        if len(blocking.chain) > 1:
            what = f"the call to helper `{render(call.func)}`"
        else:
            what = f"`{blocking.final.label}`"
        return Plan(
            UNSAFE,
            f"Run {what} in the threadpool with `await {RUN_IN_THREADPOOL}(...)` ({reason}, "
            f"so it stays `async def`)",
            changes=tuple(changes),
        )

    def _import(self, ref: FunctionRef) -> list[Change]:
        """The import of ``run_in_threadpool`` the module needs (none if it has it)."""
        project = self.analysis.project
        function = project.function(ref)
        assert function is not None
        if RUN_IN_THREADPOOL in function.body.bindings:
            raise CannotFix(f"`{RUN_IN_THREADPOOL}` is a local name in `{function.name}`")
        module = project.modules[ref.module]
        if RUN_IN_THREADPOOL not in module.body.bindings:
            return [AddImport(ref.module, THREADPOOL_MODULE, RUN_IN_THREADPOOL)]
        value = self.analysis.evaluator.module_member(ref.module, RUN_IN_THREADPOOL)
        if isinstance(value, External) and value.qname == known.RUN_IN_THREADPOOL:
            return []
        raise CannotFix(f"`{RUN_IN_THREADPOOL}` means something else in {ref.module}")
