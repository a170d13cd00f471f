"""FPL001 fix (unsafe): open the session in each sync route instead of injecting it.

For every sync route whose own parameter receives the session from the flagged generator
(``Depends(get_db)``, ``Annotated[Session, Depends(get_db)]`` or an alias of it), the parameter
is removed and the route's body (after its docstring) runs inside ``with <opener> as <name>:``,
where the opener is how the generator opened the session, turned into ``<factory>.begin()`` (or
``with <opener> as db, db.begin():``) when the generator committed. The route's module gets the
imports the opener needs and loses those only the removed parameter used. The generator itself
is kept.

Refused, with the reason and the rewrite as display-only text: a generator that is listed in
``app.dependency_overrides`` anywhere, that does more than open/commit/roll back/close its
session or that has parameters FastAPI fills; per route: an async route, a session shared with
another dependency or a ``dependencies=[...]`` list, background tasks or streaming responses
(they run after the session closed), a closure capturing the session, a route called directly,
a route that manages the transaction itself while the generator commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import libcst as cst

from ..findings import Finding
from ..model import known
from ..model.evaluator import Env, render
from ..model.fastapi_app import Route
from ..model.sessions import (
    GeneratorLifecycle,
    TransactionCalls,
    generator_lifecycle,
    session_generator,
)
from ..model.values import (
    DbMethod,
    External,
    FunctionRef,
    SessionFactory,
    Unknown,
    Value,
    options,
)
from ..summary.records import (
    Attr,
    ClassBinding,
    DefBinding,
    FunctionSummary,
    ImportBinding,
    Name,
    Param,
    ValueBinding,
)
from .base import (
    DISPLAY_ONLY,
    UNSAFE,
    AddImport,
    CannotFix,
    Change,
    NodeChange,
    Plan,
    RemoveImportIfUnused,
)
from .context import FixContext, Fixer
from .cstutil import remove_parameter, wrap_body_in_with
from .source import ParsedModule

REQUEST_TYPES = frozenset(
    {"starlette.requests.Request", "fastapi.WebSocket", "starlette.websockets.WebSocket"}
)
LIST_NAMES = {
    "route dependencies": "the route's `dependencies=[...]`",
    "router dependencies": "the `dependencies=[...]` of its app or router",
}
DETACHED_NOTE = (
    "ORM objects a route returns are detached once the session closes, before the response is "
    "serialised (unloaded lazy relationships raise DetachedInstanceError): return plain data"
)
EXPIRED_NOTE = (
    "; the commit at the end of the block also expires them unless the sessionmaker sets "
    "`expire_on_commit=False`"
)


@dataclass(frozen=True)
class OpenSessionInRoute(NodeChange):
    """Drop the session parameter and run the body inside ``with <items>:``."""

    param: str
    items: tuple[tuple[str, Optional[str]], ...]  # (expression, ``as`` name or None)

    def transform(self, node: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(node, cst.FunctionDef):
            raise CannotFix(f"expected a function, found {type(node).__name__}")
        params = remove_parameter(node.params, self.param)
        if params is None:
            raise CannotFix(f"the route has no parameter `{self.param}` any more")
        items = [
            cst.WithItem(
                item=cst.parse_expression(code),
                asname=cst.AsName(name=cst.Name(name)) if name is not None else None,
            )
            for code, name in self.items
        ]
        return wrap_body_in_with(node.with_changes(params=params), items)


@dataclass(frozen=True)
class Opener:
    """How the routes open the session: ``with <first> as <name>[, <name>.begin()]:``."""

    code: str  # the expression, as the generator wrote it (adjusted to begin a transaction)
    begin_separately: bool  # also enter ``<name>.begin()``
    names: tuple[str, ...]  # free names the expression uses
    commits: bool

    def items(self, variable: str) -> tuple[tuple[str, Optional[str]], ...]:
        first = (self.code, variable)
        return (first, (f"{variable}.begin()", None)) if self.begin_separately else (first,)

    def text(self, variable: str) -> str:
        return ", ".join(
            f"{code} as {name}" if name else code for code, name in self.items(variable)
        )


@dataclass(frozen=True)
class ImportSpec:
    module: str  # absolute dotted module
    name: str
    project: bool  # a module of the analysed project (else a library)
    asname: Optional[str] = None


def _free_names(node: cst.CSTNode) -> list[str]:
    """Names an expression reads (not attribute names, not keyword argument names)."""
    names: list[str] = []

    def walk(current: cst.CSTNode) -> None:
        if isinstance(current, cst.Name):
            if current.value not in names:
                names.append(current.value)
            return
        if isinstance(current, cst.Attribute):
            walk(current.value)
            return
        if isinstance(current, cst.Arg):
            walk(current.value)
            return
        for child in current.children:
            walk(child)

    walk(node)
    return names


def _first_line(code: str) -> str:
    lines = [line.strip() for line in code.strip().splitlines() if line.strip()]
    return lines[0] if lines else code


class _GeneratorShape:
    """Checks the generator's statements: only open, yield, commit/rollback/close, raise."""

    def __init__(self, parsed: ParsedModule, lifecycle: GeneratorLifecycle, opener: cst.Call) -> None:
        self.parsed = parsed
        self.variable = lifecycle.variable
        self.opener = opener

    def _is_variable(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value == self.variable

    def _small_ok(self, statement: cst.BaseSmallStatement) -> bool:
        if isinstance(statement, cst.Pass):
            return True
        if isinstance(statement, cst.Raise):
            return statement.exc is None or isinstance(statement.exc, cst.Name)
        if isinstance(statement, cst.Assign):
            return (
                len(statement.targets) == 1
                and self._is_variable(statement.targets[0].target)
                and statement.value is self.opener
            )
        if isinstance(statement, cst.Expr):
            value = statement.value
            if isinstance(value, cst.Yield):
                return value.value is self.opener or (
                    value.value is not None
                    and not isinstance(value.value, cst.From)
                    and self._is_variable(value.value)
                )
            return (
                isinstance(value, cst.Call)
                and not value.args
                and isinstance(value.func, cst.Attribute)
                and self._is_variable(value.func.value)
                and value.func.attr.value in ("commit", "rollback", "close")
            )
        return False

    def problem(self, statements: tuple[cst.BaseStatement, ...], top: bool = False) -> Optional[str]:
        """The first statement a context-manager rewrite would lose, as source text."""
        for index, statement in enumerate(statements):
            if (
                top
                and index == 0
                and isinstance(statement, cst.SimpleStatementLine)
                and len(statement.body) == 1
                and isinstance(statement.body[0], cst.Expr)
                and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
            ):
                continue
            if isinstance(statement, cst.SimpleStatementLine):
                if not all(self._small_ok(small) for small in statement.body):
                    return self.parsed.code(statement)
            elif isinstance(statement, cst.Try):
                blocks = [statement.body]
                blocks.extend(handler.body for handler in statement.handlers)
                if statement.orelse is not None:
                    blocks.append(statement.orelse.body)
                if statement.finalbody is not None:
                    blocks.append(statement.finalbody.body)
                for block in blocks:
                    found = self.block(block)
                    if found is not None:
                        return found
            elif isinstance(statement, cst.With):
                if not (
                    len(statement.items) == 1
                    and statement.items[0].item is self.opener
                    and statement.items[0].asname is not None
                    and self._is_variable(statement.items[0].asname.name)
                    and statement.asynchronous is None
                ):
                    return self.parsed.code(statement)
                found = self.block(statement.body)
                if found is not None:
                    return found
            else:
                return self.parsed.code(statement)
        return None

    def block(self, block: cst.BaseSuite) -> Optional[str]:
        if isinstance(block, cst.IndentedBlock):
            return self.problem(tuple(block.body))
        assert isinstance(block, cst.SimpleStatementSuite)
        for small in block.body:
            if not self._small_ok(small):
                return self.parsed.code(small)
        return None


class SessionDependencyFixer(Fixer):
    code = "FPL001"

    def __init__(self, context: FixContext) -> None:
        super().__init__(context)
        self._transactions = TransactionCalls(context.analysis.evaluator)

    # ------------------------------------------------------------------ the generator

    def plan(self, finding: Finding) -> Plan:
        analysis = self.analysis
        project = analysis.project
        generator = self.context.function_at(finding)
        function = project.function(generator)
        assert function is not None
        name = function.name
        session = session_generator(analysis.evaluator, generator)
        if session is None:
            raise CannotFix(f"`{name}` no longer yields a sync session")
        overrides = analysis.fastapi.override_modules.get(generator)
        if overrides:
            raise CannotFix(
                f"`{name}` is replaced through `app.dependency_overrides` (in "
                f"{', '.join(overrides)}); routes that open their own session would escape "
                f"that override"
            )
        opener = self._opener(generator, function)
        routes: dict[FunctionRef, list[Route]] = {}
        for route in analysis.fastapi.routes_reaching(generator):
            routes.setdefault(route.endpoint, []).append(route)
        if not routes:
            raise CannotFix(f"no route receives the session of `{name}` as a parameter")
        changes: list[Change] = []
        fixed: list[str] = []
        variables: list[str] = []
        refused: dict[str, list[str]] = {}
        suggestions: list[str] = []
        for endpoint in sorted(routes, key=lambda r: (r.module, self._node(r))):
            route_name = f"`{project.short_name(endpoint)}`"
            try:
                route_changes = self._route_changes(generator, endpoint, routes[endpoint], opener)
                changes.extend(route_changes)
                fixed.append(route_name)
                first = route_changes[0]
                assert isinstance(first, OpenSessionInRoute)
                variables.append(first.param)
            except CannotFix as reason:
                refused.setdefault(str(reason), []).append(route_name)
                suggestion = self._suggestion(endpoint, generator, opener)
                if suggestion:
                    suggestions.append(suggestion)
        left = tuple(f"{_routes(names)}: {reason}" for reason, names in refused.items())
        variable = variables[0] if len(set(variables)) == 1 else self._variable(function)
        note = ""
        if session.kind == "session":
            note = "; " + DETACHED_NOTE + (EXPIRED_NOTE if opener.commits else "")
        suggestion = "\n\n".join(suggestions) or None
        if not changes:
            return Plan(
                DISPLAY_ONLY,
                f"No automatic fix: {'; '.join(left)}. Open the session in the route instead "
                f"(`with {opener.text(variable)}:`){note}",
                suggestion=suggestion,
            )
        message = (
            f"Open the session in {_routes(fixed)} with `with {opener.text(variable)}:` instead "
            f"of injecting `{name}`{note}"
        )
        return Plan(UNSAFE, message, tuple(changes), left, suggestion)

    def _node(self, ref: FunctionRef) -> int:
        function = self.analysis.project.function(ref)
        return function.node if function is not None else 0

    @staticmethod
    def _variable(function: FunctionSummary) -> str:
        for value in function.yields:
            if isinstance(value, Name):
                return value.id
        return "db"

    def _opener(self, generator: FunctionRef, function: FunctionSummary) -> Opener:
        analysis = self.analysis
        name = function.name
        lifecycle = generator_lifecycle(analysis.project, generator)
        if lifecycle is None:
            raise CannotFix(f"cannot tell how `{name}` opens the session it yields")
        if lifecycle.other_calls:
            extra = render(lifecycle.other_calls[0])
            raise CannotFix(
                f"`{name}` does more than open, commit and close its session (`{extra}`), "
                f"which the routes would lose"
            )
        self._check_parameters(generator, function)
        parsed = self.context.parsed(generator.module)
        opener_node = parsed.node(lifecycle.opener.node)
        if not isinstance(opener_node, cst.Call):
            raise CannotFix(f"cannot find where `{name}` opens its session")
        definition = parsed.node(function.node)
        assert isinstance(definition, cst.FunctionDef)
        shape = _GeneratorShape(parsed, lifecycle, opener_node)
        body = definition.body
        problem = (
            shape.problem(tuple(body.body), top=True)
            if isinstance(body, cst.IndentedBlock)
            else shape.block(body)
        )
        if problem is not None:
            raise CannotFix(
                f"`{name}` does more than open, commit and close its session "
                f"(`{_first_line(problem)}`), which the routes would lose"
            )
        code = parsed.code(opener_node)
        begins = isinstance(opener_node.func, cst.Attribute) and opener_node.func.attr.value == "begin"
        begin_separately = False
        if lifecycle.commits and not begins:
            env = Env(generator.module, generator.key)
            callee = analysis.evaluator.eval(lifecycle.opener.func, env)
            if any(isinstance(o, SessionFactory) for o in options(callee)) and not opener_node.args:
                code = f"{parsed.code(opener_node.func)}.begin()"
            elif (
                any(
                    isinstance(o, DbMethod) and o.name == "connect" for o in options(callee)
                )
                and isinstance(opener_node.func, cst.Attribute)
                and not opener_node.args
            ):
                code = f"{parsed.code(opener_node.func.value)}.begin()"
            else:
                begin_separately = True
        names = tuple(_free_names(opener_node))
        return Opener(code, begin_separately, names, lifecycle.commits or begins)

    def _check_parameters(self, generator: FunctionRef, function: FunctionSummary) -> None:
        evaluator = self.analysis.evaluator
        params = function.params
        if (
            function.class_key is not None
            and params
            and params[0].kind in ("pos", "posonly")
            and known.STATICMETHOD not in evaluator.decorator_names(generator)
        ):
            params = params[1:]  # self / cls
        for param in params:
            marker, annotation = evaluator.param_marker(generator, function, param)
            if marker is not None:
                raise CannotFix(
                    f"`{function.name}` has its own dependency `{param.name}`, which the routes "
                    f"would no longer run"
                )
            kinds = {o.qname for o in options(annotation) if isinstance(o, External)}
            if not kinds or not kinds <= REQUEST_TYPES:
                raise CannotFix(
                    f"`{function.name}` takes `{param.name}`, which FastAPI fills from the "
                    f"request; the routes would no longer validate it"
                )

    # ------------------------------------------------------------------ the routes

    def _session_param(self, generator: FunctionRef, routes: list[Route]) -> Param:
        fastapi = self.analysis.fastapi
        project = self.analysis.project
        name = project.short_name(generator)
        found: Optional[Param] = None
        for route in routes:
            paths = fastapi.injection_paths(route, generator)
            params = [p.param for p in paths if p.kind == "parameter" and p.param is not None]
            for path in paths:
                if path.kind == "dependency" and path.via is not None:
                    raise CannotFix(
                        f"the session is shared with dependency `{project.short_name(path.via)}`"
                    )
            lists = [LIST_NAMES[p.kind] for p in paths if p.kind in LIST_NAMES]
            if lists and params:
                raise CannotFix(f"`{name}` is also in {lists[0]}, which shares the session")
            if lists:
                raise CannotFix(
                    f"the session is not a parameter (`{name}` is in {lists[0]}); remove it there "
                    f"if nothing needs it"
                )
            if not params:
                raise CannotFix("the session does not reach the route through a parameter")
            if len(params) > 1:
                raise CannotFix("more than one parameter receives the session")
            if found is not None and params[0] != found:
                raise CannotFix("its routes receive the session differently")
            found = params[0]
        assert found is not None
        return found

    def _route_changes(
        self,
        generator: FunctionRef,
        endpoint: FunctionRef,
        routes: list[Route],
        opener: Opener,
    ) -> list[Change]:
        analysis = self.analysis
        project = analysis.project
        function = project.function(endpoint)
        if function is None:
            raise CannotFix("the route is no longer where the analysis found it")
        if function.is_async:
            raise CannotFix(
                "the route is async (its blocking session calls are FPL002's to move off the "
                "event loop)"
            )
        if function.is_generator:
            raise CannotFix("the route is a generator")
        if any(route.is_websocket for route in routes):
            raise CannotFix("the route is a websocket route")
        param = self._session_param(generator, routes)
        for site in analysis.calls.sites_calling(endpoint):
            raise CannotFix(f"the route function is called directly in {site.env.module}")
        self._check_deferred_work(endpoint, function)
        if opener.commits:
            transaction = self._transactions.first(endpoint)
            if transaction is not None:
                raise CannotFix(
                    f"the route calls `{transaction}` itself while the generator also commits; "
                    f"inside a `begin()` block that would fail"
                )
        parsed = self.context.parsed(endpoint.module)
        definition = parsed.node(function.node)
        if not isinstance(definition, cst.FunctionDef):
            raise CannotFix("the route is no longer where the analysis found it")
        self._check_closures(definition, param.name)
        changes: list[Change] = [
            OpenSessionInRoute(
                endpoint.module, function.node, param.name, opener.items(param.name)
            )
        ]
        changes.extend(self._imports(generator, endpoint, function, parsed, opener, param))
        changes.extend(self._unused_imports(endpoint, parsed, param))
        return changes

    def _check_deferred_work(self, endpoint: FunctionRef, function: FunctionSummary) -> None:
        evaluator = self.analysis.evaluator
        for param in function.params:
            if param.annotation is None:
                continue
            outer = evaluator.outer_env(endpoint, function)
            for option in options(evaluator.annotation(param.annotation, outer)):
                if isinstance(option, External) and option.qname in known.DEFERRED_WORK:
                    raise CannotFix(
                        f"the route takes background tasks (`{param.name}`), which run after "
                        f"the session is closed"
                    )
        env = Env(endpoint.module, endpoint.key)
        for call in function.body.calls:
            if isinstance(call.func, Attr) and call.func.attr == "add_task":
                raise CannotFix("the route adds background tasks, which run after the session closed")
            for option in options(evaluator.eval(call.func, env)):
                if isinstance(option, External) and option.qname in known.DEFERRED_WORK:
                    short = option.qname.rsplit(".", 1)[-1]
                    raise CannotFix(
                        f"the route builds a `{short}`, which runs after the session is closed"
                    )

    @staticmethod
    def _check_closures(definition: cst.FunctionDef, variable: str) -> None:
        def uses(node: cst.CSTNode) -> bool:
            if isinstance(node, cst.Name) and node.value == variable:
                return True
            return any(uses(child) for child in node.children)

        def walk(node: cst.CSTNode) -> None:
            for child in node.children:
                if isinstance(child, (cst.FunctionDef, cst.Lambda, cst.ClassDef)) and uses(child):
                    raise CannotFix(
                        f"a nested function or lambda uses `{variable}` and may run after the "
                        f"session closed"
                    )
                walk(child)

        walk(definition.body)

    # ------------------------------------------------------------------ imports

    def _imports(
        self,
        generator: FunctionRef,
        endpoint: FunctionRef,
        function: FunctionSummary,
        parsed: ParsedModule,
        opener: Opener,
        param: Param,
    ) -> list[Change]:
        evaluator = self.analysis.evaluator
        project = self.analysis.project
        module = project.modules[endpoint.module]
        changes: list[Change] = []
        route_env = Env(endpoint.module, endpoint.key)
        for name in opener.names:
            wanted = self._generator_value(generator, name)
            if name == param.name:
                raise CannotFix(f"the session parameter `{name}` shadows a name the opener uses")
            if evaluator.local_bindings(name, route_env) is not None:
                if isinstance(wanted, Unknown) or evaluator.lookup(name, route_env) != wanted:
                    raise CannotFix(
                        f"`{name}` is a local name in the route or the function defining it"
                    )
                continue
            if name in module.body.bindings:
                same = (
                    endpoint.module == generator.module
                    or self._same_import(generator.module, endpoint.module, name)
                    or (
                        not isinstance(wanted, Unknown)
                        and evaluator.module_member(endpoint.module, name) == wanted
                    )
                )
                if not same:
                    raise CannotFix(f"`{name}` means something else in {endpoint.module}")
                continue
            spec = self._import_spec(generator, name)
            changes.append(self._add_import(endpoint, parsed, spec))
        return changes

    def _same_import(self, first: str, second: str, name: str) -> bool:
        """Whether ``name`` is bound by the very same single import in both modules."""
        modules = self.analysis.project.modules
        a = modules[first].body.bindings.get(name, ())
        b = modules[second].body.bindings.get(name, ())
        return len(a) == 1 and a == b and isinstance(a[0], ImportBinding)

    def _generator_value(self, generator: FunctionRef, name: str) -> Value:
        evaluator = self.analysis.evaluator
        if evaluator.local_bindings(name, Env(generator.module, generator.key)) is not None:
            raise CannotFix(f"the session is opened from `{name}`, a local name of the generator")
        return evaluator.module_member(generator.module, name)

    def _import_spec(self, generator: FunctionRef, name: str) -> ImportSpec:
        project = self.analysis.project
        module = project.modules[generator.module]
        bindings = module.body.bindings.get(name, ())
        if len(bindings) != 1:
            raise CannotFix(f"cannot tell where `{name}` comes from")
        binding = bindings[0]
        if isinstance(binding, ImportBinding):
            owner, _, attr = binding.target.rpartition(".")
            if not owner:
                raise CannotFix(f"`{name}` is a module imported with `import`")
            is_project = project.module_for_name(owner, generator.module) is not None
            return ImportSpec(owner, attr, is_project, name if attr != name else None)
        if isinstance(binding, (DefBinding, ClassBinding, ValueBinding)):
            if not module.module:
                raise CannotFix(f"cannot tell how to import `{name}` from {generator.module}")
            return ImportSpec(module.module, name, True)
        raise CannotFix(f"cannot tell where `{name}` comes from")

    def _add_import(self, endpoint: FunctionRef, parsed: ParsedModule, spec: ImportSpec) -> Change:
        project = self.analysis.project
        if spec.project:
            found = project.module_for_name(spec.module, endpoint.module)
            if found is None:
                raise CannotFix(f"cannot import {spec.module} from {endpoint.module}")
            summary = project.modules[endpoint.module]
            if _uses_relative_imports(parsed.module) and summary.module:
                package = summary.module.split(".")
                if not summary.is_package:
                    package = package[:-1]
                target = spec.module.split(".")
                common = 0
                while common < min(len(package), len(target)) and package[common] == target[common]:
                    common += 1
                if common:
                    level = len(package) - common + 1
                    return AddImport(
                        endpoint.module,
                        ".".join(target[common:]),
                        spec.name,
                        relative=level,
                        asname=spec.asname,
                    )
        return AddImport(endpoint.module, spec.module, spec.name, asname=spec.asname)

    def _unused_imports(
        self, endpoint: FunctionRef, parsed: ParsedModule, param: Param
    ) -> list[Change]:
        """Imports only the removed parameter may have used (removed if nothing else does)."""
        project = self.analysis.project
        module = project.modules[endpoint.module]
        definition = parsed.node(param.node)
        assert isinstance(definition, cst.Param)
        names: list[str] = []
        for part in (definition.annotation, definition.default):
            if part is not None:
                names.extend(_free_names(part))
        changes: list[Change] = []
        exported = self.context.imported_names
        for name in dict.fromkeys(names):
            if module.module and f"{module.module}.{name}" in exported:
                continue  # another module imports it from here: keep it
            for binding in module.body.bindings.get(name, ()):
                if not isinstance(binding, ImportBinding):
                    continue
                owner, _, attr = binding.target.rpartition(".")
                if binding.target == name:  # ``import fastapi``
                    changes.append(RemoveImportIfUnused(endpoint.module, name, None))
                elif owner:
                    asname = name if attr != name else None
                    changes.append(RemoveImportIfUnused(endpoint.module, owner, attr, asname))
        return changes

    # ------------------------------------------------------------------ display-only text

    def _suggestion(
        self, endpoint: FunctionRef, generator: FunctionRef, opener: Opener
    ) -> Optional[str]:
        """The rewritten route, for a sync route that receives the session but is left alone.

        None for async routes (their fix is FPL002's) and for routes that only list the
        generator in ``dependencies=[...]`` (they do not use the session).
        """
        function = self.analysis.project.function(endpoint)
        if function is None or function.is_async:
            return None
        param = next(
            (
                p
                for target, p in self.analysis.fastapi.direct_dependencies(endpoint)
                if target == generator
            ),
            None,
        )
        if param is None:
            return None
        change = OpenSessionInRoute(
            endpoint.module, function.node, param.name, opener.items(param.name)
        )
        try:
            parsed = self.context.parsed(endpoint.module)
            rewritten = change.transform(parsed.node(function.node))
        except (CannotFix, cst.ParserSyntaxError):
            return None
        assert isinstance(rewritten, cst.FunctionDef)
        return parsed.module.code_for_node(rewritten.with_changes(leading_lines=())).strip("\n")


def _routes(names: list[str]) -> str:
    return ("route " if len(names) == 1 else "routes ") + ", ".join(names)


def _uses_relative_imports(module: cst.Module) -> bool:
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.ImportFrom) and small.relative:
                    return True
    return False
