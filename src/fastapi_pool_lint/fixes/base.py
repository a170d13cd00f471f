"""What a fixer proposes: changes to modules, as libcst operations addressed by node id.

A change names its module (the module key, i.e. display path) and, for node changes, the
``NodeId`` of the summary node it edits; it transforms that node as libcst hands it over after
the node's children were transformed, so changes nested in one another compose. Changes are
frozen and compare by value: two findings planning the same change apply it once.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Union

import libcst as cst

Statement = Union[cst.SimpleStatementLine, cst.BaseCompoundStatement]  # a module's body item

SAFE = "safe"
UNSAFE = "unsafe"
DISPLAY_ONLY = "display-only"


class CannotFix(Exception):
    """The fix is refused; ``str(self)`` says why, in words for the user."""


@dataclass(frozen=True)
class Change:
    module: str  # module key (display path)


@dataclass(frozen=True)
class NodeChange(Change):
    node: int  # the NodeId of the summary node this change edits

    @abc.abstractmethod
    def transform(self, node: cst.CSTNode) -> cst.CSTNode:
        """The edited node (``node`` already carries the edits of its children)."""


@dataclass(frozen=True)
class ModuleChange(Change):
    """A change of a top-level statement that has no node id (found by ``locate``)."""

    @abc.abstractmethod
    def locate(self, body: Sequence[Statement]) -> int:
        """The index of the statement to edit; :class:`CannotFix` if there is none."""

    @abc.abstractmethod
    def transform_statement(self, statement: Statement) -> Statement:
        """The edited statement."""


@dataclass(frozen=True)
class AddImport(Change):
    """Make ``name`` importable in the module: ``from <from_module> import <name>``."""

    from_module: str  # without leading dots; "" with ``relative`` for ``from . import x``
    name: str
    relative: int = 0
    asname: Optional[str] = None


@dataclass(frozen=True)
class RemoveImportIfUnused(Change):
    """Drop ``from <from_module> import <name> [as asname]`` if nothing uses it any more."""

    from_module: str  # absolute dotted module
    name: Optional[str]  # None: ``import <from_module>``
    asname: Optional[str] = None


@dataclass(frozen=True)
class Target:
    """A module a plan edits, as it was read when the plan was made."""

    key: str
    path: str  # absolute path
    module_name: str
    is_package: bool
    digest: str  # sha256 of the bytes the plan was made on


@dataclass(frozen=True)
class Plan:
    """A fixer's answer for one finding.

    ``changes`` empty means no automatic edit: ``message`` says why and ``suggestion`` shows the
    rewrite. ``left`` lists the parts of the finding the changes do not fix, each with its
    reason (a partial fix still removes the hazard where it applies).
    """

    applicability: str
    message: str
    changes: tuple[Change, ...] = ()
    left: tuple[str, ...] = ()
    suggestion: Optional[str] = None
    targets: tuple[Target, ...] = ()

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(change.module for change in self.changes))

    @property
    def complete(self) -> bool:
        """Whether applying the changes fixes the whole finding."""
        return bool(self.changes) and not self.left


def refusal(reason: str, suggestion: Optional[str] = None) -> Plan:
    return Plan(DISPLAY_ONLY, reason, suggestion=suggestion)
