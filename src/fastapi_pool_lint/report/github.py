"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding.

``::error file=app/db.py,line=12,col=1,endLine=12,endColumn=20,title=FPL001::message``; the
related locations follow the message on their own lines. Values are escaped as the Actions
toolkit does: ``%``, CR and LF everywhere, ``:`` and ``,`` also in properties.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..findings import Finding
from ..pipeline import FileError


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level} {props}::{escape_data(message)}"


def render_github(findings: Sequence[Finding], errors: Sequence[FileError] = ()) -> str:
    lines = []
    for finding in findings:
        span = finding.location.span
        assert span is not None
        message = finding.message
        for related in finding.related:
            rspan = related.location.span
            message += f"\nvia {related.location.path}:{rspan.line if rspan else 1}: {related.note}"
        level = "warning" if finding.severity == "warning" else "error"
        properties: dict[str, object] = {
            "file": finding.location.path,
            "line": span.line,
            "col": span.column,
            "endLine": span.end_line,
            "endColumn": span.end_column,
            "title": finding.code,
        }
        lines.append(_command(level, properties, message))
    for error in errors:
        lines.append(
            _command("error", {"file": error.path, "title": "cannot parse"}, error.reason)
        )
    return "\n".join(lines)
