"""Every call in the project with what it calls, and the reverse index callee -> call sites.

Each module's calls are evaluated by an evaluator of its own (declared values only, no caller
context), so what a module's calls resolve to depends on nothing but the summaries that
evaluation read, which are recorded (:class:`ModuleCalls`). Sharing one memo across modules
bought nothing measurable (2,000 generated modules: 0.48 s either way) and made answers depend
on the order modules were visited in. Being independent, a module's calls can be taken from an
earlier run as long as no module it read has changed (see :func:`reusable`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from ..summary.records import Body, Call, ModuleSummary
from .evaluator import Env, Evaluator
from .project import ProjectModel
from .values import BoundMethod, ClassRef, Closure, FunctionRef, Instance, Value, options

# A target of a call: the project function that runs and its receiver (``self``), if any.
Target = tuple[FunctionRef, Optional[Value]]


@dataclass(frozen=True)
class CallSite:
    env: Env  # the scope the call is in (no caller context)
    call: Call
    callee: Value  # what the called expression evaluates to
    target: FunctionRef  # the project function that runs
    receiver: Optional[Value]  # ``self`` for methods and constructors


@dataclass(frozen=True)
class ModuleCalls:
    """What one module's calls evaluate to, and which modules' summaries that depended on.

    ``callees[i][j]`` is the value of the ``j``-th call of the module's ``i``-th scope (see
    :func:`module_scopes`), ``targets[i][j]`` the project functions it runs. ``reads``: the
    modules whose summaries were looked at (the module itself included), or None when the
    evaluation looked at every module (``request.state`` attributes are collected project-wide).
    """

    callees: tuple[tuple[Value, ...], ...]
    targets: tuple[tuple[tuple[Target, ...], ...], ...]
    reads: Optional[frozenset[str]]


def module_scopes(evaluator: Evaluator, key: str, module: ModuleSummary) -> Iterator[tuple[Env, Body]]:
    """A module's body, then its classes' bodies, then its functions' bodies, in that order."""
    yield Env(key), module.body
    for class_key, cls in module.classes.items():
        yield evaluator.class_env(ClassRef(key, class_key)), cls.body
    for function_key, function in module.functions.items():
        yield Env(key, function_key), function.body


class _RecordingModules(dict[str, ModuleSummary]):
    """The project's modules, noting which ones are looked at (into ``reads``; None once
    every module has been gone through)."""

    reads: Optional[set[str]] = None

    def __getitem__(self, key: str) -> Any:
        if self.reads is not None:
            self.reads.add(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        if self.reads is not None:
            self.reads.add(key)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        if self.reads is not None and isinstance(key, str):
            self.reads.add(key)
        return dict.__contains__(self, key)

    def read_everything(self) -> None:
        self.reads = None

    def __iter__(self) -> Iterator[str]:
        self.read_everything()
        return dict.__iter__(self)

    def keys(self) -> Any:
        self.read_everything()
        return dict.keys(self)

    def values(self) -> Any:
        self.read_everything()
        return dict.values(self)

    def items(self) -> Any:
        self.read_everything()
        return dict.items(self)


class ModuleCallEvaluation:
    """Evaluates modules' calls one at a time, each with a fresh declared-only evaluator over a
    view of the project that records the modules it reads."""

    def __init__(self, project: ProjectModel, session_factories: frozenset[str]) -> None:
        self.session_factories = session_factories
        self._modules = _RecordingModules(project.modules)
        self._view = project.with_modules(self._modules)

    def __call__(self, key: str) -> ModuleCalls:
        self._modules.reads = {key}
        try:
            evaluator = Evaluator(self._view, session_factories=self.session_factories)
            module = dict.__getitem__(self._modules, key)
            callees: list[tuple[Value, ...]] = []
            targets: list[tuple[tuple[Target, ...], ...]] = []
            for env, body in module_scopes(evaluator, key, module):
                scope_callees: list[Value] = []
                scope_targets: list[tuple[Target, ...]] = []
                for call in body.calls:  # each callee, then what it runs: the order evaluated
                    callee = evaluator.eval(call.func, env)
                    scope_callees.append(callee)
                    scope_targets.append(_targets(callee, evaluator))
                callees.append(tuple(scope_callees))
                targets.append(tuple(scope_targets))
            reads = self._modules.reads
            return ModuleCalls(
                tuple(callees), tuple(targets), frozenset(reads) if reads is not None else None
            )
        finally:
            self._modules.reads = None


def reusable(
    previous: Mapping[str, tuple[str, Optional[frozenset[str]]]], keys: Mapping[str, str]
) -> set[str]:
    """The modules whose calls, as an earlier run evaluated them, still hold.

    ``previous``: module -> (its file key then, the modules its evaluation read); ``keys``:
    module -> file key now. A module's calls hold when neither it nor any module it read has
    changed since (the caller makes sure the modules, their names and places are the same).
    """
    then = {module: key for module, (key, _) in previous.items()}
    kept: set[str] = set()
    for module, (key, reads) in previous.items():
        if reads is None or keys.get(module) != key:
            continue
        if all(keys.get(read) == then.get(read) for read in reads):
            kept.add(module)
    return kept


class CallGraph:
    """Every call's callee (``evaluated``) and the calls into project functions (``sites``).

    ``reuse``: modules whose :class:`ModuleCalls` are known to hold (from :func:`reusable`);
    the others are evaluated here. ``modules`` has every module's, for the next run.
    """

    def __init__(
        self,
        project: ProjectModel,
        session_factories: frozenset[str] = frozenset(),
        reuse: Optional[Mapping[str, ModuleCalls]] = None,
    ) -> None:
        self.sites: list[CallSite] = []
        self._by_target: dict[FunctionRef, list[CallSite]] = {}
        self.evaluated: list[tuple[Env, Call, Value]] = []
        self.modules: dict[str, ModuleCalls] = {}
        self.computed: list[str] = []  # the modules evaluated in this run
        scopes = Evaluator(project)  # only for class environments, which evaluate nothing
        evaluate = ModuleCallEvaluation(project, session_factories)
        for key, module in project.modules.items():
            bodies = list(module_scopes(scopes, key, module))
            calls = reuse.get(key) if reuse is not None else None
            added = calls is not None and _fits(calls, bodies) and self._add(bodies, calls)
            if not added:
                calls = evaluate(key)
                self.computed.append(key)
                self._add(bodies, calls)
            assert calls is not None
            self.modules[key] = calls

    def _add(self, scopes: list[tuple[Env, Body]], calls: ModuleCalls) -> bool:
        """Add a module's calls; False (and nothing added) if stored calls are malformed."""
        evaluated: list[tuple[Env, Call, Value]] = []
        sites: list[CallSite] = []
        try:
            for (env, body), callees, targets in zip(scopes, calls.callees, calls.targets):
                for call, callee, found in zip(body.calls, callees, targets):
                    evaluated.append((env, call, callee))
                    for target, receiver in found:
                        if not isinstance(target, FunctionRef):
                            return False
                        sites.append(CallSite(env, call, callee, target, receiver))
        except (TypeError, ValueError):  # not pairs, not iterable: not what was stored
            return False
        self.evaluated.extend(evaluated)
        for site in sites:
            self.sites.append(site)
            self._by_target.setdefault(site.target, []).append(site)
        return True

    def sites_calling(self, ref: FunctionRef) -> list[CallSite]:
        return self._by_target.get(ref, [])

    def callers_of(self, ref: FunctionRef) -> Iterator[FunctionRef]:
        """The project functions whose own body calls ``ref``."""
        seen: set[FunctionRef] = set()
        for site in self.sites_calling(ref):
            if site.env.function is not None and site.env.class_body is None:
                caller = FunctionRef(site.env.module, site.env.function)
                if caller not in seen:
                    seen.add(caller)
                    yield caller


def _fits(calls: ModuleCalls, scopes: list[tuple[Env, Body]]) -> bool:
    """Whether ``calls`` has the shape of the module's scopes (a cheap guard against reusing
    the calls of another version of it)."""
    if len(calls.callees) != len(scopes) or len(calls.targets) != len(scopes):
        return False
    for (_, body), callees, targets in zip(scopes, calls.callees, calls.targets):
        size = len(body.calls)
        if len(callees) != size or len(targets) != size:
            return False
    return True


def _targets(callee: Value, evaluator: Evaluator) -> tuple[Target, ...]:
    """The project functions a call of ``callee`` runs, with their receivers."""
    found = []
    for option in options(callee):
        target, receiver = _target(option, evaluator)
        if target is not None:
            found.append((target, receiver))
    return tuple(found)


def _target(value: Value, evaluator: Evaluator) -> tuple[Optional[FunctionRef], Optional[Value]]:
    if isinstance(value, FunctionRef):
        return value, None
    if isinstance(value, Closure):
        return value.function, None
    if isinstance(value, BoundMethod):
        return value.function, value.receiver
    if isinstance(value, ClassRef):
        init = evaluator.find_method(value, "__init__")
        return init, Instance(value)
    if isinstance(value, Instance):
        return evaluator.find_method(value.cls, "__call__"), value
    return None, None
