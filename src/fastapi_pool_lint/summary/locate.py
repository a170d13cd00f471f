"""Attach source positions to summary nodes, only for modules where findings land.

Positions come from libcst's ``PositionProvider`` on a fresh parse of the same bytes; summarising
that parse again reproduces the node ids, so the ids in findings map back to CST nodes.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..findings import Span
from ..parsing import parse_source
from .builder import summarise


def _span(position: object) -> Span:
    start = position.start  # type: ignore[attr-defined]
    end = position.end  # type: ignore[attr-defined]
    return Span(start.line, start.column + 1, end.line, end.column + 1)


def locate(
    data: bytes, *, path: str, module_name: str, is_package: bool, nodes: Iterable[int]
) -> dict[int, Span]:
    module = parse_source(data)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    _, anchors = summarise(module, path=path, module_name=module_name, is_package=is_package)
    out: dict[int, Span] = {}
    for node_id in nodes:
        if 0 <= node_id < len(anchors):
            node: cst.CSTNode = anchors[node_id]
            out[node_id] = _span(positions[node])
    return out
