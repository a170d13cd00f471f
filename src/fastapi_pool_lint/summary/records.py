"""Picklable records that summarise one module.

A summary is everything the project model needs to know about a module, with no reference to its
concrete syntax tree: once it is built the CST can be dropped, the summary cached on disk or sent
between worker processes.

Nodes that may become the location of a finding (calls, function and class definitions,
parameters) carry a ``NodeId``: their index in the order the summariser met them. Building the same
source again yields the same ids, which is how positions are attached later, only for the modules
where findings land (see :mod:`fastapi_pool_lint.summary.locate`).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Optional, Union

NodeId = int

_DEFAULTS: dict[type, tuple[tuple[str, Any], ...]] = {}
_ABSENT = object()


class _Record:
    """Pickled without the fields that hold their default value: a cached summary is mostly
    defaults (no keyword, not awaited, no guards...), and the class attribute ``dataclass``
    leaves for each default answers for a field missing from an unpickled instance. Fewer
    and smaller entries make loading 2,000 cached summaries 10-15% faster."""

    __slots__ = ()

    def __getstate__(self) -> dict[str, Any]:
        defaults = _DEFAULTS.get(type(self))
        if defaults is None:
            defaults = tuple(
                (f.name, f.default) for f in fields(self) if f.default is not MISSING  # type: ignore[arg-type]
            )
            _DEFAULTS[type(self)] = defaults
        state = dict(self.__dict__)
        for name, default in defaults:
            value = state.get(name, _ABSENT)
            if value is default or (type(value) is type(default) and value == default):
                del state[name]
        return state

# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Name(_Record):
    id: str


@dataclass(frozen=True)
class Attr(_Record):
    value: Expr
    attr: str


@dataclass(frozen=True)
class Arg(_Record):
    value: Expr
    keyword: Optional[str] = None
    star: str = ""  # "", "*" or "**"


@dataclass(frozen=True)
class Call(_Record):
    func: Expr
    args: tuple[Arg, ...]
    node: NodeId
    awaited: bool = False  # the direct operand of ``await`` (or an ``async with`` item)
    # Its result is iterated where it is called: the iterable of a sync ``for`` loop or
    # comprehension, or the operand of ``yield from`` (a generator's body then runs here).
    iterated: bool = False
    in_handler: bool = False  # inside an ``except`` clause: runs only when an exception is handled
    # The conditions on plain names under which the call runs (``if root is None:``,
    # ``store or SkillStore()``), innermost last: ``(name, state)``, state one of GUARD_STATES.
    guards: tuple[tuple[str, str], ...] = ()


GUARD_STATES = ("none", "not-none", "falsy", "truthy")
NEGATED_GUARD = {"none": "not-none", "not-none": "none", "falsy": "truthy", "truthy": "falsy"}


@dataclass(frozen=True)
class Subscript(_Record):
    value: Expr
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Const(_Record):
    """A literal: str, bytes (decoded), int, float, bool or None."""

    value: Union[str, int, float, bool, None]


@dataclass(frozen=True)
class StrPrefix(_Record):
    """An f-string whose leading literal text is known (enough to read a URL scheme)."""

    prefix: str


@dataclass(frozen=True)
class Seq(_Record):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class DictExpr(_Record):
    items: tuple[tuple[Optional[Expr], Expr], ...]  # key None: ``**spread``


@dataclass(frozen=True)
class Either(_Record):
    """``a or b`` / ``b if c else a``: the value is one of the options."""

    options: tuple[Expr, ...]


@dataclass(frozen=True)
class Opaque(_Record):
    """An expression the model does not interpret (arithmetic, lambda, comparison, ...)."""

    kind: str


@dataclass(frozen=True)
class YieldFrom(_Record):
    """What ``yield from <value>`` yields: every item of ``value`` (only ever in ``yields``)."""

    value: Expr


Expr = Union[
    Name, Attr, Call, Subscript, Const, StrPrefix, Seq, DictExpr, Either, Opaque, YieldFrom
]

# --------------------------------------------------------------------------- bindings


@dataclass(frozen=True)
class ImportBinding(_Record):
    """``import a.b as x`` / ``from a import b as x``: ``target`` is the absolute dotted name."""

    target: str


@dataclass(frozen=True)
class ValueBinding(_Record):
    """A name bound by assignment, ``with ... as``, ``for``, walrus or ``except ... as``.

    ``via`` is one of ``assign``, ``with``, ``async_with``, ``for`` (``value`` is the iterable
    of a sync ``for`` loop), ``opaque``.
    """

    value: Optional[Expr]
    annotation: Optional[Expr] = None
    via: str = "assign"


@dataclass(frozen=True)
class DefBinding(_Record):
    """A name bound by ``def``: ``key`` is the function's key in the module."""

    key: str


@dataclass(frozen=True)
class ClassBinding(_Record):
    key: str


@dataclass(frozen=True)
class ParamBinding(_Record):
    index: int


Binding = Union[ImportBinding, ValueBinding, DefBinding, ClassBinding, ParamBinding]


@dataclass(frozen=True)
class AttrAssign(_Record):
    """``target = value`` where target is an attribute or subscript (``self.db = db``)."""

    target: Expr
    value: Optional[Expr]
    annotation: Optional[Expr] = None


# --------------------------------------------------------------------------- scopes


@dataclass(frozen=True)
class Iteration(_Record):
    """``for x in <value>`` or a comprehension's ``for`` (sync only): iterating runs code."""

    value: Expr
    node: NodeId  # the iterable expression


@dataclass
class Body(_Record):
    """What one scope (module, class or function body) binds and does, flow-insensitively."""

    bindings: dict[str, tuple[Binding, ...]] = field(default_factory=dict)
    calls: tuple[Call, ...] = ()  # every call evaluated in this scope, in source order
    attr_assigns: tuple[AttrAssign, ...] = ()
    global_names: frozenset[str] = frozenset()
    iterations: tuple[Iteration, ...] = ()


@dataclass(frozen=True)
class Param(_Record):
    name: str
    kind: str  # "posonly", "pos", "vararg", "kwonly", "varkw"
    annotation: Optional[Expr]
    default: Optional[Expr]
    node: NodeId


@dataclass
class FunctionSummary(_Record):
    key: str  # unique in its module: "get_db", "Repo.get", "make_dep.<locals>.dep"
    name: str
    node: NodeId
    is_async: bool
    is_generator: bool
    class_key: Optional[str]  # set for functions defined directly in a class body
    parent_key: Optional[str]  # enclosing function, for closures
    decorators: tuple[Expr, ...]
    params: tuple[Param, ...]
    returns: Optional[Expr]
    body: Body
    yields: tuple[Expr, ...] = ()
    return_values: tuple[Expr, ...] = ()
    awaits: bool = False  # ``await`` / ``async for`` / ``async with`` in its own body
    guard_names: frozenset[str] = frozenset()  # names its calls' guards test

    def param(self, name: str) -> Optional[Param]:
        for p in self.params:
            if p.name == name:
                return p
        return None


@dataclass
class ClassSummary(_Record):
    key: str
    name: str
    node: NodeId
    bases: tuple[Expr, ...]
    decorators: tuple[Expr, ...]
    methods: dict[str, str]  # method name -> function key
    body: Body
    parent_key: Optional[str]  # enclosing function or class key


@dataclass
class ModuleSummary(_Record):
    path: str
    module: str
    is_package: bool
    body: Body
    functions: dict[str, FunctionSummary]
    classes: dict[str, ClassSummary]
    star_imports: tuple[str, ...] = ()
    node_count: int = 0
    # The first node id of each top-level statement: spans can then be resolved by parsing
    # only the statements that hold the wanted nodes (see ``summary.locate``).
    statement_anchors: tuple[int, ...] = ()
