"""Abstract values: what an expression denotes, as far as the rules care.

All values are frozen and hashable, so they can key memo tables and be compared for equality.
``UNKNOWN`` is the honest answer whenever the model cannot follow (third-party results,
``getattr``, registries, arithmetic): rules stay silent on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional, Union


@dataclass(frozen=True)
class Site:
    """A summary node in a module (the module key is its display path)."""

    module: str
    node: int


@dataclass(frozen=True)
class Unknown:
    pass


UNKNOWN = Unknown()


@dataclass(frozen=True)
class External:
    """An object outside the analysed tree, by canonical qualified name."""

    qname: str


@dataclass(frozen=True)
class ExtInstance:
    """An instance of an external class (from an annotation)."""

    qname: str


@dataclass(frozen=True)
class Literal:
    value: Union[str, int, float, bool, None]


@dataclass(frozen=True)
class LiteralPrefix:
    """A string whose beginning is known (an f-string)."""

    prefix: str


@dataclass(frozen=True)
class ModuleRef:
    key: str  # module key (display path)


@dataclass(frozen=True)
class FunctionRef:
    module: str
    key: str


@dataclass(frozen=True)
class ClassRef:
    module: str
    key: str


@dataclass(frozen=True)
class Closure:
    """A nested function together with what its enclosing functions' parameters were bound to
    when it was defined (a decorator's ``wrapper`` closing over the function it wraps)."""

    function: FunctionRef
    outer: tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class BoundMethod:
    function: FunctionRef
    receiver: Value


@dataclass(frozen=True)
class Instance:
    """An instance of a project class; ``attrs`` holds attributes its constructor call set."""

    cls: ClassRef
    attrs: tuple[tuple[str, Value], ...] = ()


@dataclass(frozen=True)
class Origin:
    """How a session is opened, for rewrite suggestions: ``with <text> as <name>:``.

    ``text`` is the opening expression as written where the factory is bound (``SessionLocal()``,
    ``Session(engine)``, ``SessionLocal.begin()``); ``module``/``name`` say where the factory can
    be imported from.
    """

    text: str
    module: Optional[str] = None
    name: Optional[str] = None


@dataclass(frozen=True)
class SessionFactory:
    """A ``sessionmaker``/``scoped_session`` instance (``scoped``: usable as a session too)."""

    is_async: bool
    scoped: bool = False
    origin: Optional[Origin] = None


@dataclass(frozen=True)
class DbObject:
    """A SQLAlchemy object that can do I/O: see ``known.INSTANCE_KINDS`` for the kinds."""

    kind: str
    origin: Optional[Origin] = None


@dataclass(frozen=True)
class DbMethod:
    obj: Union[DbObject, SessionFactory]
    name: str


@dataclass(frozen=True)
class Marker:
    """``Depends(dep)`` / ``Security(dep)``; ``dependency`` is None for bare ``Depends()``."""

    kind: str
    dependency: Optional[Value]
    site: Site
    scope: Optional[str] = None


@dataclass(frozen=True)
class AnnotatedType:
    base: Value
    metadata: tuple[Value, ...]


@dataclass(frozen=True)
class ContextManagerValue:
    enter: Value
    is_async: bool = False


@dataclass(frozen=True)
class GeneratorValue:
    yields: Value


@dataclass(frozen=True)
class Coroutine:
    result: Value


@dataclass(frozen=True)
class AppObject:
    """A ``FastAPI()``/``APIRouter()`` object, identified by the site that constructs it."""

    kind: str  # "app" or "router"
    site: Site


@dataclass(frozen=True)
class AppMethod:
    app: AppObject
    name: str


@dataclass(frozen=True)
class RequestState:
    """``request.state``: attributes set on it anywhere in the project (middleware sessions)."""


@dataclass(frozen=True)
class Unreadable:
    """An alternative the analysis cannot read, kept beside readable ones (a caller passing an
    environment variable where another passes a literal URL): "every option is SQLite" is then
    false. Alone it is just UNKNOWN."""


UNREADABLE = Unreadable()


@dataclass(frozen=True)
class SuperProxy:
    """``super()`` in a method: attributes come from the classes after ``cls`` in the MRO."""

    cls: ClassRef
    receiver: Value


@dataclass(frozen=True)
class Kwargs:
    """A ``**kwargs`` parameter holding the keyword arguments a caller passed to it."""

    items: tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class KwargsGet:
    """``kwargs.get``: called with a literal key, the value the caller passed."""

    kwargs: Kwargs


@dataclass(frozen=True)
class OneOf:
    """The value is one of ``options``: a tuple in the order they were met, never a set, so
    that nothing depends on string hashing (``PYTHONHASHSEED``)."""

    options: tuple[Value, ...]


Value = Union[
    Unknown,
    External,
    ExtInstance,
    Literal,
    LiteralPrefix,
    ModuleRef,
    FunctionRef,
    Closure,
    ClassRef,
    BoundMethod,
    Instance,
    SessionFactory,
    DbObject,
    DbMethod,
    Marker,
    AnnotatedType,
    ContextManagerValue,
    GeneratorValue,
    Coroutine,
    AppObject,
    AppMethod,
    RequestState,
    Unreadable,
    SuperProxy,
    Kwargs,
    KwargsGet,
    OneOf,
]

MAX_OPTIONS = 8


_NO_OPTIONS: tuple[Value, ...] = ()


def options(value: Value) -> Iterable[Value]:
    """The alternatives a value stands for (itself, unless it is a ``OneOf``).

    A tuple, not a generator: this runs for nearly every evaluated expression.
    """
    if isinstance(value, OneOf):
        return value.options
    if isinstance(value, Unknown):
        return _NO_OPTIONS
    return (value,)


def join(values: Iterable[Value]) -> Value:
    """The value that may be any of ``values`` (unknowns dropped)."""
    seen: list[Value] = []
    for value in values:
        if isinstance(value, OneOf):
            for option in value.options:
                if option not in seen:
                    seen.append(option)
        elif not isinstance(value, Unknown) and value not in seen:
            seen.append(value)
    if not seen:
        return UNKNOWN
    if len(seen) == 1:
        return seen[0]
    if len(seen) > MAX_OPTIONS:
        return UNKNOWN
    return OneOf(tuple(seen))
