"""Everything the rules ask about a project, built on first use and shared between rules."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Optional

from ..config import Settings
from .blocking import BlockingAnalysis
from .callgraph import CallGraph, ModuleCalls
from .evaluator import Evaluator
from .fastapi_app import FastAPIGraph
from .project import ProjectModel
from .versions import Constraints


class ProjectAnalysis:
    def __init__(
        self,
        project: ProjectModel,
        root: Path,
        settings: Settings,
        known_calls: Optional[Mapping[str, ModuleCalls]] = None,
    ) -> None:
        """``known_calls``: modules whose calls an earlier run evaluated and that still hold."""
        self.project = project
        self.root = root
        self.settings = settings
        self.known_calls = known_calls

    @cached_property
    def calls(self) -> CallGraph:
        """Every call with its callee, evaluated from declarations only (no caller context)."""
        return CallGraph(self.project, self.settings.session_factories, reuse=self.known_calls)

    @cached_property
    def evaluator(self) -> Evaluator:
        """The evaluator rules use: undeclared parameters also take their callers' arguments."""
        return Evaluator(
            self.project, callers=self.calls, session_factories=self.settings.session_factories
        )

    @cached_property
    def fastapi(self) -> FastAPIGraph:
        return FastAPIGraph(self.project, self.evaluator, self.calls)

    @cached_property
    def blocking(self) -> BlockingAnalysis:
        return BlockingAnalysis(
            self.project,
            self.evaluator,
            self.calls,
            self.settings.max_helper_depth,
            extra_methods=self.settings.blocking_methods,
        )

    @cached_property
    def constraints(self) -> Constraints:
        return Constraints(self.root)
