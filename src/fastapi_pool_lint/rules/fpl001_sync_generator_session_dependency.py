"""FPL001: a sync generator dependency yields a SQLAlchemy session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from ..findings import Finding, Fix, Related
from ..model.analysis import ProjectAnalysis
from ..model.fastapi_app import Injection, Route, callables_of
from ..model.sessions import session_generator
from ..model.values import DbObject, FunctionRef, Site
from ..summary.records import FunctionSummary, Name
from .base import Rule, RuleDoc, location

TEARDOWN_FIXED_IN = "0.82"

DOC = RuleDoc(
    what_it_does=(
        "Finds plain `def` generator functions that yield a synchronous SQLAlchemy or SQLModel "
        "`Session` (or `Connection`) and that FastAPI injects as a dependency: `Depends(fn)` or "
        "`Security(fn)` in a parameter default, inside `Annotated[...]` or an `Annotated` alias, "
        "in a `dependencies=[...]` list of a route, router, app or `include_router`, or through "
        "another dependency. The finding is on the generator's `def` line and names a place "
        "that injects it, preferring the most dangerous one."
    ),
    why_is_this_bad=(
        "FastAPI runs a sync generator dependency's setup and teardown in the AnyIO threadpool "
        "(40 worker tokens by default), and the session it yields keeps its pooled connection "
        "from the first query until the teardown closes it.\n\n"
        "On FastAPI < 0.82 the teardown needed a worker from that same threadpool. Under load "
        "all 40 workers wait for a connection while every connection waits for a teardown that "
        "needs a worker: a deadlock. Measured on a QueuePool of 4 connections with "
        "`pool_timeout=None` and 200 concurrent requests (FastAPI 0.81): 4 requests served, then "
        "the process never answers again.\n\n"
        "FastAPI 0.82 (PR #5122) gave teardowns their own limiter, but the deadlock is still "
        "there today for any sync route with a response model (`response_model=` or a return "
        "annotation): FastAPI validates the response in the threadpool while the session still "
        "holds its connection, and the teardown only runs after that. Measured on FastAPI 0.165 "
        "with the same pool: 1 of 200 requests served, then 40/40 workers and 4/4 connections "
        "stuck. `Depends(..., scope=\"function\")` does not help: its teardown also runs after "
        "response validation (0 of 200 served).\n\n"
        "With a finite `pool_timeout` the same load ends in 500 errors after the timeout "
        "instead of a permanent hang (see FPL003), but the fix is to stop holding the session "
        "across the response."
    ),
    example=(
        "engine = create_engine(DATABASE_URL, pool_size=4, max_overflow=0)\n"
        "SessionLocal = sessionmaker(bind=engine)\n\n\n"
        "def get_db():\n"
        "    db = SessionLocal()\n"
        "    try:\n"
        "        yield db\n"
        "    finally:\n"
        "        db.close()\n\n\n"
        "@app.get(\"/items/\", response_model=list[Item])\n"
        "def read_items(db: Session = Depends(get_db)):\n"
        "    return db.query(ItemRow).all()\n"
    ),
    use_instead=(
        "@app.get(\"/items/\", response_model=list[Item])\n"
        "def read_items():\n"
        "    with SessionLocal() as db:\n"
        "        return [Item.model_validate(row) for row in db.query(ItemRow).all()]\n"
    ),
    use_instead_note=(
        "Opening the session where it is used closes it before FastAPI validates the response "
        "(measured on FastAPI 0.165 with a response model: 500 of 500 requests served). Or go "
        "async end to end: `create_async_engine`, `async_sessionmaker`, `AsyncSession`, "
        "`async def` routes and dependencies."
    ),
    fix_safety=(
        "Unsafe fix (`fix --unsafe-fixes`): for each sync route whose own parameter receives "
        "the session (`Depends(get_db)`, `Annotated[Session, Depends(get_db)]` or an alias), "
        "the parameter is removed and the body runs inside `with <how the generator opened "
        "it> as <name>:`; a generator that committed becomes `with SessionLocal.begin()` (or "
        "`with Session(engine) as db, db.begin():`). The route's module gets the imports it "
        "needs and loses the ones only the parameter used; the generator is kept. Unsafe "
        "because ORM objects the route returns are detached once the session closes, before "
        "the response is serialised: unloaded lazy relationships raise `DetachedInstanceError` "
        "(and a commit at the end of the block expires them unless the sessionmaker sets "
        "`expire_on_commit=False`), so return plain data. Not edited, with the reason and the "
        "rewrite as display-only text: a generator listed in `app.dependency_overrides` "
        "anywhere (tests), one that does more than open/commit/roll back/close the session or "
        "has parameters FastAPI fills; per route: async routes, a session shared with another "
        "dependency or a `dependencies=[...]` list, background tasks or streaming responses, a "
        "closure using the session, a route called directly, a route that commits itself while "
        "the generator also commits."
    ),
    references=(
        "https://github.com/fastapi/fastapi/issues/3205",
        "https://github.com/fastapi/fastapi/pull/5122",
        "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/",
        "https://fastapi.tiangolo.com/tutorial/sql-databases/",
        "https://docs.sqlalchemy.org/en/20/orm/session_basics.html#opening-and-closing-a-session",
    ),
)


class SyncGeneratorSessionDependency(Rule):
    code = "FPL001"
    name = "sync-generator-session-dependency"
    summary = "Sync generator dependency yields a SQLAlchemy session (deadlocks under load)"
    severity = "error"
    doc = DOC

    def check(self, analysis: ProjectAnalysis) -> Iterator[Finding]:
        evaluator = analysis.evaluator
        fastapi = analysis.fastapi
        injections_by_dependency: dict[FunctionRef, list[Injection]] = {}
        for injection in fastapi.injections:
            for target in callables_of(injection.dependency, evaluator):
                injections_by_dependency.setdefault(target, []).append(injection)
        for ref, injections in sorted(
            injections_by_dependency.items(), key=lambda item: (item[0].module, item[0].key)
        ):
            session = session_generator(evaluator, ref)
            if session is None:
                continue
            yield self._finding(analysis, ref, session, injections)

    def _finding(
        self,
        analysis: ProjectAnalysis,
        ref: FunctionRef,
        session: DbObject,
        injections: list[Injection],
    ) -> Finding:
        project = analysis.project
        fastapi = analysis.fastapi
        function = project.function(ref)
        assert function is not None
        routes = fastapi.routes_reaching(ref)
        route = _most_dangerous(analysis, routes)
        variable = _parameter_name(analysis, route, ref) if route else None
        variable = variable or _yielded_name(function) or "db"
        opener = session.origin.text if session.origin else "SessionLocal()"
        what = "session" if session.kind == "session" else "connection"
        hazard, related = self._hazard(analysis, route, injections)
        message = (
            f"Sync generator dependency `{function.name}` yields a SQLAlchemy {what} that keeps "
            f"its pooled connection until a threadpool teardown; {hazard}. Open the session "
            f"where it is used instead: `with {opener} as {variable}:`"
        )
        suggestion = _suggestion(analysis, route, opener, variable)
        fix = Fix(
            applicability="display-only",
            message=(
                f"Open the session in the route with `with {opener} as {variable}:` and drop "
                f"the dependency; return plain data (ORM objects are detached once the session "
                f"closes)"
            ),
            suggestion=suggestion,
        )
        return Finding(
            code=self.code,
            location=location(Site(ref.module, function.node)),
            message=message,
            severity=self.severity,
            fix=fix,
            related=tuple(related),
        )

    def _hazard(
        self,
        analysis: ProjectAnalysis,
        route: Optional[Route],
        injections: list[Injection],
    ) -> tuple[str, list[Related]]:
        project = analysis.project
        related: list[Related] = []
        if route is None:
            injection = injections[0]
            related.append(Related(location(injection.site), f"injected here ({injection.where})"))
            return (
                f"it is injected ({injection.where}) and deadlocks any sync route with a "
                f"response model under load",
                related,
            )
        name = project.short_name(route.endpoint)
        endpoint = project.function(route.endpoint)
        related.append(Related(location(route.site), f"route `{name}` depends on it"))
        injection = min(
            injections,
            key=lambda i: (i.consumer != route.endpoint, i.site.module, i.site.node),
        )
        related.append(Related(location(injection.site), f"injected here ({injection.where})"))
        if endpoint is not None and endpoint.is_async:
            return (
                f"its session is used by async route `{name}`, where every query blocks the "
                f"event loop (FPL002)",
                related,
            )
        if route.response_model:
            return (
                f"sync route `{name}` has a response model ({route.response_model}), which "
                f"FastAPI validates in the threadpool while the connection is still held: "
                f"once all 40 workers wait for a connection the service deadlocks, on every "
                f"FastAPI version (1 of 200 requests served on 0.165)",
                related,
            )
        constraint = analysis.constraints.for_directory(
            project.directory(route.endpoint.module), "fastapi"
        )
        if constraint is not None and not constraint.allows_below(TEARDOWN_FIXED_IN):
            return (
                f"sync route `{name}` holds the connection until teardown; it deadlocks as "
                f"soon as that route, or any other using it, gets a response model "
                f"({constraint.describe()} rules out the FastAPI < 0.82 teardown deadlock)",
                related,
            )
        allowed = f", which {constraint.describe()} allows" if constraint is not None else ""
        return (
            f"sync route `{name}` deadlocks under load on FastAPI < 0.82{allowed} (the "
            f"teardown needs a threadpool worker while all 40 wait for a connection), and on "
            f"every version once a response model is added",
            related,
        )


def _most_dangerous(analysis: ProjectAnalysis, routes: list[Route]) -> Optional[Route]:
    """Sync routes with a response model first, then other sync routes, then async ones."""

    def rank(route: Route) -> tuple[int, str, int]:
        endpoint = analysis.project.function(route.endpoint)
        is_sync = endpoint is not None and not endpoint.is_async and not route.is_websocket
        danger = 0 if is_sync and route.response_model else 1 if is_sync else 2
        return danger, route.site.module, route.site.node

    return min(routes, key=rank) if routes else None


def _parameter_name(
    analysis: ProjectAnalysis, route: Route, dependency: FunctionRef
) -> Optional[str]:
    for target, param in analysis.fastapi.direct_dependencies(route.endpoint):
        if target == dependency:
            return param.name
    return None


def _yielded_name(function: FunctionSummary) -> Optional[str]:
    for value in function.yields:
        if isinstance(value, Name):
            return value.id
    return None


def _suggestion(
    analysis: ProjectAnalysis, route: Optional[Route], opener: str, variable: str
) -> str:
    if route is None:
        return (
            f"def endpoint(...):  # no session parameter\n"
            f"    with {opener} as {variable}:\n"
            f"        ...  # the endpoint's body, returning plain data"
        )
    name = analysis.project.short_name(route.endpoint).rsplit(".", 1)[-1]
    return (
        f"def {name}(...):  # drop the `{variable}` parameter\n"
        f"    with {opener} as {variable}:\n"
        f"        ...  # the endpoint's body, returning plain data"
    )
