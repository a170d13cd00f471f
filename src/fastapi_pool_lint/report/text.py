"""Human-readable output: one line per finding, indented "via" lines for related locations,
optionally the source line with a caret (``--show-source``) and per-code counts
(``--statistics``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Callable, Optional

import click

from ..findings import Finding

# (display path, 1-based line) -> the physical line, without its newline; None when unreadable.
LineReader = Callable[[str, int], Optional[str]]


def _where(path: str, line: int, column: int) -> str:
    return f"{path}:{line}:{column}"


def _source(read_line: LineReader, path: str, line: int, column: int) -> list[str]:
    text = read_line(path, line)
    if text is None:
        return []
    # Keep tabs in the caret line so the caret lines up under the column in any tab width.
    prefix = "".join(ch if ch == "\t" else " " for ch in text[: max(column - 1, 0)])
    return [f"    {text}", f"    {prefix}^"]


def render_text(
    findings: Sequence[Finding],
    *,
    color: bool = False,
    read_line: Optional[LineReader] = None,
) -> str:
    """``read_line`` given: show each finding's source line with a caret under its column."""
    lines: list[str] = []
    for finding in findings:
        span = finding.location.span
        assert span is not None
        where = _where(finding.location.path, span.line, span.column)
        code = click.style(finding.code, fg="red", bold=True) if color else finding.code
        lines.append(f"{where}: {code} {finding.message}")
        if read_line is not None:
            lines.extend(_source(read_line, finding.location.path, span.line, span.column))
        for related in finding.related:
            rspan = related.location.span
            line = rspan.line if rspan else 1
            lines.append(f"    via {related.location.path}:{line}: {related.note}")
    return "\n".join(lines)


def render_statistics(findings: Sequence[Finding]) -> str:
    """One line per code, flake8-style: count, code, the rule's summary."""
    from ..rules import RULES_BY_CODE  # here: a run answered from the cache needs no model

    counts = Counter(f.code for f in findings)
    out = []
    for code, count in sorted(counts.items()):
        rule = RULES_BY_CODE.get(code)
        out.append(f"{count:<5} {code} {rule.summary if rule else ''}".rstrip())
    return "\n".join(out)


def render_summary(findings: Sequence[Finding], files: int) -> str:
    if not findings:
        return f"No findings in {files} file{'s' if files != 1 else ''}."
    counts = Counter(f.code for f in findings)
    detail = ", ".join(f"{code}: {n}" for code, n in sorted(counts.items()))
    noun = "finding" if len(findings) == 1 else "findings"
    return f"Found {len(findings)} {noun} ({detail}) in {files} file{'s' if files != 1 else ''}."
