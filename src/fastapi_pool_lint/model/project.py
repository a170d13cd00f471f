"""The modules of the analysed tree and how their imports resolve to each other."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Optional

from ..summary.records import ClassSummary, FunctionSummary, ModuleSummary
from .known import LIBRARY_ROOTS, canonical
from .values import ClassRef, External, FunctionRef, ModuleRef, Value


def _common_prefix_length(a: str, b: str) -> int:
    return len(os.path.commonpath([a, b])) if a and b else 0


class ProjectModel:
    """Summaries keyed by module key (display path), with an index of importable names."""

    def __init__(self, summaries: Iterable[tuple[ModuleSummary, tuple[str, ...], str]]) -> None:
        """``summaries``: (summary, every dotted name it imports as, absolute directory)."""
        self.modules: dict[str, ModuleSummary] = {}
        self._directory: dict[str, str] = {}
        self._by_name: dict[str, list[str]] = {}
        for summary, aliases, directory in summaries:
            self.modules[summary.path] = summary
            self._directory[summary.path] = directory
            for alias in aliases:
                self._by_name.setdefault(alias, []).append(summary.path)
        # Facts computed from every module (``request.state`` assignments), shared by views.
        self.derived: dict[str, object] = {}
        self._prefixes: set[str] = set()
        for name in self._by_name:
            parts = name.split(".")
            for i in range(1, len(parts)):
                self._prefixes.add(".".join(parts[:i]))

    def with_modules(self, modules: dict[str, ModuleSummary]) -> ProjectModel:
        """The same project (names, places) over another mapping of the same modules: one that
        records what is looked up (see ``callgraph``)."""
        view = copy.copy(self)
        view.modules = modules
        return view

    def read_everything(self) -> None:
        """Say that what is being computed depends on every module (noted by a view whose
        modules record what is read; see ``callgraph``)."""
        note = getattr(self.modules, "read_everything", None)
        if note is not None:
            note()

    # ------------------------------------------------------------------ lookups

    def function(self, ref: FunctionRef) -> Optional[FunctionSummary]:
        module = self.modules.get(ref.module)
        return module.functions.get(ref.key) if module else None

    def cls(self, ref: ClassRef) -> Optional[ClassSummary]:
        module = self.modules.get(ref.module)
        return module.classes.get(ref.key) if module else None

    def iter_functions(self) -> Iterator[tuple[FunctionRef, FunctionSummary]]:
        for key, module in self.modules.items():
            for fkey, function in module.functions.items():
                yield FunctionRef(key, fkey), function

    def directory(self, key: str) -> Path:
        """The absolute directory holding module ``key``."""
        return Path(self._directory[key])

    def module_for_name(self, dotted: str, importer: Optional[str]) -> Optional[str]:
        """The module importable as ``dotted``, nearest to ``importer`` when ambiguous."""
        candidates = self._by_name.get(dotted)
        if not candidates:
            return None
        if len(candidates) == 1 or importer is None:
            return candidates[0]
        here = self._directory.get(importer, "")
        return max(
            candidates,
            key=lambda c: (_common_prefix_length(here, self._directory.get(c, "")), c == importer),
        )

    def is_package_prefix(self, dotted: str) -> bool:
        """Whether ``dotted`` is a (namespace) package above some analysed module."""
        return dotted in self._prefixes

    def resolve_qualified(self, dotted: str, importer: Optional[str]) -> tuple[Value, list[str]]:
        """The longest analysed module prefix of ``dotted`` and the attribute path after it.

        Names that leave the tree resolve to ``External`` with their canonical name.
        """
        parts = dotted.split(".")
        if parts[0] in LIBRARY_ROOTS:
            return External(canonical(dotted)), []
        for i in range(len(parts), 0, -1):
            module = self.module_for_name(".".join(parts[:i]), importer)
            if module is not None:
                return ModuleRef(module), parts[i:]
        if self.is_package_prefix(dotted):
            return External("<namespace>:" + dotted), []
        return External(canonical(dotted)), []

    def display_name(self, ref: FunctionRef | ClassRef) -> str:
        module = self.modules.get(ref.module)
        key = ref.key.split("#", 1)[0]
        if module is None:
            return key
        return f"{module.module}.{key}" if module.module else key

    def qualified_name(self, ref: FunctionRef | ClassRef) -> str:
        """``package.module.Class.method``: how configuration names a project object."""
        module = self.modules.get(ref.module)
        return f"{module.module if module else ref.module}.{self.short_name(ref)}"

    def short_name(self, ref: FunctionRef | ClassRef) -> str:
        return ref.key.split("#", 1)[0].replace(".<locals>", "")
