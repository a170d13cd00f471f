"""How the project wires FastAPI: routes, dependency injection sites, routers and overrides."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Optional

from ..summary.records import Attr, Call, DictExpr, Expr, Param, Subscript, ValueBinding
from . import known
from .callgraph import CallGraph
from .evaluator import Env, Evaluator, call_argument, keyword_argument, marker_in, render
from .project import ProjectModel
from .values import (
    AppMethod,
    AppObject,
    BoundMethod,
    ClassRef,
    Closure,
    External,
    FunctionRef,
    Instance,
    Literal,
    Marker,
    Site,
    Unknown,
    Value,
    options,
)


@dataclass(frozen=True)
class Route:
    endpoint: FunctionRef
    site: Site  # the decorator call, or the ``add_api_route(...)`` call
    method: str  # "get", "post", "api_route", "websocket", ...
    app: Optional[AppObject]
    response_model: Optional[str]  # why the route has a response model, or None
    dependencies: tuple[Marker, ...]

    @property
    def is_websocket(self) -> bool:
        return self.method in known.WEBSOCKET_ROUTE_METHODS or self.method == "add_api_websocket_route"


@dataclass(frozen=True)
class InjectionPath:
    """How a route reaches a dependency: ``kind`` is "parameter" (the endpoint's own
    ``param``), "dependency" (through ``via``, the dependency of the endpoint's ``param``),
    "route dependencies" or "router dependencies" (a ``dependencies=[...]`` list, ``via`` the
    listed callable)."""

    kind: str
    param: Optional[Param] = None
    via: Optional[FunctionRef] = None


@dataclass(frozen=True)
class Injection:
    """One place where FastAPI is told to inject a dependency."""

    marker: Marker
    dependency: Value  # what FastAPI calls
    site: Site  # the parameter, or the ``Depends(...)`` call in a ``dependencies`` list
    consumer: Optional[FunctionRef]  # whose parameter it is
    where: str  # "parameter", "route dependencies", "router dependencies", ...


def callables_of(value: Value, evaluator: Evaluator) -> Iterator[FunctionRef]:
    """The project functions FastAPI runs when it calls ``value``."""
    for option in options(value):
        if isinstance(option, FunctionRef):
            yield option
        elif isinstance(option, (Closure, BoundMethod)):
            yield option.function
        elif isinstance(option, ClassRef):
            init = evaluator.find_method(option, "__init__")
            if init is not None:
                yield init
        elif isinstance(option, Instance):
            call = evaluator.find_method(option.cls, "__call__")
            if call is not None:
                yield call


HOOK_DECORATORS = frozenset({"middleware", "exception_handler", "on_event"})
HOOK_REGISTRATIONS = {"add_exception_handler": 1, "add_event_handler": 1, "add_middleware": -1}
PER_REQUEST_HOOKS = frozenset({"middleware", "exception handler"})


class FastAPIGraph:
    def __init__(self, project: ProjectModel, evaluator: Evaluator, calls: CallGraph) -> None:
        self.project = project
        self.evaluator = evaluator
        self.routes: list[Route] = []
        self.injections: list[Injection] = []
        self.overridden: set[FunctionRef] = set()
        self.override_modules: dict[FunctionRef, list[str]] = {}  # where each override is set
        # Coroutines FastAPI/Starlette run other than routes and dependencies, by role.
        self.hooks: dict[FunctionRef, str] = {}
        self._app_markers: dict[AppObject, list[Marker]] = {}
        self._includes: list[tuple[AppObject, AppObject, tuple[Marker, ...], Site]] = []
        self._closures: dict[FunctionRef, frozenset[FunctionRef]] = {}
        self._route_closures: dict[Route, frozenset[FunctionRef]] = {}
        # Query indexes, filled on first use after construction (routes and includes are final).
        self._routes_by_endpoint: Optional[dict[FunctionRef, list[Route]]] = None
        self._routes_by_dependency: Optional[dict[FunctionRef, list[Route]]] = None
        self._app_marker_closures: dict[Optional[AppObject], list[Marker]] = {}
        self._find_decorated_routes()
        self._scan_calls(calls)
        self._scan_overrides()
        self._find_parameter_injections()
        self.dependencies: frozenset[FunctionRef] = frozenset(
            ref for inj in self.injections for ref in callables_of(inj.dependency, evaluator)
        )
        self._route_endpoints = frozenset(route.endpoint for route in self.routes)

    # ------------------------------------------------------------------ routes

    def _route(
        self, endpoint: Value, call: Call, env: Env, app: AppObject, method: str
    ) -> None:
        for ref in callables_of(endpoint, self.evaluator):
            self.routes.append(
                Route(
                    endpoint=ref,
                    site=Site(env.module, call.node),
                    method=method,
                    app=app,
                    response_model=self._response_model(ref, call, env),
                    dependencies=self._markers(keyword_argument(call, "dependencies"), env),
                )
            )

    def _markers(self, expr: Optional[Expr], env: Env) -> tuple[Marker, ...]:
        out = []
        for value in self.evaluator.sequence_items(expr, env):
            marker = marker_in(value)
            if marker is not None:
                out.append(marker)
        return tuple(out)

    def _response_model(self, ref: FunctionRef, call: Call, env: Env) -> Optional[str]:
        explicit = keyword_argument(call, "response_model")
        if explicit is not None:
            value = self.evaluator.eval(explicit, env)
            if isinstance(value, Literal) and value.value is None:
                return None
            return f"response_model={render(explicit)}"
        function = self.project.function(ref)
        if function is None or function.returns is None or function.is_generator:
            return None
        outer = self.evaluator.outer_env(ref, function)
        value = self.evaluator.annotation(function.returns, outer)
        if isinstance(value, Literal) and value.value is None:
            return None
        for option in options(value):
            if isinstance(option, External) and known.is_response_class(option.qname):
                return None
            if isinstance(option, ClassRef) and self._is_response_subclass(option):
                return None
        return f"return annotation -> {render(function.returns)}"

    def _is_response_subclass(self, ref: ClassRef) -> bool:
        for cls in self.evaluator.mro(ref):
            summary = self.project.cls(cls)
            if summary is None:
                continue
            env = self.evaluator.class_env(cls)
            for base in summary.bases:
                for option in options(self.evaluator.eval(base, Env(env.module, env.function))):
                    if isinstance(option, External) and known.is_response_class(option.qname):
                        return True
        return False

    def _find_decorated_routes(self) -> None:
        evaluator = self.evaluator
        for ref, function in self.project.iter_functions():
            if not function.decorators:
                continue
            env = evaluator.outer_env(ref, function)
            for decorator in function.decorators:
                if not isinstance(decorator, Call):
                    continue
                for option in options(evaluator.eval(decorator.func, env)):
                    if not isinstance(option, AppMethod):
                        continue
                    if option.name in known.HTTP_ROUTE_METHODS | known.WEBSOCKET_ROUTE_METHODS:
                        self._route(ref, decorator, env, option.app, option.name)
                    elif option.name in HOOK_DECORATORS:
                        self.hooks.setdefault(ref, self._hook_role(option.name, decorator, env))

    def _hook_role(self, name: str, call: Call, env: Env) -> str:
        if name == "middleware":
            return "middleware"
        if name in ("exception_handler", "add_exception_handler"):
            return "exception handler"
        event = self.evaluator.eval(call_argument(call, 0, "event_type"), env)
        if isinstance(event, Literal) and event.value == "shutdown":
            return "shutdown handler"
        return "startup handler"

    def _scan_calls(self, calls: CallGraph) -> None:
        evaluator = self.evaluator
        for env, call, callee in calls.evaluated:
            for option in options(callee):
                if isinstance(option, AppMethod):
                    name = option.name
                    position = HOOK_REGISTRATIONS.get(name)
                    if position is not None and position >= 0:
                        handler = evaluator.eval(call_argument(call, position, ""), env)
                        for ref in callables_of(handler, evaluator):
                            self.hooks.setdefault(ref, self._hook_role(name, call, env))
                    if name in known.IMPERATIVE_ROUTE_METHODS:
                        endpoint = evaluator.eval(call_argument(call, 1, "endpoint"), env)
                        self._route(endpoint, call, env, option.app, name)
                    elif name == "include_router":
                        child = evaluator.eval(call_argument(call, 0, "router"), env)
                        markers = self._markers(keyword_argument(call, "dependencies"), env)
                        for router in options(child):
                            if isinstance(router, AppObject):
                                self._includes.append(
                                    (option.app, router, markers, Site(env.module, call.node))
                                )
                        self._add_list_injections(markers, "include_router dependencies")
                elif isinstance(option, External) and option.qname in (
                    known.FASTAPI_APP,
                    known.API_ROUTER,
                ):
                    app = AppObject(
                        "app" if option.qname == known.FASTAPI_APP else "router",
                        Site(env.module, call.node),
                    )
                    markers = self._markers(keyword_argument(call, "dependencies"), env)
                    self._app_markers.setdefault(app, []).extend(markers)
                    lifespan = evaluator.eval(keyword_argument(call, "lifespan"), env)
                    for ref in callables_of(lifespan, evaluator):
                        self.hooks.setdefault(ref, "lifespan hook")
                    self._add_list_injections(markers, f"{app.kind} dependencies")
            # Imperative decorator application: ``app.get("/")(endpoint)``.
            if isinstance(call.func, Call):
                decorator_callee = evaluator.eval(call.func.func, env)
                for option in options(decorator_callee):
                    if isinstance(option, AppMethod) and option.name in (
                        known.HTTP_ROUTE_METHODS | known.WEBSOCKET_ROUTE_METHODS
                    ):
                        endpoint = evaluator.eval(call_argument(call, 0, ""), env)
                        self._route(endpoint, call.func, env, option.app, option.name)
            # ``app.dependency_overrides.update({...})``
            func = call.func
            if (
                isinstance(func, Attr)
                and func.attr == "update"
                and isinstance(func.value, Attr)
                and func.value.attr == "dependency_overrides"
            ):
                first = call_argument(call, 0, "")
                if isinstance(first, DictExpr):
                    self._override_keys((k for k, _ in first.items if k is not None), env)
        for route in self.routes:
            self._add_list_injections(route.dependencies, "route dependencies", route.endpoint)

    def _add_list_injections(
        self,
        markers: Iterable[Marker],
        where: str,
        consumer: Optional[FunctionRef] = None,
    ) -> None:
        for marker in markers:
            if marker.dependency is not None:
                self.injections.append(
                    Injection(marker, marker.dependency, marker.site, consumer, where)
                )

    def _override_keys(self, keys: Iterable[Expr], env: Env) -> None:
        for key in keys:
            for ref in callables_of(self.evaluator.eval(key, env), self.evaluator):
                self.overridden.add(ref)
                modules = self.override_modules.setdefault(ref, [])
                if env.module not in modules:
                    modules.append(env.module)

    def _scan_overrides(self) -> None:
        for env, body in self.evaluator.scopes():
            for assign in body.attr_assigns:
                target = assign.target
                if (
                    isinstance(target, Subscript)
                    and isinstance(target.value, Attr)
                    and target.value.attr == "dependency_overrides"
                    and target.items
                ):
                    self._override_keys(target.items[:1], env)
                elif (
                    isinstance(target, Attr)
                    and target.attr == "dependency_overrides"
                    and isinstance(assign.value, DictExpr)
                ):
                    self._override_keys(
                        (k for k, _ in assign.value.items if k is not None), env
                    )

    def _find_parameter_injections(self) -> None:
        evaluator = self.evaluator
        for ref, function in self.project.iter_functions():
            for param in function.params:
                if param.default is None and param.annotation is None:
                    continue
                marker, annotation = evaluator.param_marker(ref, function, param)
                if marker is None:
                    continue
                dependency = evaluator.dependency_callable(marker, annotation)
                if isinstance(dependency, Unknown):
                    continue
                self.injections.append(
                    Injection(marker, dependency, Site(ref.module, param.node), ref, "parameter")
                )
        for module_key, module in self.project.modules.items():
            for class_key in module.classes:
                cls = module.classes[class_key]
                env = evaluator.class_env(ClassRef(module_key, class_key))
                for bindings in cls.body.bindings.values():
                    for binding in bindings:
                        if not isinstance(binding, ValueBinding) or binding.value is None:
                            continue
                        marker = marker_in(evaluator.eval(binding.value, env))
                        if marker is not None and marker.dependency is not None:
                            self.injections.append(
                                Injection(
                                    marker, marker.dependency, marker.site, None, "class attribute"
                                )
                            )

    # ------------------------------------------------------------------ queries

    def is_route(self, ref: FunctionRef) -> bool:
        return ref in self._route_endpoints

    def is_dependency(self, ref: FunctionRef) -> bool:
        return ref in self.dependencies

    def routes_of(self, ref: FunctionRef) -> list[Route]:
        if self._routes_by_endpoint is None:  # built once the routes are all known
            self._routes_by_endpoint = {}
            for route in self.routes:
                self._routes_by_endpoint.setdefault(route.endpoint, []).append(route)
        return list(self._routes_by_endpoint.get(ref, ()))

    def app_markers(self, app: Optional[AppObject]) -> list[Marker]:
        """Dependencies declared on a router/app and on every ``include_router`` above it."""
        cached = self._app_marker_closures.get(app)
        if cached is None:
            cached = self._app_markers_uncached(app)
            self._app_marker_closures[app] = cached
        return list(cached)

    def _app_markers_uncached(self, app: Optional[AppObject]) -> list[Marker]:
        out: list[Marker] = []
        seen: set[AppObject] = set()
        stack = [app] if app is not None else []
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            out.extend(self._app_markers.get(current, ()))
            for parent, child, markers, _ in self._includes:
                if child == current:
                    out.extend(markers)
                    stack.append(parent)
        return out

    def direct_dependencies(self, ref: FunctionRef) -> Iterator[tuple[FunctionRef, Param]]:
        """The callables a function's own parameters depend on, with the parameter."""
        function = self.project.function(ref)
        if function is None:
            return
        for param in function.params:
            marker, annotation = self.evaluator.param_marker(ref, function, param)
            if marker is None:
                continue
            dependency = self.evaluator.dependency_callable(marker, annotation)
            for target in callables_of(dependency, self.evaluator):
                yield target, param

    def closure(self, ref: FunctionRef) -> frozenset[FunctionRef]:
        """Every dependency callable reached from ``ref``'s parameters, transitively."""
        cached = self._closures.get(ref)
        if cached is not None:
            return cached
        seen: set[FunctionRef] = set()
        stack = [ref]
        while stack:
            current = stack.pop()
            for target, _ in self.direct_dependencies(current):
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        result = frozenset(seen)
        self._closures[ref] = result
        return result

    def route_dependencies(self, route: Route) -> frozenset[FunctionRef]:
        """Everything FastAPI runs for a request to ``route`` before the endpoint."""
        cached = self._route_closures.get(route)
        if cached is not None:
            return cached
        reached: set[FunctionRef] = set(self.closure(route.endpoint))
        for marker in (*route.dependencies, *self.app_markers(route.app)):
            if marker.dependency is None:
                continue
            for target in callables_of(marker.dependency, self.evaluator):
                reached.add(target)
                reached.update(self.closure(target))
        result = frozenset(reached)
        self._route_closures[route] = result
        return result

    def routes_reaching(self, dependency: FunctionRef) -> list[Route]:
        """The routes that run ``dependency``, in route order."""
        if self._routes_by_dependency is None:  # one pass over the routes, not one per question
            self._routes_by_dependency = {}
            for route in self.routes:
                for reached in self.route_dependencies(route):
                    self._routes_by_dependency.setdefault(reached, []).append(route)
        return list(self._routes_by_dependency.get(dependency, ()))

    def injection_paths(self, route: Route, dependency: FunctionRef) -> list[InjectionPath]:
        """Every way a request to ``route`` reaches ``dependency`` (FastAPI runs it once)."""
        paths: list[InjectionPath] = []
        for target, param in self.direct_dependencies(route.endpoint):
            if target == dependency:
                paths.append(InjectionPath("parameter", param=param))
            elif dependency in self.closure(target):
                paths.append(InjectionPath("dependency", via=target, param=param))
        lists = (
            ("route dependencies", route.dependencies),
            ("router dependencies", tuple(self.app_markers(route.app))),
        )
        for where, markers in lists:
            for marker in markers:
                if marker.dependency is None:
                    continue
                for target in callables_of(marker.dependency, self.evaluator):
                    if target == dependency or dependency in self.closure(target):
                        paths.append(InjectionPath(where, via=target))
        return paths

    def class_dependencies(self, ref: FunctionRef) -> list[FunctionRef]:
        """What FastAPI injects into the class attributes of the class a method belongs to
        (class-based views: ``db: Session = Depends(get_db)`` in the class body), bases too."""
        function = self.project.function(ref)
        if function is None or function.class_key is None:
            return []
        found: list[FunctionRef] = []
        for cls in self.evaluator.mro(ClassRef(ref.module, function.class_key)):
            summary = self.project.cls(cls)
            if summary is None:
                continue
            env = self.evaluator.class_env(cls)
            for bindings in summary.body.bindings.values():
                for binding in bindings:
                    if not isinstance(binding, ValueBinding) or binding.value is None:
                        continue
                    marker = marker_in(self.evaluator.eval(binding.value, env))
                    if marker is None or marker.dependency is None:
                        continue
                    for target in callables_of(marker.dependency, self.evaluator):
                        if target not in found:
                            found.append(target)
        return found

    def only_route_decorators(self, ref: FunctionRef) -> bool:
        """Whether every decorator of ``ref`` registers it as a route (nothing wraps it)."""
        function = self.project.function(ref)
        if function is None:
            return False
        env = self.evaluator.outer_env(ref, function)
        routes = known.HTTP_ROUTE_METHODS | known.WEBSOCKET_ROUTE_METHODS
        for decorator in function.decorators:
            if not isinstance(decorator, Call):
                return False
            if not any(
                isinstance(option, AppMethod) and option.name in routes
                for option in options(self.evaluator.eval(decorator.func, env))
            ):
                return False
        return True
