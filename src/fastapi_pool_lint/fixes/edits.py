"""Text edits between two versions of a file, as editors apply them.

Positions are 1-based lines and columns counted in characters of the decoded text (as the
findings' spans are); lines end at ``\\n``, ``\\r\\n`` or ``\\r`` like Python's tokenizer counts
them. Edits are non-overlapping, in order, and each replaces the range from (line, column) up to
(end_line, end_column), exclusive, of the original text.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Sequence

from ..findings import Edit, Span

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> list[str]:
    """Lines with their endings; only ``\\n``, ``\\r\\n`` and ``\\r`` end a line."""
    return _LINE.findall(text)


class _Positions:
    def __init__(self, lines: Sequence[str]) -> None:
        self.starts = [0]
        for line in lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line_index: int) -> int:
        return self.starts[line_index]

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        index = min(index, len(self.starts) - 1)
        return index + 1, offset - self.starts[index] + 1


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def text_edits(path: str, before: str, after: str) -> tuple[Edit, ...]:
    """The smallest line-aligned-then-trimmed edits turning ``before`` into ``after``."""
    if before == after:
        return ()
    old_lines, new_lines = split_lines(before), split_lines(after)
    positions = _Positions(old_lines)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old = "".join(old_lines[i1:i2])
        new = "".join(new_lines[j1:j2])
        prefix = _common_prefix(old, new)
        suffix = _common_prefix(old[prefix:][::-1], new[prefix:][::-1])
        start = positions.offset(i1) + prefix
        end = positions.offset(i1) + len(old) - suffix
        line, column = positions.position(start)
        end_line, end_column = positions.position(end)
        edits.append(
            Edit(path, Span(line, column, end_line, end_column), new[prefix : len(new) - suffix])
        )
    return tuple(edits)


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with ``edits`` applied (they must be sorted and must not overlap)."""
    lines = split_lines(text)
    positions = _Positions(lines)

    def offset(line: int, column: int) -> int:
        if line - 1 >= len(positions.starts):
            return len(text)
        return positions.starts[line - 1] + column - 1

    out: list[str] = []
    cursor = 0
    for edit in edits:
        start = offset(edit.span.line, edit.span.column)
        end = offset(edit.span.end_line, edit.span.end_column)
        if start < cursor or end < start:
            raise ValueError("edits overlap or are out of order")
        out.append(text[cursor:start])
        out.append(edit.content)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)
