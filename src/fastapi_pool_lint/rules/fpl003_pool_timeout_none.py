"""FPL003: ``pool_timeout=None`` (wait forever for a pooled connection)."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding, Fix
from ..model.analysis import ProjectAnalysis
from ..model.engines import engine_calls, pool_timeout_none
from ..model.values import Site
from .base import Rule, RuleDoc, location

DOC = RuleDoc(
    what_it_does=(
        "Finds engines and pools configured to wait forever for a connection: "
        "`pool_timeout=None` on `create_engine`, `create_async_engine` or "
        "`sqlmodel.create_engine`; `timeout=None` on `QueuePool(...)` or "
        "`AsyncAdaptedQueuePool(...)`; a `\"sqlalchemy.pool_timeout\": None` entry in a "
        "literal configuration dict passed to `engine_from_config`. Values bound to a "
        "module-level name are followed."
    ),
    why_is_this_bad=(
        "When every pooled connection is checked out, a new checkout waits up to "
        "`pool_timeout` seconds and then raises `TimeoutError`. With `None` it waits forever. "
        "Any cycle in which connection holders wait for the waiters (the FastAPI threadpool "
        "deadlock of FPL001, a coroutine blocking the event loop in FPL002, a leaked session) "
        "then becomes a permanent outage instead of an error spike. Measured with a QueuePool "
        "of 4 and 200 concurrent requests: with `pool_timeout=None` the process hangs for good; "
        "with `pool_timeout=5` the sync cases recover with 500 responses and serve again."
    ),
    example=(
        "engine = create_engine(\n"
        "    DATABASE_URL, pool_size=4, max_overflow=0, pool_timeout=None\n"
        ")\n"
    ),
    use_instead=(
        "engine = create_engine(\n"
        "    DATABASE_URL, pool_size=4, max_overflow=0, pool_timeout=30\n"
        ")\n"
    ),
    use_instead_note=(
        "Pick a timeout below the request timeout of whatever sits in front of the service."
    ),
    fix_safety=(
        "Unsafe fix (`fix --unsafe-fixes`): the `None` (or the name bound to it) becomes `30`, "
        "or the value of `--pool-timeout`; in an `engine_from_config` dictionary the entry is "
        "edited where the dictionary literal is, in this or another module. Unsafe because it "
        "changes behaviour: an exhausted pool raises `TimeoutError` instead of waiting, which "
        "is the point."
    ),
    references=(
        "https://docs.sqlalchemy.org/en/20/core/engines.html#sqlalchemy.create_engine.params.pool_timeout",
        "https://docs.sqlalchemy.org/en/20/core/pooling.html#sqlalchemy.pool.QueuePool.__init__",
        "https://github.com/fastapi/fastapi/issues/3205",
    ),
)


class PoolTimeoutNone(Rule):
    code = "FPL003"
    name = "pool-timeout-none"
    summary = "pool_timeout=None waits forever for a connection (exhaustion becomes a hang)"
    severity = "error"
    doc = DOC

    def check(self, analysis: ProjectAnalysis) -> Iterator[Finding]:
        for engine in engine_calls(analysis.calls):
            quoted = pool_timeout_none(engine, analysis.evaluator)
            if quoted is None:
                continue
            message = (
                f"`{quoted}` makes a connection checkout wait forever once the pool is "
                f"exhausted, turning pool exhaustion into a permanent hang; set a finite "
                f"timeout (e.g. `pool_timeout=30`) so overload fails fast and recovers"
            )
            yield Finding(
                code=self.code,
                location=location(Site(engine.env.module, engine.call.node)),
                message=message,
                severity=self.severity,
                fix=Fix(
                    applicability="display-only",
                    message="Replace the infinite timeout with a finite one",
                    suggestion=quoted.replace("None", "30"),
                ),
            )
