"""What fixers share during one run: the analysis, the parsed sources, indexes by location."""

from __future__ import annotations

import abc
from functools import cached_property
from typing import ClassVar

from ..config import Settings
from ..findings import Finding
from ..model.analysis import ProjectAnalysis
from ..model.blocking import BlockingCall
from ..model.engines import EngineCall, engine_calls
from ..model.values import FunctionRef
from ..summary.records import ImportBinding
from .base import CannotFix, Plan
from .source import ParsedModule, SourceCache


class FixContext:
    def __init__(self, analysis: ProjectAnalysis, sources: SourceCache, settings: Settings) -> None:
        self.analysis = analysis
        self.sources = sources
        self.settings = settings

    def parsed(self, key: str) -> ParsedModule:
        return self.sources.get(key)

    @cached_property
    def _engines(self) -> dict[tuple[str, int], EngineCall]:
        return {(e.env.module, e.call.node): e for e in engine_calls(self.analysis.calls)}

    def engine_call(self, finding: Finding) -> EngineCall:
        engine = self._engines.get((finding.location.path, finding.location.node))
        if engine is None:
            raise CannotFix("the engine call is no longer where the analysis found it")
        return engine

    @cached_property
    def _blocking(self) -> dict[tuple[str, int], BlockingCall]:
        return {
            (b.coroutine.module, b.node): b for b in self.analysis.blocking.blocking_calls()
        }

    def blocking_call(self, finding: Finding) -> BlockingCall:
        blocking = self._blocking.get((finding.location.path, finding.location.node))
        if blocking is None:
            raise CannotFix("the blocking call is no longer where the analysis found it")
        return blocking

    @cached_property
    def imported_names(self) -> frozenset[str]:
        """Every dotted name some module of the project imports (``app.deps.get_db``...)."""
        targets: set[str] = set()
        for module in self.analysis.project.modules.values():
            bodies = [module.body, *(f.body for f in module.functions.values())]
            bodies.extend(c.body for c in module.classes.values())
            for body in bodies:
                for bindings in body.bindings.values():
                    targets.update(b.target for b in bindings if isinstance(b, ImportBinding))
        return frozenset(targets)

    def function_at(self, finding: Finding) -> FunctionRef:
        module = self.analysis.project.modules.get(finding.location.path)
        if module is not None:
            for key, function in module.functions.items():
                if function.node == finding.location.node:
                    return FunctionRef(finding.location.path, key)
        raise CannotFix("the function is no longer where the analysis found it")


class Fixer(abc.ABC):
    """Plans the fix of one rule's findings."""

    code: ClassVar[str]

    def __init__(self, context: FixContext) -> None:
        self.context = context

    @property
    def analysis(self) -> ProjectAnalysis:
        return self.context.analysis

    @abc.abstractmethod
    def plan(self, finding: Finding) -> Plan:
        """The fix for ``finding``; raise :class:`CannotFix` to refuse with a reason."""
