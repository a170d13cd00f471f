"""The third-party objects the analysis knows by qualified name.

Every public spelling of an object (``sqlalchemy.orm.Session``, ``sqlalchemy.orm.session.Session``,
``sqlmodel.Session``...) maps to one canonical name, so rules compare canonical names only.
"""

from __future__ import annotations


def _spellings(canonical: str, *others: str) -> dict[str, str]:
    return {name: canonical for name in (canonical, *others)}


CANONICAL: dict[str, str] = {
    # FastAPI
    **_spellings("fastapi.Depends", "fastapi.param_functions.Depends", "fastapi.params.Depends"),
    **_spellings("fastapi.Security", "fastapi.param_functions.Security", "fastapi.params.Security"),
    **_spellings("fastapi.FastAPI", "fastapi.applications.FastAPI"),
    **_spellings("fastapi.APIRouter", "fastapi.routing.APIRouter"),
    **_spellings(
        "starlette.requests.Request", "fastapi.Request", "fastapi.requests.Request", "starlette.Request"
    ),
    **_spellings(
        "starlette.websockets.WebSocket", "fastapi.WebSocket", "fastapi.websockets.WebSocket"
    ),
    **_spellings("starlette.requests.HTTPConnection", "fastapi.requests.HTTPConnection"),
    **_spellings("sqlalchemy.inspect", "sqlalchemy.inspection.inspect"),
    **_spellings(
        "fastapi.concurrency.run_in_threadpool", "starlette.concurrency.run_in_threadpool"
    ),
    **_spellings(
        "fastapi.BackgroundTasks",
        "fastapi.background.BackgroundTasks",
        "starlette.background.BackgroundTasks",
    ),
    **_spellings("starlette.background.BackgroundTask"),
    **_spellings(
        "starlette.responses.StreamingResponse",
        "fastapi.responses.StreamingResponse",
        "starlette.StreamingResponse",
    ),
    # typing
    **_spellings("typing.Annotated", "typing_extensions.Annotated"),
    **_spellings("typing.Optional", "typing_extensions.Optional"),
    **_spellings("typing.Union", "typing_extensions.Union"),
    **_spellings("contextlib.contextmanager"),
    **_spellings("contextlib.asynccontextmanager"),
    **_spellings("builtins.property"),
    **_spellings("functools.cached_property"),
    **_spellings("builtins.staticmethod"),
    **_spellings("builtins.classmethod"),
    **_spellings("builtins.next"),
    **_spellings("builtins.super"),
    **_spellings(
        "sqlalchemy.orm.declarative_base",
        "sqlalchemy.orm.decl_api.declarative_base",
        "sqlalchemy.ext.declarative.declarative_base",
    ),
    **{
        f"{module}.{name}": f"typing.{name}"
        for module in ("typing", "typing_extensions", "collections.abc")
        for name in (
            "Generator",
            "Iterator",
            "Iterable",
            "AsyncGenerator",
            "AsyncIterator",
            "AsyncIterable",
        )
    },
    **_spellings("pytest.fixture", "_pytest.fixtures.fixture"),
    **_spellings("pytest_asyncio.fixture"),
    # SQLAlchemy / SQLModel: sessions and factories
    **_spellings(
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlmodel.Session",
        "sqlmodel.orm.session.Session",
    ),
    **_spellings(
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.ext.asyncio.session.AsyncSession",
        "sqlmodel.ext.asyncio.AsyncSession",
    ),
    **_spellings("sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker"),
    **_spellings(
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.ext.asyncio.session.async_sessionmaker",
    ),
    **_spellings("sqlalchemy.orm.scoped_session", "sqlalchemy.orm.scoping.scoped_session"),
    **_spellings(
        "sqlalchemy.ext.asyncio.async_scoped_session",
        "sqlalchemy.ext.asyncio.scoping.async_scoped_session",
    ),
    **_spellings("sqlalchemy.orm.Query", "sqlalchemy.orm.query.Query"),
    # engines and connections
    **_spellings(
        "sqlalchemy.create_engine",
        "sqlalchemy.engine.create_engine",
        "sqlalchemy.engine.create.create_engine",
        "sqlmodel.create_engine",
    ),
    **_spellings(
        "sqlalchemy.engine_from_config",
        "sqlalchemy.engine.engine_from_config",
        "sqlalchemy.engine.create.engine_from_config",
    ),
    **_spellings(
        "sqlalchemy.ext.asyncio.create_async_engine",
        "sqlalchemy.ext.asyncio.engine.create_async_engine",
    ),
    **_spellings(
        "sqlalchemy.engine.Engine", "sqlalchemy.Engine", "sqlalchemy.engine.base.Engine"
    ),
    **_spellings(
        "sqlalchemy.engine.Connection",
        "sqlalchemy.Connection",
        "sqlalchemy.engine.base.Connection",
    ),
    **_spellings(
        "sqlalchemy.ext.asyncio.AsyncEngine", "sqlalchemy.ext.asyncio.engine.AsyncEngine"
    ),
    **_spellings(
        "sqlalchemy.ext.asyncio.AsyncConnection",
        "sqlalchemy.ext.asyncio.engine.AsyncConnection",
    ),
    # pools
    **_spellings("sqlalchemy.pool.QueuePool", "sqlalchemy.pool.impl.QueuePool", "sqlalchemy.QueuePool"),
    **_spellings(
        "sqlalchemy.pool.AsyncAdaptedQueuePool",
        "sqlalchemy.pool.impl.AsyncAdaptedQueuePool",
        "sqlalchemy.AsyncAdaptedQueuePool",
    ),
    **_spellings("sqlalchemy.pool.NullPool", "sqlalchemy.pool.impl.NullPool", "sqlalchemy.NullPool"),
    **_spellings(
        "sqlalchemy.pool.StaticPool", "sqlalchemy.pool.impl.StaticPool", "sqlalchemy.StaticPool"
    ),
    **_spellings(
        "sqlalchemy.pool.SingletonThreadPool",
        "sqlalchemy.pool.impl.SingletonThreadPool",
        "sqlalchemy.SingletonThreadPool",
    ),
    **_spellings(
        "sqlalchemy.pool.AssertionPool",
        "sqlalchemy.pool.impl.AssertionPool",
        "sqlalchemy.AssertionPool",
    ),
}


# Packages always resolved by name, even when the analysed tree contains their source (as in
# FastAPI's or SQLModel's own repositories): the rules know them by qualified name.
LIBRARY_ROOTS = frozenset(
    {
        "fastapi",
        "starlette",
        "sqlalchemy",
        "sqlmodel",
        "pydantic",
        "anyio",
        "asyncio",
        "typing",
        "typing_extensions",
        "contextlib",
        "functools",
        "builtins",
    }
)


def canonical(qname: str) -> str:
    return CANONICAL.get(qname, qname)


DEPENDS = "fastapi.Depends"
SECURITY = "fastapi.Security"
FASTAPI_APP = "fastapi.FastAPI"
API_ROUTER = "fastapi.APIRouter"
ANNOTATED = "typing.Annotated"
OPTIONAL = "typing.Optional"
UNION = "typing.Union"
CONTEXTMANAGER = "contextlib.contextmanager"
ASYNCCONTEXTMANAGER = "contextlib.asynccontextmanager"
PROPERTIES = frozenset({"builtins.property", "functools.cached_property"})
STATICMETHOD = "builtins.staticmethod"
CLASSMETHOD = "builtins.classmethod"
NEXT = "builtins.next"
SUPER = "builtins.super"
DECLARATIVE_BASE = "sqlalchemy.orm.declarative_base"
# Generic types whose first argument is what a generator yields (return annotations).
GENERATOR_TYPES = frozenset(
    f"typing.{name}"
    for name in (
        "Generator", "Iterator", "Iterable", "AsyncGenerator", "AsyncIterator", "AsyncIterable"
    )
)
# Builtins that iterate their argument (``list(session.query(...))`` runs the SELECT).
ITERATING_BUILTINS = frozenset(
    f"builtins.{name}" for name in ("list", "tuple", "set", "frozenset", "sorted", "dict")
)
FIXTURES = frozenset({"pytest.fixture", "pytest_asyncio.fixture"})
RUN_IN_THREADPOOL = "fastapi.concurrency.run_in_threadpool"
# Work that runs after the endpoint returned (a session opened in the endpoint is closed by then).
DEFERRED_WORK = frozenset(
    {
        "fastapi.BackgroundTasks",
        "starlette.background.BackgroundTask",
        "starlette.responses.StreamingResponse",
    }
)

REQUEST_CLASSES = frozenset(
    {
        "starlette.requests.Request",
        "starlette.requests.HTTPConnection",
        "starlette.websockets.WebSocket",
    }
)
INSPECT = "sqlalchemy.inspect"

SESSION = "sqlalchemy.orm.Session"
ASYNC_SESSION = "sqlalchemy.ext.asyncio.AsyncSession"
SESSIONMAKER = "sqlalchemy.orm.sessionmaker"
ASYNC_SESSIONMAKER = "sqlalchemy.ext.asyncio.async_sessionmaker"
SCOPED_SESSION = "sqlalchemy.orm.scoped_session"
ASYNC_SCOPED_SESSION = "sqlalchemy.ext.asyncio.async_scoped_session"
CREATE_ENGINE = "sqlalchemy.create_engine"
ENGINE_FROM_CONFIG = "sqlalchemy.engine_from_config"
CREATE_ASYNC_ENGINE = "sqlalchemy.ext.asyncio.create_async_engine"
QUEUE_POOL = "sqlalchemy.pool.QueuePool"
ASYNC_QUEUE_POOL = "sqlalchemy.pool.AsyncAdaptedQueuePool"
NON_TIMEOUT_POOLS = frozenset(
    {
        "sqlalchemy.pool.NullPool",
        "sqlalchemy.pool.StaticPool",
        "sqlalchemy.pool.SingletonThreadPool",
        "sqlalchemy.pool.AssertionPool",
    }
)
QUEUE_POOLS = frozenset({QUEUE_POOL, ASYNC_QUEUE_POOL})

# What an instance of a known class is, for the database-object kinds below.
INSTANCE_KINDS: dict[str, str] = {
    SESSION: "session",
    ASYNC_SESSION: "async_session",
    "sqlalchemy.engine.Engine": "engine",
    "sqlalchemy.engine.Connection": "connection",
    "sqlalchemy.ext.asyncio.AsyncEngine": "async_engine",
    "sqlalchemy.ext.asyncio.AsyncConnection": "async_connection",
    "sqlalchemy.orm.Query": "query",
}
SYNC_KINDS = frozenset({"session", "engine", "connection", "query", "inspector"})
KIND_DISPLAY = {
    "session": "Session",
    "async_session": "AsyncSession",
    "engine": "Engine",
    "connection": "Connection",
    "async_engine": "AsyncEngine",
    "async_connection": "AsyncConnection",
    "query": "Query",
    "inspector": "Inspector",
}

# Methods that do database I/O, per kind of synchronous object.
BLOCKING_METHODS: dict[str, frozenset[str]] = {
    "session": frozenset(
        {
            "execute",
            "scalar",
            "scalars",
            "get",
            "get_one",
            "exec",
            "commit",
            "flush",
            "refresh",
            "rollback",
            "merge",
            "connection",
            "begin_nested",
            "bulk_save_objects",
            "bulk_insert_mappings",
            "bulk_update_mappings",
        }
    ),
    "connection": frozenset(
        {"execute", "exec_driver_sql", "scalar", "scalars", "commit", "rollback", "begin_nested"}
    ),
    "engine": frozenset({"connect", "begin", "raw_connection", "execute", "scalar"}),
    "query": frozenset(
        {
            "all",
            "first",
            "one",
            "one_or_none",
            "scalar",
            "count",
            "get",
            "delete",
            "update",
            "paginate",
        }
    ),
}
# Inspector methods that read the database catalogue: every ``get_*`` and ``has_*``.
BLOCKING_PREFIXES: dict[str, tuple[str, ...]] = {"inspector": ("get_", "has_")}
# ``MetaData``/``SQLModel.metadata`` methods that run DDL or reflection on the engine they get.
METADATA_IO_METHODS = frozenset({"create_all", "drop_all", "reflect"})

# Methods whose result is still a Query (no I/O yet).
QUERY_BUILDERS = frozenset(
    {
        "filter",
        "filter_by",
        "where",
        "join",
        "outerjoin",
        "order_by",
        "group_by",
        "having",
        "limit",
        "offset",
        "options",
        "distinct",
        "with_entities",
        "select_from",
        "populate_existing",
        "execution_options",
        "params",
        "correlate",
        "yield_per",
        "enable_eagerloads",
        "add_columns",
        "add_entity",
        "from_statement",
        "join_from",
        "slice",
        "reset_joinpoint",
        "with_for_update",
        "with_parent",
        "union",
        "union_all",
        "autoflush",
        "prefix_with",
        "suffix_with",
    }
)

HTTP_ROUTE_METHODS = frozenset(
    {"get", "post", "put", "delete", "patch", "options", "head", "trace", "api_route"}
)
WEBSOCKET_ROUTE_METHODS = frozenset({"websocket", "websocket_route"})
IMPERATIVE_ROUTE_METHODS = frozenset({"add_api_route", "add_api_websocket_route"})

RESPONSE_MODULES = ("fastapi.", "starlette.")


def is_response_class(qname: str) -> bool:
    """Whether a FastAPI/Starlette class is a ``Response`` (no response model is built)."""
    return qname.startswith(RESPONSE_MODULES) and qname.rsplit(".", 1)[-1].endswith("Response")

