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

from dataclasses import dataclass, field
from typing import Optional, Union

NodeId = int

# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Name:
    id: str


@dataclass(frozen=True)
class Attr:
    value: Expr
    attr: str


@dataclass(frozen=True)
class Arg:
    value: Expr
    keyword: Optional[str] = None
    star: str = ""  # "", "*" or "**"


@dataclass(frozen=True)
class Call:
    func: Expr
    args: tuple[Arg, ...]
    node: NodeId
    awaited: bool = False  # the direct operand of ``await`` (or an ``async with`` item)


@dataclass(frozen=True)
class Subscript:
    value: Expr
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Const:
    """A literal: str, bytes (decoded), int, float, bool or None."""

    value: Union[str, int, float, bool, None]


@dataclass(frozen=True)
class StrPrefix:
    """An f-string whose leading literal text is known (enough to read a URL scheme)."""

    prefix: str


@dataclass(frozen=True)
class Seq:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class DictExpr:
    items: tuple[tuple[Optional[Expr], Expr], ...]  # key None: ``**spread``


@dataclass(frozen=True)
class Either:
    """``a or b`` / ``b if c else a``: the value is one of the options."""

    options: tuple[Expr, ...]


@dataclass(frozen=True)
class Opaque:
    """An expression the model does not interpret (arithmetic, lambda, comparison, ...)."""

    kind: str


Expr = Union[Name, Attr, Call, Subscript, Const, StrPrefix, Seq, DictExpr, Either, Opaque]

# --------------------------------------------------------------------------- bindings


@dataclass(frozen=True)
class ImportBinding:
    """``import a.b as x`` / ``from a import b as x``: ``target`` is the absolute dotted name."""

    target: str


@dataclass(frozen=True)
class ValueBinding:
    """A name bound by assignment, ``with ... as``, ``for``, walrus or ``except ... as``.

    ``via`` is one of ``assign``, ``with``, ``async_with``, ``for``, ``opaque``.
    """

    value: Optional[Expr]
    annotation: Optional[Expr] = None
    via: str = "assign"


@dataclass(frozen=True)
class DefBinding:
    """A name bound by ``def``: ``key`` is the function's key in the module."""

    key: str


@dataclass(frozen=True)
class ClassBinding:
    key: str


@dataclass(frozen=True)
class ParamBinding:
    index: int


Binding = Union[ImportBinding, ValueBinding, DefBinding, ClassBinding, ParamBinding]


@dataclass(frozen=True)
class AttrAssign:
    """``target = value`` where target is an attribute or subscript (``self.db = db``)."""

    target: Expr
    value: Optional[Expr]
    annotation: Optional[Expr] = None


# --------------------------------------------------------------------------- scopes


@dataclass(frozen=True)
class Iteration:
    """``for x in <value>`` or a comprehension's ``for`` (sync only): iterating runs code."""

    value: Expr
    node: NodeId  # the iterable expression


@dataclass
class Body:
    """What one scope (module, class or function body) binds and does, flow-insensitively."""

    bindings: dict[str, tuple[Binding, ...]] = field(default_factory=dict)
    calls: tuple[Call, ...] = ()  # every call evaluated in this scope, in source order
    attr_assigns: tuple[AttrAssign, ...] = ()
    global_names: frozenset[str] = frozenset()
    iterations: tuple[Iteration, ...] = ()


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "posonly", "pos", "vararg", "kwonly", "varkw"
    annotation: Optional[Expr]
    default: Optional[Expr]
    node: NodeId


@dataclass
class FunctionSummary:
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

    def param(self, name: str) -> Optional[Param]:
        for p in self.params:
            if p.name == name:
                return p
        return None


@dataclass
class ClassSummary:
    key: str
    name: str
    node: NodeId
    bases: tuple[Expr, ...]
    decorators: tuple[Expr, ...]
    methods: dict[str, str]  # method name -> function key
    body: Body
    parent_key: Optional[str]  # enclosing function or class key


@dataclass
class ModuleSummary:
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
