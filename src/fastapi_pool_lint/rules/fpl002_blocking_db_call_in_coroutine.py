"""FPL002: synchronous database I/O inside a coroutine."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding, Fix, Related
from ..model.analysis import ProjectAnalysis
from ..model.blocking import BlockingCall
from ..model.evaluator import render
from ..model.fastapi_app import PER_REQUEST_HOOKS
from ..model.values import FunctionRef, Site
from .base import Rule, RuleDoc, location

STARTUP_HOOKS = frozenset({"lifespan hook", "startup handler", "shutdown handler"})

DOC = RuleDoc(
    what_it_does=(
        "Finds calls inside an `async def` (routes of every kind including websockets, "
        "dependencies, middleware, exception handlers, lifespan hooks, background tasks and "
        "plain async helpers) that do synchronous database I/O: `execute`, `scalar(s)`, "
        "`get`, `get_one`, `exec`, `commit`, `flush`, `refresh`, `rollback`, `merge`, "
        "`connection()` on a sync `Session`; `query(...)` chains ending in `all`, `first`, "
        "`one`, `one_or_none`, `scalar`, `count`..., and iterating a query (`for` loops, "
        "comprehensions, `list(...)`); `execute`/`commit` on a `Connection`; "
        "`engine.connect()`/`engine.begin()`. The session is known from its annotation, from "
        "the dependency that provides it, or from where it is built. Calls into the project's "
        "own sync helpers are followed (up to `max-helper-depth`, 6 by default) and the finding "
        "is on the call in the coroutine, naming the chain down to the blocking call."
    ),
    why_is_this_bad=(
        "A coroutine runs on the event loop thread; a blocking call stops every other request "
        "of the process until it returns. A checkout from an exhausted pool blocks inside the "
        "loop: no other coroutine can run, including the ones that would give a connection "
        "back. If the coroutine awaits anything while it holds a connection, the whole process "
        "freezes under load, on every FastAPI version. With a finite `pool_timeout` the loop "
        "stays frozen until each queued checkout times out in turn."
    ),
    example=(
        "@app.get(\"/users/{user_id}\")\n"
        "async def read_user(user_id: int, db: Session = Depends(get_db)):\n"
        "    user = db.get(User, user_id)\n"
        "    await notify(user)\n"
        "    return user\n"
    ),
    use_instead=(
        "@app.get(\"/users/{user_id}\")\n"
        "async def read_user(user_id: int, db: AsyncSession = Depends(get_async_db)):\n"
        "    user = await db.get(User, user_id)\n"
        "    await notify(user)\n"
        "    return user\n"
    ),
    use_instead_note=(
        "Use SQLAlchemy's asyncio extension end to end, as above; or declare the route with "
        "plain `def` so FastAPI runs it in the threadpool; or hand the sync work to the "
        "threadpool: `await run_in_threadpool(crud.get_user, db, user_id)`."
    ),
    fix_safety=(
        "Unsafe fix (`fix --unsafe-fixes`). A route or dependency that never awaits, is not a "
        "generator, has no decorators besides its route registration, does not use the event "
        "loop, gets no session from a sync generator dependency and that nothing in the project "
        "calls becomes a plain `def`, which FastAPI runs in the threadpool. Otherwise the call in "
        "the coroutine (the database call, or the call to the first helper of the chain) "
        "becomes `await run_in_threadpool(<callable>, <arguments>)`, imported from "
        "`fastapi.concurrency`: the value is returned where the call was, and no sync function "
        "is ever awaited. Unsafe because the call then runs in another thread, which is fine "
        "for one call but not for a session shared with concurrent coroutines. Not edited: a "
        "call inside a generator expression (`await` would make it an async generator), or a "
        "module where `run_in_threadpool` means something else."
    ),
    references=(
        "https://fastapi.tiangolo.com/async/#path-operation-functions",
        "https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html",
        "https://www.starlette.io/threadpool/",
        "https://github.com/fastapi/fastapi/issues/3205",
    ),
)


class BlockingDbCallInCoroutine(Rule):
    code = "FPL002"
    name = "blocking-db-call-in-coroutine"
    summary = "Blocking database I/O in a coroutine (freezes the event loop)"
    severity = "error"
    doc = DOC

    def check(self, analysis: ProjectAnalysis) -> Iterator[Finding]:
        fastapi = analysis.fastapi
        entry_points = set(fastapi.dependencies) | {r.endpoint for r in fastapi.routes}
        entry_points |= set(fastapi.hooks)
        reached_from: dict[FunctionRef, list[FunctionRef]] = {}
        for blocking in analysis.blocking.blocking_calls():
            coroutine = blocking.coroutine
            if coroutine not in entry_points and coroutine not in reached_from:
                reached_from[coroutine] = analysis.blocking.entry_points(coroutine, entry_points)
            yield self._finding(analysis, blocking, reached_from.get(coroutine, []))

    def _role(self, analysis: ProjectAnalysis, ref: FunctionRef) -> tuple[str, bool]:
        fastapi = analysis.fastapi
        if fastapi.is_route(ref):
            kind = "websocket route" if all(r.is_websocket for r in fastapi.routes_of(ref)) else "route"
            return kind, True
        if fastapi.is_dependency(ref):
            return "dependency", True
        role = fastapi.hooks.get(ref)
        if role is not None:
            return role, role in PER_REQUEST_HOOKS
        return "coroutine", False

    def _finding(
        self, analysis: ProjectAnalysis, blocking: BlockingCall, entries: list[FunctionRef]
    ) -> Finding:
        project = analysis.project
        ref = blocking.coroutine
        function = project.function(ref)
        assert function is not None
        role, per_request = self._role(analysis, ref)
        name = project.short_name(ref)
        if per_request:
            where = f"{role} `{name}` (runs on every request)"
            effect = "freezing every request while it waits for a pooled connection or the database"
        elif role in STARTUP_HOOKS:
            where = f"{role} `{name}`"
            effect = "stalling the app while it starts or stops"
        elif entries:
            names = list(dict.fromkeys(f"`{project.short_name(e)}`" for e in entries))
            where = f"{role} `{name}` (reached from {', '.join(names[:2])})"
            if all(self._role(analysis, e)[0] in STARTUP_HOOKS for e in entries):
                effect = "stalling the app while it starts or stops"
            else:
                effect = (
                    "freezing every request while it waits for a pooled connection or the database"
                )
        else:
            where = f"{role} `{name}`"
            effect = "stalling every task of the event loop it runs on while it waits"
        if len(blocking.chain) > 1:
            what = f"`{blocking.chain_text}` does synchronous database I/O"
        else:
            what = f"`{blocking.final.label}` is synchronous database I/O"
        never_awaits = not function.awaits and role in ("route", "websocket route", "dependency")
        if never_awaits:
            rewrite = (
                f"declare `{function.name}` with `def` (it never awaits) so FastAPI runs it in "
                f"the threadpool, or use `AsyncSession` with `await`"
            )
        else:
            rewrite = (
                "use `AsyncSession` and `await` it, or move the work to the threadpool with "
                "`await run_in_threadpool(...)`"
            )
        message = f"Blocking call in {where}: {what} on the event loop, {effect}; {rewrite}"
        related: list[Related] = []
        for step in blocking.chain[1:]:
            related.append(Related(location(step.site), f"calls `{step.label}`"))
        for entry in entries[:5]:
            entry_role, _ = self._role(analysis, entry)
            related.append(
                Related(
                    location(Site(entry.module, _def_node(analysis, entry))),
                    f"reached from {entry_role} `{project.short_name(entry)}`",
                )
            )
        call_text = render(blocking.call) if blocking.call is not None else "..."
        origin = blocking.final.origin
        if never_awaits and origin is not None and role != "dependency":
            suggestion = (
                f"def {function.name}(...):  # plain def: FastAPI runs it in the threadpool\n"
                f"    with {origin.text} as db:\n"
                f"        ...  # the body, using this session"
            )
        elif never_awaits:
            suggestion = f"def {function.name}(...):  # was: async def\n    ..."
        else:
            suggestion = f"await run_in_threadpool(lambda: {call_text})"
        return Finding(
            code=self.code,
            location=location(Site(ref.module, blocking.node)),
            message=message,
            severity=self.severity,
            fix=Fix(
                applicability="display-only",
                message=rewrite[0].upper() + rewrite[1:],
                suggestion=suggestion,
            ),
            related=tuple(related),
        )


def _def_node(analysis: ProjectAnalysis, ref: FunctionRef) -> int:
    function = analysis.project.function(ref)
    return function.node if function is not None else 0

