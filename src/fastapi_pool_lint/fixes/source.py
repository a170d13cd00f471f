"""The modules fixes edit, parsed again with their node ids mapped back to CST nodes.

The summariser numbers the nodes it anchors in traversal order, so summarising a fresh parse of
the same bytes gives the CST node behind every ``NodeId`` (as :mod:`..summary.locate` does). A
module whose summary differs from the one the analysis used changed on disk in between: no fix
is planned on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

import libcst as cst

from ..cstwalk import child_nodes, deeper_than, walk
from ..discovery import SourceFile, read_source_file
from ..model.project import ProjectModel
from ..parsing import ParseFailure, parse_source
from ..summary.builder import summarise
from .base import CannotFix, Target

if TYPE_CHECKING:
    from .apply import ModuleEditor

# Fixes walk and regenerate the tree with recursive code at Python's default recursion limit
# (about five frames a level): a module nested deeper is reported, not edited.
MAX_EDIT_DEPTH = 150


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class ParsedModule:
    source: SourceFile
    data: bytes
    module: cst.Module
    anchors: list[cst.CSTNode]
    _parents: Optional[dict[int, cst.CSTNode]] = field(default=None, repr=False)
    _editor: Optional[ModuleEditor] = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return self.source.display

    @property
    def target(self) -> Target:
        return Target(
            key=self.source.display,
            path=str(self.source.path),
            module_name=self.source.module,
            is_package=self.source.is_package,
            digest=digest(self.data),
        )

    def node(self, node_id: int) -> cst.CSTNode:
        if not 0 <= node_id < len(self.anchors):
            raise CannotFix(f"{self.key} does not match its analysis any more")
        return self.anchors[node_id]

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        if self._parents is None:
            self._parents = {
                id(child): current for current in walk(self.module) for child in child_nodes(current)
            }
        return self._parents.get(id(node))

    @property
    def editor(self) -> ModuleEditor:
        if self._editor is None:
            from .apply import ModuleEditor

            self._editor = ModuleEditor(self)
        return self._editor

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)


def read_module(source: SourceFile) -> ParsedModule:
    """Read, parse and anchor one module; every failure is a :class:`CannotFix`."""
    try:
        data = read_source_file(source.path)
    except OSError as error:
        raise CannotFix(f"cannot read {source.display}: {error.strerror or error}") from None
    try:
        module = parse_source(data)
        if deeper_than(module, MAX_EDIT_DEPTH):
            raise CannotFix(
                f"{source.display} nests more than {MAX_EDIT_DEPTH} levels deep, too deep to edit "
                "safely"
            )
        _, anchors = summarise(
            module, path=source.display, module_name=source.module, is_package=source.is_package
        )
    except (ParseFailure, RecursionError) as failure:
        raise CannotFix(f"cannot parse {source.display}: {failure}") from None
    return ParsedModule(source, data, module, anchors)


class SourceCache:
    """Parsed modules by key, each checked against the summary the analysis was built on."""

    def __init__(self, project: ProjectModel, sources: Mapping[str, SourceFile]) -> None:
        self.project = project
        self.sources = sources
        self._parsed: dict[str, Union[ParsedModule, CannotFix]] = {}

    def get(self, key: str) -> ParsedModule:
        cached = self._parsed.get(key)
        if cached is None:
            cached = self._load(key)
            self._parsed[key] = cached
        if isinstance(cached, CannotFix):
            raise cached
        return cached

    def _load(self, key: str) -> Union[ParsedModule, CannotFix]:
        source = self.sources.get(key)
        summary = self.project.modules.get(key)
        if source is None or summary is None:
            return CannotFix(f"{key} is not part of the analysis")
        try:
            parsed = read_module(source)
            fresh, _ = summarise(
                parsed.module,
                path=source.display,
                module_name=source.module,
                is_package=source.is_package,
            )
        except CannotFix as refusal:
            return refusal
        except RecursionError:
            return CannotFix(f"{key}: nesting too deep to edit")
        if fresh != summary:
            return CannotFix(f"{key} changed on disk during the analysis")
        return parsed


def source_for_target(target: Target) -> SourceFile:
    return SourceFile(
        path=Path(target.path),
        display=target.key,
        module=target.module_name,
        is_package=target.is_package,
    )
