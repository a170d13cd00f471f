"""Walking a libcst tree by its dataclass fields: cheaper than libcst's visitors (which rebuild
or revisit every node) and without recursion, so deeply nested input cannot exhaust the stack.
Fields that never hold code (whitespace, punctuation, parentheses) are skipped."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst

# Fields that never hold code: whitespace, punctuation and parentheses.
_SKIPPED_FIELD_PREFIXES = (
    "whitespace",
    "lpar",
    "rpar",
    "lbracket",
    "rbracket",
    "lbrace",
    "rbrace",
    "comma",
    "semicolon",
    "colon",
    "equal",
    "dot",
    "header",
    "footer",
    "leading_lines",
    "lines_after_decorators",
    "newline",
    "operator",
    "star",
    "asynchronous",
    "indent",
    "trailing_whitespace",
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(node_type: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(node_type)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if not f.name.startswith(_SKIPPED_FIELD_PREFIXES)
        )
        _CHILD_FIELDS[node_type] = names
    return names


def child_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The nodes directly under ``node`` that can hold code (whitespace and punctuation aside)."""
    out: list[cst.CSTNode] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            out.append(value)
        elif isinstance(value, (tuple, list)):
            out.extend(v for v in value if isinstance(v, cst.CSTNode))
    return out


def deeper_than(node: cst.CSTNode, limit: int) -> bool:
    """Whether the tree under ``node`` (whitespace and punctuation aside) nests more than
    ``limit`` levels; found without recursion, stopping at the first node that deep."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in child_nodes(current))
    return False


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and every node under it that can hold code, parents before their children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(child_nodes(current))
