"""FPL004: a pooled engine whose ``pool_timeout`` is left implicit."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding, Fix
from ..model.analysis import ProjectAnalysis
from ..model.engines import engine_calls, implicit_timeout_pooled
from ..model.values import Site
from .base import Rule, RuleDoc, location

DOC = RuleDoc(
    what_it_does=(
        "Finds `create_engine(...)` calls (SQLAlchemy or SQLModel) that will use a `QueuePool` "
        "and do not pass `pool_timeout`. A URL the analysis cannot read (a settings attribute, "
        "an environment variable) counts as pooled, since every server database pools by "
        "default. Silent for `poolclass=NullPool`, `StaticPool`, `SingletonThreadPool` or "
        "`AssertionPool` (they reject `pool_timeout` with a `TypeError`), for SQLite URLs "
        "unless `poolclass=QueuePool` is explicit, and for calls that pass `**kwargs` the "
        "analysis cannot see into. `create_async_engine` is not covered."
    ),
    why_is_this_bad=(
        "The timeout decides what pool exhaustion looks like: how long a request waits for a "
        "connection before failing. Left implicit it is SQLAlchemy's 30 seconds, which is "
        "often longer than the proxy or client timeout in front of the service, so requests "
        "are abandoned while still queued for a connection and the backlog grows. Making it "
        "explicit puts the number in code review next to `pool_size` and `max_overflow`."
    ),
    example="engine = create_engine(settings.DATABASE_URL, pool_size=10, max_overflow=5)\n",
    use_instead=(
        "engine = create_engine(\n"
        "    settings.DATABASE_URL, pool_size=10, max_overflow=5, pool_timeout=30\n"
        ")\n"
    ),
    use_instead_note="`30` is SQLAlchemy's default; choose what your service needs.",
    fix_safety=(
        "Safe fix (`fix`): adds `pool_timeout=30`, SQLAlchemy's default, so nothing changes at "
        "run time; the argument goes on its own line with the same indentation (and trailing "
        "comma) when the call has one argument per line. Never added where `poolclass` may be "
        "a pool that rejects it."
    ),
    references=(
        "https://docs.sqlalchemy.org/en/20/core/engines.html#sqlalchemy.create_engine.params.pool_timeout",
        "https://docs.sqlalchemy.org/en/20/core/pooling.html#switching-pool-implementations",
    ),
)


class ImplicitPoolTimeout(Rule):
    code = "FPL004"
    name = "implicit-pool-timeout"
    summary = "Pooled engine leaves pool_timeout implicit (30 s default, unreviewed)"
    severity = "warning"
    doc = DOC

    def check(self, analysis: ProjectAnalysis) -> Iterator[Finding]:
        for engine in engine_calls(analysis.calls):
            if not implicit_timeout_pooled(engine, analysis.evaluator):
                continue
            yield Finding(
                code=self.code,
                location=location(Site(engine.env.module, engine.call.node)),
                message=(
                    "Pooled engine leaves `pool_timeout` implicit: a request waits SQLAlchemy's "
                    "default 30 s for a connection when the pool is exhausted, unreviewed; pass "
                    "`pool_timeout=<seconds>` explicitly, below your request timeout"
                ),
                severity=self.severity,
                fix=Fix(
                    applicability="display-only",
                    message="Add an explicit `pool_timeout`",
                    suggestion="pool_timeout=30",
                ),
            )
