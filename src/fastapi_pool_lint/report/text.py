"""Human-readable output: one line per finding, indented "via" lines for related locations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import click

from ..findings import Finding


def _where(path: str, line: int, column: int) -> str:
    return f"{path}:{line}:{column}"


def render_text(findings: Sequence[Finding], *, color: bool = False) -> str:
    lines: list[str] = []
    for finding in findings:
        span = finding.location.span
        assert span is not None
        where = _where(finding.location.path, span.line, span.column)
        code = click.style(finding.code, fg="red", bold=True) if color else finding.code
        lines.append(f"{where}: {code} {finding.message}")
        for related in finding.related:
            rspan = related.location.span
            line = rspan.line if rspan else 1
            lines.append(f"    via {related.location.path}:{line}: {related.note}")
    return "\n".join(lines)


def render_summary(findings: Sequence[Finding], files: int) -> str:
    if not findings:
        return f"No findings in {files} file{'s' if files != 1 else ''}."
    counts = Counter(f.code for f in findings)
    detail = ", ".join(f"{code}: {n}" for code, n in sorted(counts.items()))
    noun = "finding" if len(findings) == 1 else "findings"
    return f"Found {len(findings)} {noun} ({detail}) in {files} file{'s' if files != 1 else ''}."
