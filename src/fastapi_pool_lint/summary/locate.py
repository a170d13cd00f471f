"""Attach source positions to summary nodes, only for modules where findings land.

A module is parsed again and summarised again, which reproduces the node ids, so the ids in
findings map back to CST nodes. Positions are libcst's ``PositionProvider`` positions (syntactic
ranges, 1-based lines, 0-based columns in characters), computed in one code generation pass.

``PositionProvider`` itself costs about twice a parse (measured on a 500-module synthetic service:
parse 2.7 s, ``MetadataWrapper.resolve(PositionProvider)`` 5.8 s): it records a range for every
node, and the wrapper walks the whole tree once more with an empty batch of visitors. Here the
same code generation runs with a lean state that records token indices only for the anchored
nodes (and the children their ranges are hoisted from, exactly as ``PositionProvider`` does),
then turns those indices into lines and columns in one pass over the tokens: 0.35x a parse, and
identical ranges. The state subclasses libcst's internal ``CodegenState``, the same base
``PositionProvider`` uses; ``tests/test_locate.py`` compares both on every anchor of the fixtures,
a generated service and part of the standard library, so a libcst release that changes those
internals fails the tests instead of shifting spans.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from typing import Any, Optional

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import MetadataWrapper, PositionProvider

from ..findings import Span
from ..parsing import ParseFailure, parse_source
from .builder import summarise

_NEWLINE = re.compile(r"\r\n?|\n")
_Mark = tuple[int, int, Optional[int], Optional[int]]  # start, end token index; hoisted from


class _NoRecord:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NO_RECORD = _NoRecord()


class _Record:
    """Records the token range of one node's syntactic position."""

    __slots__ = ("end_node", "key", "start", "start_node", "state")

    def __init__(
        self, state: _LeanState, key: int, start_node: Optional[int], end_node: Optional[int]
    ) -> None:
        self.state = state
        self.key = key
        self.start_node = start_node
        self.end_node = end_node
        self.start = 0

    def __enter__(self) -> None:
        self.start = len(self.state.tokens)

    def __exit__(self, *exc: object) -> None:
        self.state.marks[self.key] = (
            self.start,
            len(self.state.tokens),
            self.start_node,
            self.end_node,
        )


class _LeanState(CodegenState):
    """Code generation that remembers token indices for the wanted nodes only."""

    def __init__(self, module: cst.Module, wanted: Iterable[int]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.needed: set[int] = set(wanted)
        self.marks: dict[int, _Mark] = {}
        self.starts: dict[int, int] = {}

    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: Optional[cst.CSTNode] = None,
        end_node: Optional[cst.CSTNode] = None,
    ) -> Any:
        key = id(node)
        if key not in self.needed:
            return _NO_RECORD
        start = end = None
        if start_node is not None:
            start = id(start_node)
            self.needed.add(start)
        if end_node is not None:
            end = id(end_node)
            self.needed.add(end)
        return _Record(self, key, start, end)

    def before_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.needed:
            self.starts[key] = len(self.tokens)

    def after_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.needed and key not in self.marks:
            self.marks[key] = (self.starts[key], len(self.tokens), None, None)

    def pop_trailing_newline(self) -> None:
        """Positions are already taken; the final newline token stays for the count."""


def _line_columns(tokens: Sequence[str], indices: list[int]) -> dict[int, tuple[int, int]]:
    """(line, column) after the first ``i`` tokens, for each ``i`` in sorted ``indices``."""
    out: dict[int, tuple[int, int]] = {}
    line, column, position = 1, 0, 0
    for target in indices:
        while position < target:
            token = tokens[position]
            if "\n" in token or "\r" in token:
                segments = _NEWLINE.split(token)
                line += len(segments) - 1
                column = len(segments[-1])
            else:
                column += len(token)
            position += 1
        out[target] = (line, column)
    return out


def lean_positions(module: cst.Module, nodes: Sequence[cst.CSTNode]) -> list[Span]:
    """The ``PositionProvider`` span of each of ``nodes`` (all must be in ``module``)."""
    state = _LeanState(module, (id(n) for n in nodes))
    module._codegen(state)
    marks = state.marks

    def token_range(key: int) -> tuple[int, int]:
        start, end, start_node, end_node = marks[key]
        if start_node is not None:
            start = token_range(start_node)[0]
        if end_node is not None:
            end = token_range(end_node)[1]
        return start, end

    ranges = [token_range(id(n)) for n in nodes]
    where = _line_columns(state.tokens, sorted({i for r in ranges for i in r}))
    out = []
    for start, end in ranges:
        (line, column), (end_line, end_column) = where[start], where[end]
        out.append(Span(line, column + 1, end_line, end_column + 1))
    return out


def provider_positions(module: cst.Module, nodes: Sequence[cst.CSTNode]) -> list[Span]:
    """The same spans through libcst's public metadata API (slower; the reference)."""
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    out = []
    for node in nodes:
        position = positions[node]
        out.append(
            Span(
                position.start.line,
                position.start.column + 1,
                position.end.line,
                position.end.column + 1,
            )
        )
    return out


def locate_all(
    data: bytes, *, path: str, module_name: str, is_package: bool
) -> tuple[Span, ...]:
    """The span of every node id of the module in ``data`` (index = node id)."""
    module = parse_source(data)
    _, anchors = summarise(module, path=path, module_name=module_name, is_package=is_package)
    return tuple(lean_positions(module, anchors))


def locate(
    data: bytes, *, path: str, module_name: str, is_package: bool, nodes: Iterable[int]
) -> dict[int, Span]:
    spans = locate_all(data, path=path, module_name=module_name, is_package=is_package)
    return {node: spans[node] for node in nodes if 0 <= node < len(spans)}



# --------------------------------------------------------------------------- by statement

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _statement_lines(text: str) -> Optional[list[tuple[int, int]]]:
    """First and last line of each top-level statement as libcst groups them (``a = 1; b = 2``
    on one line is one statement), from ``ast`` (10x faster than libcst); None if it fails."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    groups: list[list[int]] = []
    for node in tree.body:
        decorators = getattr(node, "decorator_list", ())
        start = min([node.lineno, *(d.lineno for d in decorators)])
        end = node.end_lineno or node.lineno
        if groups and start <= groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], end)
        else:
            groups.append([start, end])
    return [(first, last) for first, last in groups]


def _split(data: bytes, statements: Sequence[int]) -> Optional[tuple[list[str], list[tuple[int, int]]]]:
    """The lines of ``data`` and the line range of each top-level statement, when they can be
    cut out and parsed on their own with the same columns; else None."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        if encoding != "utf-8":  # a BOM or another declared encoding: not worth the care
            return None
        text = data.decode("utf-8")
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None
    groups = _statement_lines(text)
    if groups is None or len(groups) != len(statements):
        return None
    return _LINE.findall(text), groups


def locate_nodes(
    data: bytes,
    *,
    path: str,
    module_name: str,
    is_package: bool,
    nodes: Iterable[int],
    statements: Sequence[int],
) -> dict[int, Span]:
    """The spans of ``nodes``, parsing only the top-level statements that hold them.

    ``statements`` is the summary's ``statement_anchors``. A top-level statement starts in
    column 0, so parsed on its own it has the same columns, its lines shifted by where it starts
    and its node ids by its first id. Findings land in a few functions of a module: this parses
    a fraction of it instead of all of it. Where the text cannot be cut that way (another
    encoding, a syntax this Python's ``ast`` rejects, a grouping that disagrees with libcst's),
    the whole module is located instead; ``tests/test_locate.py`` checks both give the same spans.
    """
    wanted = sorted({n for n in nodes if n >= 0})
    if not wanted:
        return {}
    split = _split(data, statements)
    located = _by_statement(split, wanted, statements, path, module_name, is_package)
    if located is None:
        spans = locate_all(data, path=path, module_name=module_name, is_package=is_package)
        return {n: spans[n] for n in wanted if n < len(spans)}
    return located


def _by_statement(
    split: Optional[tuple[list[str], list[tuple[int, int]]]],
    wanted: list[int],
    statements: Sequence[int],
    path: str,
    module_name: str,
    is_package: bool,
) -> Optional[dict[int, Span]]:
    if split is None:
        return None
    lines, groups = split
    out: dict[int, Span] = {}
    bounds: list[Optional[int]] = [*statements, None]
    position = 0
    for k, (first, last) in enumerate(groups):
        low, high = bounds[k], bounds[k + 1]
        assert low is not None
        ids = []
        while position < len(wanted) and (high is None or wanted[position] < high):
            if wanted[position] >= low:
                ids.append(wanted[position])
            position += 1
        if not ids:
            continue
        try:
            module = parse_source("".join(lines[first - 1 : last]).encode("utf-8"))
        except ParseFailure:
            return None
        if len(module.body) != 1:
            return None
        _, anchors = summarise(module, path=path, module_name=module_name, is_package=is_package)
        ids = [n for n in ids if n - low < len(anchors)]
        shift = first - 1
        for node, span in zip(ids, lean_positions(module, [anchors[n - low] for n in ids])):
            out[node] = Span(span.line + shift, span.column, span.end_line + shift, span.end_column)
    return out
