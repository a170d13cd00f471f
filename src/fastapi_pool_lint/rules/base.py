"""What a rule is: a code, a documentation record, and a check over the project analysis."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from ..findings import Finding, Location
from ..model.analysis import ProjectAnalysis
from ..model.values import Site


@dataclass(frozen=True)
class RuleDoc:
    """The one source of a rule's documentation (terminal ``rule CODE`` and ``docs/rules``)."""

    what_it_does: str
    why_is_this_bad: str
    example: str  # code
    use_instead: str  # code
    use_instead_note: str  # prose after the code
    fix_safety: str
    references: tuple[str, ...]


class Rule(abc.ABC):
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[str]  # "error" or "warning"
    doc: ClassVar[RuleDoc]

    @abc.abstractmethod
    def check(self, analysis: ProjectAnalysis) -> Iterator[Finding]:
        """Every finding of this rule in the project."""


def location(site: Site) -> Location:
    return Location(site.module, site.node)
