"""What the rules report: findings with locations, related locations and fixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from .fixes.base import Plan


@dataclass(frozen=True, order=True)
class Span:
    """1-based line and column of the first character, end exclusive, as editors count."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Location:
    """A node of a module, located lazily: ``span`` is filled in once the module is located."""

    path: str  # display path, which is also the module's key in the project model
    node: int
    span: Optional[Span] = None


@dataclass(frozen=True)
class Related:
    location: Location
    note: str


@dataclass(frozen=True)
class Edit:
    path: str
    span: Span
    content: str


@dataclass(frozen=True)
class Fix:
    applicability: str  # "safe", "unsafe" or "display-only"
    message: str
    edits: tuple[Edit, ...] = ()  # relative to the files as analysed; apply all or none
    suggestion: Optional[str] = None  # display-only rewrite text
    left: tuple[str, ...] = ()  # parts of the finding the edits do not fix, with why
    plan: Optional[Plan] = field(default=None, compare=False, repr=False)  # for ``fix``


@dataclass(frozen=True)
class Finding:
    code: str
    location: Location
    message: str
    severity: str
    fix: Optional[Fix] = None
    related: tuple[Related, ...] = field(default=())

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        span = self.location.span
        return (
            self.location.path,
            span.line if span else 0,
            span.column if span else 0,
            self.code,
        )

    def to_json(self) -> dict[str, Any]:
        span = self.location.span
        assert span is not None, "findings are located before they are reported"
        fix: Optional[dict[str, Any]] = None
        if self.fix is not None:
            fix = {
                "applicability": self.fix.applicability,
                "message": self.fix.message,
                "edits": [
                    {
                        "path": e.path,
                        "line": e.span.line,
                        "column": e.span.column,
                        "end_line": e.span.end_line,
                        "end_column": e.span.end_column,
                        "content": e.content,
                    }
                    for e in self.fix.edits
                ],
            }
            if self.fix.suggestion is not None:
                fix["suggestion"] = self.fix.suggestion
            if self.fix.left:
                fix["left"] = list(self.fix.left)
        return {
            "code": self.code,
            "path": self.location.path,
            "line": span.line,
            "column": span.column,
            "end_line": span.end_line,
            "end_column": span.end_column,
            "message": self.message,
            "severity": self.severity,
            "fix": fix,
            "related": [
                {
                    "path": r.location.path,
                    "line": r.location.span.line if r.location.span else None,
                    "column": r.location.span.column if r.location.span else None,
                    "note": r.note,
                }
                for r in self.related
            ],
        }
