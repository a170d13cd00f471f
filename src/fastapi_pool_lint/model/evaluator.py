"""Abstract evaluation of summary expressions over the whole project.

``Evaluator.eval(expr, env)`` answers "what does this expression denote?" with a :mod:`.values`
value: a third-party object by canonical name, a project function/class/module, an instance, a
session factory, a session/engine/connection/query, a ``Depends`` marker, a FastAPI app/router...

Names resolve with Python's scoping rules over the summaries' bindings (function, enclosing
functions, module, star imports, builtins), across modules through the project's import index.
Function calls into the project are evaluated with the arguments of the call bound to the
callee's parameters (context-sensitive, depth-limited, memoised), so untyped helpers such as
``def get_user(db, id): return db.query(...)`` are understood from their call sites. A parameter
with no declared meaning (annotation or ``Depends``) can also take the values its callers pass,
once a call graph is available (see :mod:`.callgraph`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..summary.records import (
    Arg,
    Attr,
    Binding,
    Body,
    Call,
    ClassBinding,
    Const,
    DefBinding,
    DictExpr,
    Either,
    Expr,
    FunctionSummary,
    ImportBinding,
    Name,
    Param,
    ParamBinding,
    Seq,
    StrPrefix,
    Subscript,
    ValueBinding,
    YieldFrom,
)
from . import known
from .project import ProjectModel
from .values import (
    UNKNOWN,
    UNREADABLE,
    AnnotatedType,
    AppMethod,
    AppObject,
    BoundMethod,
    ClassRef,
    Closure,
    ContextManagerValue,
    Coroutine,
    DbMethod,
    DbObject,
    External,
    ExtInstance,
    FunctionRef,
    GeneratorValue,
    Given,
    Instance,
    Kwargs,
    KwargsGet,
    Literal,
    LiteralPrefix,
    Marker,
    ModuleRef,
    OneOf,
    Origin,
    RequestState,
    SessionFactory,
    Site,
    SuperProxy,
    Unknown,
    Value,
    join,
    options,
)

if TYPE_CHECKING:
    from .callgraph import CallGraph

BUILTIN_NAMES = frozenset(
    {"next", "property", "staticmethod", "classmethod", "super", "iter"}
    | {"list", "tuple", "set", "frozenset", "sorted", "dict"}
)
MAX_CALL_DEPTH = 8
MAX_EVAL_DEPTH = 150
# Values worth carrying from a call site into the callee: the rest never changes a finding and
# would only multiply the memo entries.
_CONTEXT_TYPES = (
    DbObject,
    SessionFactory,
    Instance,
    ClassRef,
    FunctionRef,
    BoundMethod,
    AppObject,
    ContextManagerValue,
    GeneratorValue,
    Kwargs,
    Closure,
)


@dataclass(frozen=True)
class Env:
    """Where an expression is evaluated, and what the caller bound the parameters to."""

    module: str
    function: Optional[str] = None
    class_body: Optional[str] = None
    context: tuple[tuple[str, Value], ...] = ()
    outer: tuple[tuple[str, Value], ...] = ()  # enclosing functions' bound names (closures)

    def __hash__(self) -> int:
        # Envs key every memo table: hash the fields (the context's values included) once.
        try:
            return self.__dict__["_hash"]  # type: ignore[no-any-return]
        except KeyError:
            value = hash((self.module, self.function, self.class_body, self.context, self.outer))
            object.__setattr__(self, "_hash", value)
            return value

    def __getstate__(self) -> dict[str, object]:
        # String hashes differ between processes: a copied or pickled Env hashes afresh.
        state = dict(self.__dict__)
        state.pop("_hash", None)
        return state


def render(expr: Expr) -> str:
    """Source-like text of a summarised expression, for messages and suggestions."""
    if isinstance(expr, Name):
        return expr.id
    if isinstance(expr, Attr):
        return f"{render(expr.value)}.{expr.attr}"
    if isinstance(expr, Call):
        args = ", ".join(
            (f"{a.keyword}=" if a.keyword else a.star) + render(a.value) for a in expr.args
        )
        return f"{render(expr.func)}({args})"
    if isinstance(expr, Const):
        return repr(expr.value)
    if isinstance(expr, Subscript):
        return f"{render(expr.value)}[{', '.join(render(i) for i in expr.items)}]"
    return "..."


def call_argument(call: Call, index: int, keyword: str) -> Optional[Expr]:
    """The expression passed as positional ``index`` or as ``keyword=``."""
    position = 0
    for arg in call.args:
        if arg.star:
            if arg.star == "*":
                return None
            continue
        if arg.keyword is None:
            if position == index:
                return arg.value
            position += 1
        elif arg.keyword == keyword:
            return arg.value
    return None


def keyword_argument(call: Call, keyword: str) -> Optional[Expr]:
    for arg in call.args:
        if arg.keyword == keyword:
            return arg.value
    return None


def _is_interesting(value: Value) -> bool:
    if isinstance(value, OneOf):
        return any(_is_interesting(v) for v in value.options)
    return isinstance(value, _CONTEXT_TYPES)


class Evaluator:
    def __init__(
        self,
        project: ProjectModel,
        callers: Optional[CallGraph] = None,
        session_factories: frozenset[str] = frozenset(),
    ) -> None:
        self.project = project
        self.callers = callers
        # Configured qualified names (third-party or project) whose call returns a sync Session.
        self.session_factories = session_factories
        self._names: dict[tuple[Env, str], Value] = {}
        self._members: dict[tuple[str, str], Value] = {}
        self._declared: dict[tuple[FunctionRef, int], Value] = {}
        self._from_callers: dict[tuple[FunctionRef, int], Value] = {}
        self._results: dict[tuple[FunctionRef, tuple[tuple[str, Value], ...], str], Value] = {}
        self._instance_attrs: dict[tuple[ClassRef, str], Value] = {}
        self._decorators: dict[FunctionRef, frozenset[str]] = {}
        self._class_kinds: dict[ClassRef, Optional[str]] = {}
        self._mros: dict[ClassRef, tuple[ClassRef, ...]] = {}
        self._request_state: dict[str, Value] = {}
        self._state_assigns: Optional[dict[str, list[tuple[Env, Expr, Optional[Expr]]]]] = None
        self._param_markers: dict[tuple[FunctionRef, int], tuple[Optional[Marker], Value]] = {}
        self._decorated: dict[FunctionRef, Value] = {}
        self._active: set[object] = set()
        self._cutoffs = 0
        self._provisional: dict[tuple[int, Any], Value] = {}
        self._depth = 0
        self._call_depth = 0

    # ------------------------------------------------------------------ guards

    def _memo(self, table: dict[Any, Value], key: Any, compute: Callable[[], Value]) -> Value:
        """``compute()`` once per key; a cycle or the depth limit answers UNKNOWN.

        A result that depended on such a cut-off is not cached for good: it may be incomplete
        only because of the order in which questions were asked. It is kept until the outermost
        question is answered, though: recomputing it at every turn of a cycle is exponential in
        the cycle's length (a request.state attribute fed back through a helper's callers took
        an hour on a 3,000-module service). Using a kept answer counts as a cut-off itself.
        """
        cached = table.get(key)
        if cached is not None:
            return cached
        guard = (id(table), key)
        provisional = self._provisional.get(guard)
        if provisional is not None:
            self._cutoffs += 1
            return provisional
        if guard in self._active or self._depth > MAX_EVAL_DEPTH:
            self._cutoffs += 1
            return UNKNOWN
        before = self._cutoffs
        self._active.add(guard)
        self._depth += 1
        try:
            value = compute()
        finally:
            self._depth -= 1
            self._active.discard(guard)
        if self._cutoffs == before:
            table[key] = value
        else:
            self._provisional[guard] = value
        if self._depth == 0:
            self._provisional.clear()
        return value

    # ------------------------------------------------------------------ environments

    def function_env(self, ref: FunctionRef) -> Env:
        return Env(ref.module, ref.key)

    def outer_env(self, ref: FunctionRef, function: FunctionSummary) -> Env:
        """Where a function's decorators, defaults and annotations are evaluated."""
        if function.class_key is not None:
            return self.class_env(ClassRef(ref.module, function.class_key))
        return Env(ref.module, function.parent_key)

    def scopes(self) -> Iterator[tuple[Env, Body]]:
        """Every module, class and function body with the environment it is evaluated in."""
        for key, module in self.project.modules.items():
            yield Env(key), module.body
            for class_key, cls in module.classes.items():
                yield self.class_env(ClassRef(key, class_key)), cls.body
            for function_key, function in module.functions.items():
                yield Env(key, function_key), function.body

    def class_env(self, ref: ClassRef) -> Env:
        summary = self.project.cls(ref)
        parent = summary.parent_key if summary else None
        function = None
        module = self.project.modules.get(ref.module)
        if parent is not None and module is not None and parent in module.functions:
            function = parent
        return Env(ref.module, function, ref.key)

    # ------------------------------------------------------------------ expressions

    def eval(self, expr: Optional[Expr], env: Env) -> Value:
        if expr is None:
            return UNKNOWN
        if isinstance(expr, Name):
            return self.lookup(expr.id, env)
        if isinstance(expr, Attr):
            return self.attribute(self.eval(expr.value, env), expr.attr)
        if isinstance(expr, Call):
            return self.eval_call(expr, env)
        if isinstance(expr, Subscript):
            return self.subscript(expr, env)
        if isinstance(expr, Const):
            return Literal(expr.value)
        if isinstance(expr, StrPrefix):
            return LiteralPrefix(expr.prefix)
        if isinstance(expr, Either):
            return join(self.eval(option, env) for option in expr.options)
        if isinstance(expr, YieldFrom):
            # ``yield from get_session()``: the items of the delegated generator.
            delegated = self.eval(expr.value, env)
            return join(o.yields for o in options(delegated) if isinstance(o, GeneratorValue))
        return UNKNOWN

    def annotation(self, expr: Optional[Expr], env: Env) -> Value:
        """A type expression; string annotations naming a dotted path are followed."""
        if isinstance(expr, Const) and isinstance(expr.value, str):
            parsed = _parse_dotted(expr.value)
            return self.eval(parsed, env) if parsed is not None else UNKNOWN
        if isinstance(expr, Either):
            return join(self.annotation(option, env) for option in expr.options)
        return self.eval(expr, env)

    def subscript(self, expr: Subscript, env: Env) -> Value:
        base = self.eval(expr.value, env)
        if isinstance(base, Kwargs) and len(expr.items) == 1:
            return _kwarg(base, expr.items[0])
        if not isinstance(base, External) or not expr.items:
            return UNKNOWN
        if base.qname == known.ANNOTATED:
            return AnnotatedType(
                self.annotation(expr.items[0], env),
                tuple(self.eval(item, env) for item in expr.items[1:]),
            )
        if base.qname == known.OPTIONAL:
            return self.annotation(expr.items[0], env)
        if base.qname == known.UNION:
            return join(self.annotation(item, env) for item in expr.items)
        return UNKNOWN

    # ------------------------------------------------------------------ names

    def lookup(self, name: str, env: Env) -> Value:
        key = (env, name)
        found = self._names.get(key)  # the common case, without building the closure
        if found is not None:
            return found
        if not env.context and self.local_bindings(name, env) is None:
            # A module-level name (or a builtin): the module's own memo answers it for every
            # scope of the module, without an entry per scope (3% of a one-changed run).
            return self.module_member(env.module, name)
        return self._memo(self._names, key, lambda: self._lookup(name, env))

    def _lookup(self, name: str, env: Env) -> Value:
        context = dict(env.context)
        if name in context and not self._is_global(name, env):
            return context[name]
        found = self.local_bindings(name, env)
        if found is not None:
            bindings, scope_env = found
            if env.outer and scope_env.function != env.function:
                # A name of an enclosing function: what it was bound to when this closure
                # was made, if that is known.
                for outer_name, value in env.outer:
                    if outer_name == name:
                        return value
            return self._bindings(bindings, scope_env)
        return self.module_member(env.module, name)

    def _is_global(self, name: str, env: Env) -> bool:
        module = self.project.modules[env.module]
        function = module.functions.get(env.function) if env.function else None
        return function is not None and name in function.body.global_names

    def local_bindings(
        self, name: str, env: Env
    ) -> Optional[tuple[tuple[Binding, ...], Env]]:
        """The class-body or function-scope bindings of ``name`` visible from ``env``."""
        module = self.project.modules[env.module]
        if env.class_body is not None:
            cls = module.classes.get(env.class_body)
            if cls is not None and name in cls.body.bindings:
                return cls.body.bindings[name], env
        function_key = env.function
        first = True
        while function_key is not None:
            function = module.functions.get(function_key)
            if function is None or name in function.body.global_names:
                break
            bindings = function.body.bindings.get(name)
            if bindings:
                return bindings, (env if first else Env(env.module, function_key))
            first = False
            function_key = function.parent_key
        return None

    def literal_sources(self, expr: Optional[Expr], env: Env, depth: int = 0) -> list[tuple[Expr, Env]]:
        """``expr``, or the expressions a name is assigned (across imports), to read literals."""
        if expr is None:
            return []
        if not isinstance(expr, Name) or depth > 4:
            return [(expr, env)]
        found = self.local_bindings(expr.id, env)
        if found is None:
            module = self.project.modules[env.module]
            bindings = module.body.bindings.get(expr.id)
            found = (bindings, Env(env.module)) if bindings else None
        if found is None:
            return []
        out: list[tuple[Expr, Env]] = []
        bindings, scope_env = found
        for binding in bindings:
            if isinstance(binding, ValueBinding) and binding.via == "assign":
                out.extend(self.literal_sources(binding.value, scope_env, depth + 1))
            elif isinstance(binding, ImportBinding) and "." in binding.target:
                owner, _, attr = binding.target.rpartition(".")
                target = self.qualified(owner, env.module)
                if isinstance(target, ModuleRef):
                    out.extend(self.literal_sources(Name(attr), Env(target.key), depth + 1))
        return out

    def sequence_items(self, expr: Optional[Expr], env: Env) -> list[Value]:
        """The values of a list/tuple literal (``dependencies=[...]``), following names."""
        out: list[Value] = []
        for source, source_env in self.literal_sources(expr, env):
            if isinstance(source, Seq):
                out.extend(self.eval(item, source_env) for item in source.items)
        return out

    def _bindings(self, bindings: tuple[Binding, ...], env: Env) -> Value:
        return join(self.binding_value(b, env) for b in bindings)

    def binding_value(self, binding: Binding, env: Env) -> Value:
        if isinstance(binding, ImportBinding):
            return self.qualified(binding.target, env.module)
        if isinstance(binding, DefBinding):
            ref = FunctionRef(env.module, binding.key)
            if env.function is not None and (env.context or env.outer):
                return Closure(ref, _merge(env.outer, env.context))
            return ref
        if isinstance(binding, ClassBinding):
            return ClassRef(env.module, binding.key)
        if isinstance(binding, ParamBinding):
            assert env.function is not None
            return self.param_value(FunctionRef(env.module, env.function), binding.index)
        assert isinstance(binding, ValueBinding)
        if binding.via == "assign":
            value = self.eval(binding.value, env)
        elif binding.via == "with":
            value = self.enter(self.eval(binding.value, env), is_async=False)
        elif binding.via == "async_with":
            value = self.enter(self.eval(binding.value, env), is_async=True)
        elif binding.via == "for":
            # ``for db in get_db():`` runs the generator: the loop variable is what it yields.
            iterable = self.eval(binding.value, env)
            value = join(o.yields for o in options(iterable) if isinstance(o, GeneratorValue))
        else:
            value = UNKNOWN
        if binding.annotation is not None and (
            isinstance(value, Unknown) or (isinstance(value, Literal) and value.value is None)
        ):
            # ``db: DatabaseManager = None``: set later (``global db`` in an init function).
            value = join((value, self.instance_of(self.annotation(binding.annotation, env))))
        return value

    def qualified(self, dotted: str, importer: str) -> Value:
        value, rest = self.project.resolve_qualified(dotted, importer)
        for attr in rest:
            value = self.attribute(value, attr)
        return value

    def module_member(self, module_key: str, name: str) -> Value:
        key = (module_key, name)
        found = self._members.get(key)
        if found is not None:
            return found
        return self._memo(self._members, key, lambda: self._module_member(module_key, name))

    def _module_member(self, module_key: str, name: str) -> Value:
        module = self.project.modules[module_key]
        bindings = module.body.bindings.get(name)
        if bindings:
            value = self._bindings(bindings, Env(module_key))
            return _name_factory(value, module.module, name)
        if module.is_package and module.module:
            sub = self.project.module_for_name(f"{module.module}.{name}", module_key)
            if sub is not None:
                return ModuleRef(sub)
        for star in module.star_imports:
            value = self.qualified(f"{star}.{name}", module_key)
            if not isinstance(value, (Unknown, External)):
                return value
        if name in BUILTIN_NAMES:
            return External(known.canonical(f"builtins.{name}"))
        for star in module.star_imports:
            value = self.qualified(star, module_key)
            if isinstance(value, External):
                return External(known.canonical(f"{value.qname}.{name}"))
        return UNKNOWN

    # ------------------------------------------------------------------ attributes

    def attribute(self, value: Value, attr: str) -> Value:
        if isinstance(value, OneOf):
            return join(self.attribute(option, attr) for option in value.options)
        if isinstance(value, ModuleRef):
            return self.module_member(value.key, attr)
        if isinstance(value, External):
            if value.qname.startswith("<namespace>:"):
                return self.qualified(f"{value.qname[12:]}.{attr}", "")
            return External(known.canonical(f"{value.qname}.{attr}"))
        if isinstance(value, ClassRef):
            return self.class_member(value, attr)
        if isinstance(value, Instance):
            return self.instance_attribute(value, attr)
        if isinstance(value, SessionFactory):
            if value.scoped and attr != "begin":
                kind = "async_session" if value.is_async else "session"
                return DbMethod(DbObject(kind, value.origin), attr)
            return DbMethod(value, attr)
        if isinstance(value, DbObject):
            return DbMethod(value, attr)
        if isinstance(value, AppObject):
            return AppMethod(value, attr)
        if isinstance(value, ExtInstance) and value.qname in known.REQUEST_CLASSES:
            return RequestState() if attr == "state" else UNKNOWN
        if isinstance(value, RequestState):
            return self.request_state(attr)
        if isinstance(value, Kwargs):
            return KwargsGet(value) if attr == "get" else UNKNOWN
        if isinstance(value, SuperProxy):
            for cls in self.mro(value.cls)[1:]:
                summary = self.project.cls(cls)
                if summary is not None and attr in summary.methods:
                    return self._method(FunctionRef(cls.module, summary.methods[attr]), value.receiver)
            return UNKNOWN
        return UNKNOWN

    def _method(self, method: FunctionRef, receiver: Value) -> Value:
        """A method looked up through an instance or class ``receiver``, bound as Python does."""
        decorators = self.decorator_names(method)
        if known.STATICMETHOD in decorators:
            return method
        if known.CLASSMETHOD in decorators:
            owner = receiver.cls if isinstance(receiver, Instance) else receiver
            return BoundMethod(method, owner)
        if isinstance(receiver, ClassRef):
            return method  # ``Class.method(instance, ...)``: self is passed explicitly
        return BoundMethod(method, receiver)

    def request_state(self, attr: str) -> Value:
        """``request.state.<attr>``: what any scope of the project assigns to it."""
        if self._state_assigns is None:
            self.project.read_everything()  # whichever module assigns it
            self._state_assigns = self._state_assignments()
        assigns = self._state_assigns.get(attr, [])
        return self._memo(
            self._request_state,
            attr,
            lambda: join(
                self.eval(value, env)
                for env, owner, value in assigns
                if isinstance(self.eval(owner, env), RequestState)
            ),
        )

    def _state_assignments(self) -> dict[str, list[tuple[Env, Expr, Optional[Expr]]]]:
        """``<owner>.state.<attr> = value`` in every scope, by attribute: built once per project
        and shared by its evaluators (the call graph has one per module)."""
        shared = self.project.derived.get("state_assigns")
        if isinstance(shared, dict):
            return shared
        index: dict[str, list[tuple[Env, Expr, Optional[Expr]]]] = {}
        for env, body in self.scopes():
            for assign in body.attr_assigns:
                target = assign.target
                if (
                    isinstance(target, Attr)
                    and isinstance(target.value, Attr)
                    and target.value.attr == "state"
                ):
                    index.setdefault(target.attr, []).append((env, target.value, assign.value))
        self.project.derived["state_assigns"] = index
        return index

    def mro(self, ref: ClassRef) -> tuple[ClassRef, ...]:
        """The project classes in ``ref``'s method resolution order (depth-first, no repeats)."""
        cached = self._mros.get(ref)
        if cached is not None:
            return cached
        seen: list[ClassRef] = []
        stack = [ref]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.append(current)
            summary = self.project.cls(current)
            if summary is None:
                continue
            env = self.class_env(current)
            outer = Env(env.module, env.function)
            bases = [self.eval(base, outer) for base in summary.bases]
            stack.extend(reversed([b for b in bases if isinstance(b, ClassRef)]))
        result = tuple(seen)
        self._mros[ref] = result
        return result

    def find_method(self, ref: ClassRef, name: str) -> Optional[FunctionRef]:
        for cls in self.mro(ref):
            summary = self.project.cls(cls)
            if summary is not None and name in summary.methods:
                return FunctionRef(cls.module, summary.methods[name])
        return None

    def class_member(self, ref: ClassRef, attr: str) -> Value:
        for cls in self.mro(ref):
            summary = self.project.cls(cls)
            if summary is None:
                continue
            if attr in summary.methods:
                return self._method(FunctionRef(cls.module, summary.methods[attr]), ref)
            bindings = summary.body.bindings.get(attr)
            if bindings:
                return self._bindings(bindings, self.class_env(cls))
        return UNKNOWN

    def instance_attribute(self, instance: Instance, attr: str) -> Value:
        for name, value in instance.attrs:
            if name == attr:
                return value
        plain = Instance(instance.cls)
        for cls in self.mro(instance.cls):
            summary = self.project.cls(cls)
            if summary is None:
                continue
            if attr in summary.methods:
                method = FunctionRef(cls.module, summary.methods[attr])
                decorators = self.decorator_names(method)
                if decorators & known.PROPERTIES:
                    return self.call_function(method, instance, (), Env(cls.module))
                return self._method(method, instance)
        return self._memo(
            self._instance_attrs,
            (instance.cls, attr),
            lambda: self._declared_attribute(plain, attr),
        )

    def _declared_attribute(self, instance: Instance, attr: str) -> Value:
        """``self.<attr>`` as any method of the class hierarchy sets it, or a class attribute."""
        values: list[Value] = []
        for cls in self.mro(instance.cls):
            summary = self.project.cls(cls)
            if summary is None:
                continue
            for method_key in summary.methods.values():
                ref = FunctionRef(cls.module, method_key)
                function = self.project.function(ref)
                if function is None or not function.params:
                    continue
                self_name = function.params[0].name
                for assign in function.body.attr_assigns:
                    target = assign.target
                    if (
                        isinstance(target, Attr)
                        and target.attr == attr
                        and isinstance(target.value, Name)
                        and target.value.id == self_name
                    ):
                        env = self.function_env(ref)
                        value = self.eval(assign.value, env)
                        if isinstance(value, Unknown) and assign.annotation is not None:
                            value = self.instance_of(self.annotation(assign.annotation, env))
                        values.append(value)
            bindings = summary.body.bindings.get(attr)
            if bindings:
                env = self.class_env(cls)
                for binding in bindings:
                    value = self.binding_value(binding, env)
                    marker = marker_in(value)
                    if marker is not None:
                        value = self.dependency_result(marker, None)
                    elif isinstance(value, (ClassRef, External)) and isinstance(
                        binding, ValueBinding
                    ):
                        value = UNKNOWN
                    if (
                        isinstance(binding, ValueBinding)
                        and binding.annotation is not None
                        and isinstance(value, Unknown)
                    ):
                        value = self.instance_of(self.annotation(binding.annotation, env))
                    values.append(value)
        return join(values)

    # ------------------------------------------------------------------ calls

    def eval_call(self, call: Call, env: Env) -> Value:
        callee = self.eval(call.func, env)
        result = join(self.call_value(option, call, env) for option in options(callee))
        if call.awaited:
            result = join(
                option.result if isinstance(option, Coroutine) else option
                for option in options(result)
            )
        return result

    def call_value(self, callee: Value, call: Call, env: Env) -> Value:
        if isinstance(callee, KwargsGet):
            key = call_argument(call, 0, "key")
            return _kwarg(callee.kwargs, key) if key is not None else UNKNOWN
        if isinstance(callee, External):
            if callee.qname in self.session_factories:
                return DbObject("session", Origin(render(call)))
            return self._external_call(callee.qname, call, env)
        if (
            isinstance(callee, FunctionRef)
            and self.session_factories
            and self.project.qualified_name(callee) in self.session_factories
        ):
            return DbObject("session", Origin(render(call)))
        if isinstance(callee, SessionFactory):
            kind = "async_session" if callee.is_async else "session"
            return DbObject(kind, callee.origin)
        if isinstance(callee, DbMethod):
            return self.db_method_result(callee)
        if isinstance(callee, FunctionRef):
            decorated = self.decorated(callee)
            if decorated != callee:
                return self.call_value(decorated, call, env)
            return self.call_function(callee, None, call.args, env)
        if isinstance(callee, Closure):
            return self.call_function(callee.function, None, call.args, env, callee.outer)
        if isinstance(callee, BoundMethod):
            return self.call_function(callee.function, callee.receiver, call.args, env)
        if isinstance(callee, ClassRef):
            return self.construct(callee, call.args, env, Site(env.module, call.node))
        if isinstance(callee, Instance):
            method = self.find_method(callee.cls, "__call__")
            if method is not None:
                return self.call_function(method, callee, call.args, env)
        return UNKNOWN

    def _external_call(self, qname: str, call: Call, env: Env) -> Value:
        if qname in (known.DEPENDS, known.SECURITY):
            dependency = call_argument(call, 0, "dependency")
            scope = keyword_argument(call, "scope")
            return Marker(
                "security" if qname == known.SECURITY else "depends",
                self.eval(dependency, env) if dependency is not None else None,
                Site(env.module, call.node),
                scope.value if isinstance(scope, Const) and isinstance(scope.value, str) else None,
            )
        if qname == known.SESSIONMAKER:
            class_ = self.eval(keyword_argument(call, "class_"), env)
            return SessionFactory(is_async=self._is_async_session_class(class_))
        if qname == known.ASYNC_SESSIONMAKER:
            return SessionFactory(is_async=True)
        if qname == known.SCOPED_SESSION:
            inner = self.eval(call_argument(call, 0, "session_factory"), env)
            is_async = any(isinstance(o, SessionFactory) and o.is_async for o in options(inner))
            return SessionFactory(is_async=is_async, scoped=True)
        if qname == known.ASYNC_SCOPED_SESSION:
            return SessionFactory(is_async=True, scoped=True)
        if qname in (known.CREATE_ENGINE, known.ENGINE_FROM_CONFIG):
            return DbObject("engine")
        if qname == known.CREATE_ASYNC_ENGINE:
            return DbObject("async_engine")
        if qname == known.FASTAPI_APP:
            return AppObject("app", Site(env.module, call.node))
        if qname == known.API_ROUTER:
            return AppObject("router", Site(env.module, call.node))
        if qname == known.SUPER and not call.args:
            return self._super(env)
        if qname == known.DECLARATIVE_BASE:
            # ``declarative_base(cls=Mixin)``: models inherit the mixin's methods.
            mixin = self.eval(keyword_argument(call, "cls"), env)
            return mixin if isinstance(mixin, ClassRef) else UNKNOWN
        if qname == known.NEXT:
            generator = self.eval(call_argument(call, 0, ""), env)
            return join(o.yields for o in options(generator) if isinstance(o, GeneratorValue))
        if qname == known.INSPECT:
            subject = self.eval(call_argument(call, 0, "subject"), env)
            if any(
                isinstance(o, DbObject) and o.kind in ("engine", "connection")
                for o in options(subject)
            ):
                return DbObject("inspector")
            return UNKNOWN
        kind = known.INSTANCE_KINDS.get(qname)
        if kind is not None:
            return DbObject(kind, Origin(render(call)) if kind == "session" else None)
        return UNKNOWN

    def _super(self, env: Env) -> Value:
        """``super()`` in a method: the method's class and its first parameter's value."""
        if env.function is None:
            return UNKNOWN
        function = self.project.function(FunctionRef(env.module, env.function))
        if function is None or function.class_key is None or not function.params:
            return UNKNOWN
        receiver = self.lookup(function.params[0].name, env)
        return SuperProxy(ClassRef(env.module, function.class_key), receiver)

    def _is_async_session_class(self, value: Value) -> bool:
        for option in options(value):
            if isinstance(option, External) and option.qname == known.ASYNC_SESSION:
                return True
            if isinstance(option, ClassRef) and self.class_kind(option) == "async_session":
                return True
        return False

    def db_method_result(self, method: DbMethod) -> Value:
        obj, name = method.obj, method.name
        if isinstance(obj, SessionFactory):
            if name == "begin":
                kind = "async_session" if obj.is_async else "session"
                origin = obj.origin
                text = f"{origin.name}.begin()" if origin and origin.name else "begin()"
                return DbObject(
                    kind,
                    Origin(text, origin.module, origin.name) if origin else None,
                )
            return UNKNOWN
        kind = obj.kind
        if kind in ("session", "async_session"):
            if name == "query" and kind == "session":
                return DbObject("query", obj.origin)
            if name == "connection":
                return DbObject("connection" if kind == "session" else "async_connection")
            if name == "get_bind":
                return DbObject("engine")
            return UNKNOWN
        if kind == "engine" and name in ("connect", "begin"):
            return DbObject("connection")
        if kind == "async_engine" and name in ("connect", "begin"):
            return DbObject("async_connection")
        if kind == "query" and name in known.QUERY_BUILDERS:
            return obj
        if kind in ("connection", "async_connection") and name == "execution_options":
            return obj
        return UNKNOWN

    def bind_arguments(
        self,
        function: FunctionSummary,
        receiver: Optional[Value],
        args: tuple[Arg, ...],
        env: Env,
    ) -> tuple[tuple[str, Value], ...]:
        params = list(function.params)
        bound: dict[str, Value] = {}
        if receiver is not None and params and params[0].kind in ("pos", "posonly"):
            bound[params[0].name] = receiver
            params = params[1:]
        positional = [p for p in params if p.kind in ("pos", "posonly")]
        varkw = next((p.name for p in params if p.kind == "varkw"), None)
        # Names the function's guards test (``if root is None:``): literal arguments for those
        # are kept too, so that the guard can be decided for this call.
        tested = function.guard_names
        extra: dict[str, Value] = {}
        index = 0
        for arg in args:
            if arg.star:
                if arg.star == "*":
                    index = len(positional)  # positions after a *args are unknown
                continue
            if arg.keyword is None:
                if index < len(positional):
                    name = positional[index].name
                    value = self._argument(arg.value, env, name in tested)
                    if value is not None:
                        bound[name] = value
                index += 1
            else:
                param = function.param(arg.keyword)
                if param is not None and param.kind not in ("posonly", "vararg", "varkw"):
                    value = self._argument(arg.value, env, param.name in tested)
                    if value is not None:
                        bound[param.name] = value
                elif param is None and varkw is not None:
                    value = self._argument(arg.value, env, bool(tested))
                    if value is not None:
                        extra[arg.keyword] = value
        if varkw is not None and extra:
            bound[varkw] = Kwargs(tuple(sorted(extra.items(), key=lambda item: item[0])))
        return tuple(sorted(bound.items(), key=lambda item: item[0]))

    def _argument(self, expr: Expr, env: Env, tested: bool) -> Optional[Value]:
        """What a call passes for one parameter, when worth carrying into the callee."""
        value = self.eval(expr, env)
        if _is_interesting(value):
            return value
        # Facts about None and truthiness come from how the argument is written, never from its
        # evaluated value (``x if c else None`` evaluates to ``None`` when ``x`` is unreadable).
        if isinstance(expr, Const):
            if expr.value is None:
                # An explicit ``None`` overrides the parameter's annotation: ``get(None, ...)``
                # is no session.
                return Literal(None)
            return Literal(expr.value) if tested else None
        if not tested:
            return None
        if isinstance(expr, (Seq, DictExpr)):
            return Given(bool(expr.items))
        if isinstance(expr, StrPrefix):
            return Given(bool(expr.prefix))
        return None

    def call_function(
        self,
        ref: FunctionRef,
        receiver: Optional[Value],
        args: tuple[Arg, ...],
        env: Env,
        outer: tuple[tuple[str, Value], ...] = (),
    ) -> Value:
        function = self.project.function(ref)
        if function is None:
            return UNKNOWN
        if self._call_depth >= MAX_CALL_DEPTH:
            return UNKNOWN
        self._call_depth += 1
        try:
            context = self.bind_arguments(function, receiver, args, env)
            decorators = self.decorator_names(ref)
            if known.CONTEXTMANAGER in decorators:
                return ContextManagerValue(self.produced(ref, context, "yield", outer))
            if known.ASYNCCONTEXTMANAGER in decorators:
                return ContextManagerValue(
                    self.produced(ref, context, "yield", outer), is_async=True
                )
            if function.is_generator:
                if function.is_async:
                    return UNKNOWN
                return GeneratorValue(self.produced(ref, context, "yield", outer))
            result = self.produced(ref, context, "return", outer)
            return Coroutine(result) if function.is_async else result
        finally:
            self._call_depth -= 1

    def produced(
        self,
        ref: FunctionRef,
        context: tuple[tuple[str, Value], ...],
        what: str,
        outer: tuple[tuple[str, Value], ...] = (),
    ) -> Value:
        """What a function returns (``what="return"``) or yields, under a caller's context
        (and, for a closure, what its enclosing functions' names were bound to)."""
        function = self.project.function(ref)
        if function is None:
            return UNKNOWN
        env = Env(ref.module, ref.key, context=context, outer=outer)
        exprs = function.return_values if what == "return" else function.yields

        def compute() -> Value:
            value = join(self.eval(e, env) for e in exprs)
            if _is_interesting(value):
                return value
            # A registry lookup or a third-party call: the return annotation still says what
            # comes out (``-> Session``, ``-> Generator[Session, None, None]``).
            return join((value, self.annotated_result(ref, function, what)))

        return self._memo(self._results, (ref, context, what, outer), compute)

    def annotated_result(self, ref: FunctionRef, function: FunctionSummary, what: str) -> Value:
        """What a function's return annotation says it returns, or yields when ``what`` is
        ``"yield"`` (the first argument of ``Generator[...]``/``Iterator[...]``...)."""
        returns = function.returns
        if returns is None:
            return UNKNOWN
        env = self.outer_env(ref, function)
        if what == "yield" or known.CONTEXTMANAGER in self.decorator_names(ref):
            if not isinstance(returns, Subscript) or not returns.items:
                return UNKNOWN
            origin = self.eval(returns.value, env)
            if not (isinstance(origin, External) and origin.qname in known.GENERATOR_TYPES):
                return UNKNOWN
            returns = returns.items[0]
        return self.instance_of(self.annotation(returns, env))

    def construct(
        self, ref: ClassRef, args: tuple[Arg, ...], env: Env, site: Optional[Site] = None
    ) -> Value:
        kind = self.class_kind(ref)
        if kind is not None:
            if kind in ("app", "router"):
                return AppObject(kind, site) if site is not None else UNKNOWN
            return DbObject(kind)
        init = self.find_method(ref, "__init__")
        plain = Instance(ref)
        if init is None:
            return plain
        function = self.project.function(init)
        if function is None or not function.params or self._call_depth >= MAX_CALL_DEPTH:
            return plain
        self._call_depth += 1
        try:
            context = self.bind_arguments(function, plain, args, env)
        finally:
            self._call_depth -= 1
        if len(context) <= 1:
            return plain
        init_env = Env(init.module, init.key, context=context)
        self_name = function.params[0].name
        attrs: dict[str, Value] = {}
        for assign in function.body.attr_assigns:
            target = assign.target
            if (
                isinstance(target, Attr)
                and isinstance(target.value, Name)
                and target.value.id == self_name
            ):
                value = self.eval(assign.value, init_env)
                if _is_interesting(value):
                    attrs[target.attr] = value
        return Instance(ref, tuple(sorted(attrs.items(), key=lambda item: item[0])))

    def class_kind(self, ref: ClassRef) -> Optional[str]:
        """A known kind a project class inherits: "app", "router" or a database-object kind."""
        if ref in self._class_kinds:
            return self._class_kinds[ref]
        self._class_kinds[ref] = None  # cycle guard
        result: Optional[str] = None
        summary = self.project.cls(ref)
        if summary is not None:
            env = self.class_env(ref)
            outer = Env(env.module, env.function)
            for base in summary.bases:
                for option in options(self.eval(base, outer)):
                    if isinstance(option, External):
                        if option.qname == known.API_ROUTER:
                            result = "router"
                        elif option.qname == known.FASTAPI_APP:
                            result = "app"
                        else:
                            result = known.INSTANCE_KINDS.get(option.qname)
                    elif isinstance(option, ClassRef):
                        result = self.class_kind(option)
                    if result is not None:
                        break
                if result is not None:
                    break
        self._class_kinds[ref] = result
        return result

    # ------------------------------------------------------------------ with, types

    def enter(self, value: Value, *, is_async: bool) -> Value:
        """What ``with value as x`` binds to ``x``."""
        out: list[Value] = []
        for option in options(value):
            if isinstance(option, DbObject):
                # A sync session cannot be entered with ``async with``, nor an async one with
                # ``with``: if the code does, our guess of the object's kind is wrong.
                if option.kind.startswith("async_") == is_async:
                    out.append(option)
            elif isinstance(option, ContextManagerValue) and option.is_async == is_async:
                out.append(option.enter)
        return join(out)

    def instance_of(self, type_value: Value) -> Value:
        """An instance of the class a type expression names."""
        out: list[Value] = []
        for option in options(type_value):
            if isinstance(option, AnnotatedType):
                out.append(self.instance_of(option.base))
            elif isinstance(option, External):
                kind = known.INSTANCE_KINDS.get(option.qname)
                if kind is not None:
                    out.append(DbObject(kind))
                elif option.qname in (known.SESSIONMAKER, known.SCOPED_SESSION):
                    out.append(SessionFactory(False, option.qname == known.SCOPED_SESSION))
                elif option.qname in (known.ASYNC_SESSIONMAKER, known.ASYNC_SCOPED_SESSION):
                    out.append(SessionFactory(True, option.qname == known.ASYNC_SCOPED_SESSION))
                elif not option.qname.startswith("builtins."):
                    out.append(ExtInstance(option.qname))
            elif isinstance(option, ClassRef):
                kind = self.class_kind(option)
                if kind is not None and kind not in ("app", "router"):
                    out.append(DbObject(kind))
                elif kind is None:
                    out.append(Instance(option))
        return join(out)

    # ------------------------------------------------------------------ functions

    def decorated(self, ref: FunctionRef) -> Value:
        """What a function's name really holds once the project's own decorators are applied:
        the ``wrapper`` a decorator returns (a ``Closure`` over the wrapped function), so a
        call goes through what the wrapper does (``@with_session`` opening a session and
        passing it in). Third-party decorators are taken as transparent."""
        if "<project>" not in self.decorator_names(ref):
            return ref
        return self._memo(self._decorated, ref, lambda: self._apply_decorators(ref))

    def _apply_decorators(self, ref: FunctionRef) -> Value:
        function = self.project.function(ref)
        if function is None:
            return ref
        env = self.outer_env(ref, function)
        current: Value = ref
        for decorator in reversed(function.decorators):  # the nearest decorator applies first
            for option in options(self.eval(decorator, env)):
                if isinstance(option, (FunctionRef, Closure)):
                    target = option.function if isinstance(option, Closure) else option
                    summary = self.project.function(target)
                    if summary is None or summary.is_async or not summary.params:
                        return ref
                    outer = option.outer if isinstance(option, Closure) else ()
                    context = ((summary.params[0].name, current),)
                    wrapped = self.produced(target, context, "return", outer)
                    if not isinstance(wrapped, (FunctionRef, Closure)):
                        return ref  # not a decorator we can follow: keep the plain function
                    current = wrapped
                    break
        return current

    def decorator_names(self, ref: FunctionRef) -> frozenset[str]:
        """Canonical names of a function's third-party decorators (``contextmanager``...)."""
        cached = self._decorators.get(ref)
        if cached is not None:
            return cached
        names: set[str] = set()
        for option in self._decorator_values(ref):
            if isinstance(option, External):
                names.add(option.qname)
            elif isinstance(option, (FunctionRef, Closure)):
                names.add("<project>")
            else:
                names.add("<other>")
        result = frozenset(names)
        self._decorators[ref] = result
        return result

    def _decorator_values(self, ref: FunctionRef) -> Iterator[Value]:
        function = self.project.function(ref)
        if function is None or not function.decorators:
            return
        env = self.outer_env(ref, function)
        for decorator in function.decorators:
            target = decorator.func if isinstance(decorator, Call) else decorator
            yield from options(self.eval(target, env))

    def param_value(self, ref: FunctionRef, index: int) -> Value:
        declared = self.declared_param(ref, index)
        if self.callers is None:
            return declared
        if isinstance(declared, Unknown):
            return self.param_from_callers(ref, index)
        if isinstance(declared, AppObject) and declared.site.node < 0:
            # ``def register(app: FastAPI)``: the app its callers pass, if they are known.
            passed = self.param_from_callers(ref, index)
            if not isinstance(passed, Unknown):
                return passed
        return declared

    def declared_param(self, ref: FunctionRef, index: int) -> Value:
        return self._memo(self._declared, (ref, index), lambda: self._declared_param(ref, index))

    def _declared_param(self, ref: FunctionRef, index: int) -> Value:
        function = self.project.function(ref)
        if function is None or index >= len(function.params):
            return UNKNOWN
        param = function.params[index]
        if index == 0 and function.class_key is not None and param.kind in ("pos", "posonly"):
            decorators = self.decorator_names(ref)
            cls = ClassRef(ref.module, function.class_key)
            if known.STATICMETHOD not in decorators:
                if known.CLASSMETHOD in decorators:
                    return cls
                return Instance(cls)
        marker, annotation = self.param_marker(ref, function, param)
        if marker is not None:
            value = self.dependency_result(marker, annotation)
            if not isinstance(value, Unknown):
                return value
        for option in options(annotation):
            if isinstance(option, External) and option.qname in (known.FASTAPI_APP, known.API_ROUTER):
                # An app or router passed in: identified by the parameter (node ids are >= 0,
                # so a negative node marks the object as a stand-in for whatever callers pass).
                kind = "app" if option.qname == known.FASTAPI_APP else "router"
                return AppObject(kind, Site(ref.module, -1 - param.node))
        return self.instance_of(annotation)

    def param_marker(
        self, ref: FunctionRef, function: FunctionSummary, param: Param
    ) -> tuple[Optional[Marker], Value]:
        """The ``Depends``/``Security`` marker of a parameter (default or ``Annotated``).

        Asked for every parameter by the FastAPI graph, the declared parameter values and the
        dependency closures: memoised, unless a cut-off made the answer order-dependent.
        """
        key = (ref, param.node)
        found = self._param_markers.get(key)
        if found is not None:
            return found
        before = self._cutoffs
        result = self._param_marker(ref, function, param)
        if self._cutoffs == before:
            self._param_markers[key] = result
        return result

    def _param_marker(
        self, ref: FunctionRef, function: FunctionSummary, param: Param
    ) -> tuple[Optional[Marker], Value]:
        env = self.outer_env(ref, function)
        annotation = self.annotation(param.annotation, env) if param.annotation else UNKNOWN
        if param.default is not None:
            marker = marker_in(self.eval(param.default, env))
            if marker is not None:
                return marker, annotation
        for option in options(annotation):
            if isinstance(option, AnnotatedType):
                for meta in reversed(option.metadata):
                    marker = marker_in(meta)
                    if marker is not None:
                        return marker, annotation
        return None, annotation

    def dependency_callable(self, marker: Marker, annotation: Value) -> Value:
        """What FastAPI calls for a marker: its dependency, or the annotated class."""
        if marker.dependency is not None:
            return marker.dependency
        bases = [
            option.base if isinstance(option, AnnotatedType) else option
            for option in options(annotation)
        ]
        return join(bases)

    def dependency_result(self, marker: Marker, annotation: Optional[Value]) -> Value:
        """The value FastAPI passes for a marker: what the dependency returns or yields."""
        dependency = self.dependency_callable(marker, annotation or UNKNOWN)
        out: list[Value] = []
        for option in options(dependency):
            if isinstance(option, (FunctionRef, Closure)):
                ref = option.function if isinstance(option, Closure) else option
                outer = option.outer if isinstance(option, Closure) else ()
                function = self.project.function(ref)
                if function is None:
                    continue
                decorators = self.decorator_names(ref)
                if function.is_generator and not decorators & {
                    known.CONTEXTMANAGER,
                    known.ASYNCCONTEXTMANAGER,
                }:
                    out.append(self.produced(ref, (), "yield", outer))
                else:
                    out.append(self.produced(ref, (), "return", outer))
            elif isinstance(option, ClassRef):
                out.append(self.construct(option, (), Env(option.module)))
            elif isinstance(option, SessionFactory):
                out.append(DbObject("async_session" if option.is_async else "session", option.origin))
            elif isinstance(option, (Instance, BoundMethod)):
                method = (
                    option.function
                    if isinstance(option, BoundMethod)
                    else self.find_method(option.cls, "__call__")
                )
                if method is not None:
                    function = self.project.function(method)
                    if function is not None:
                        what = "yield" if function.is_generator else "return"
                        out.append(self.produced(method, (), what))
        return join(out)

    def param_from_callers(self, ref: FunctionRef, index: int) -> Value:
        return self._memo(
            self._from_callers, (ref, index), lambda: self._param_from_callers(ref, index)
        )

    def _param_from_callers(self, ref: FunctionRef, index: int) -> Value:
        assert self.callers is not None
        function = self.project.function(ref)
        if function is None:
            return UNKNOWN
        param = function.params[index]
        if param.kind in ("vararg", "varkw"):
            return UNKNOWN
        values: list[Value] = []
        for site in self.callers.sites_calling(ref):
            receiver = site.receiver is not None
            position = index - 1 if receiver else index
            expr = call_argument(site.call, position, param.name) if position >= 0 else None
            if expr is not None:
                values.append(self.eval(expr, site.env))
        value = join(values)
        if not isinstance(value, Unknown) and any(isinstance(v, Unknown) for v in values):
            value = join((value, UNREADABLE))
        return value


def _merge(
    outer: tuple[tuple[str, Value], ...], inner: tuple[tuple[str, Value], ...]
) -> tuple[tuple[str, Value], ...]:
    """Names bound by enclosing functions, the innermost winning."""
    merged = dict(outer)
    merged.update(inner)
    return tuple(sorted(merged.items(), key=lambda item: item[0]))


def _kwarg(kwargs: Kwargs, key: Expr) -> Value:
    if isinstance(key, Const) and isinstance(key.value, str):
        for name, value in kwargs.items:
            if name == key.value:
                return value
    return UNKNOWN


def marker_in(value: Value) -> Optional[Marker]:
    """The first ``Depends``/``Security`` marker a value may be."""
    for option in options(value):
        if isinstance(option, Marker):
            return option
    return None


def _name_factory(value: Value, module: str, name: str) -> Value:
    """Remember the module-level name a session factory is bound to (for rewrites)."""
    if isinstance(value, SessionFactory) and value.origin is None:
        return SessionFactory(value.is_async, value.scoped, Origin(f"{name}()", module, name))
    return value


def _parse_dotted(text: str) -> Optional[Expr]:
    parts = text.strip().split(".")
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    expr: Expr = Name(parts[0])
    for part in parts[1:]:
        expr = Attr(expr, part)
    return expr

