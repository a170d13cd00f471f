"""Every call in the project with what it calls, and the reverse index callee -> call sites."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

from ..summary.records import Call
from .evaluator import Env, Evaluator
from .project import ProjectModel
from .values import BoundMethod, ClassRef, Closure, FunctionRef, Instance, Value, options


@dataclass(frozen=True)
class CallSite:
    env: Env  # the scope the call is in (no caller context)
    call: Call
    callee: Value  # what the called expression evaluates to
    target: FunctionRef  # the project function that runs
    receiver: Optional[Value]  # ``self`` for methods and constructors


class CallGraph:
    """Built once with a declared-only evaluator; ``evaluated`` keeps every call's callee."""

    def __init__(self, project: ProjectModel, evaluator: Evaluator) -> None:
        self.sites: list[CallSite] = []
        self._by_target: dict[FunctionRef, list[CallSite]] = {}
        self.evaluated: list[tuple[Env, Call, Value]] = []
        for env, body in evaluator.scopes():
            for call in body.calls:
                callee = evaluator.eval(call.func, env)
                self.evaluated.append((env, call, callee))
                for option in options(callee):
                    target, receiver = _target(option, evaluator)
                    if target is None:
                        continue
                    site = CallSite(env, call, callee, target, receiver)
                    self.sites.append(site)
                    self._by_target.setdefault(target, []).append(site)

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
