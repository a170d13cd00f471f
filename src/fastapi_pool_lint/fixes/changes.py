"""Node changes shared by the engine fixes: add a keyword, replace an argument or a dict entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from .base import CannotFix, ModuleChange, NodeChange, Statement
from .cstutil import add_keyword_argument, replace_argument_value


def _expression(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


def _call(node: cst.CSTNode) -> cst.Call:
    if not isinstance(node, cst.Call):
        raise CannotFix(f"expected a call, found {type(node).__name__}")
    return node


@dataclass(frozen=True)
class AddKeyword(NodeChange):
    """``f(a)`` -> ``f(a, keyword=value)`` in the call's layout (unchanged if already there)."""

    keyword: str
    value: str

    def transform(self, node: cst.CSTNode) -> cst.CSTNode:
        call = _call(node)
        if any(arg.keyword is not None and arg.keyword.value == self.keyword for arg in call.args):
            return call
        return add_keyword_argument(call, self.keyword, _expression(self.value))


@dataclass(frozen=True)
class ReplaceArgument(NodeChange):
    """Replace the value of argument ``index`` of a call (keyword and layout kept)."""

    index: int
    value: str

    def transform(self, node: cst.CSTNode) -> cst.CSTNode:
        call = _call(node)
        if self.index >= len(call.args):
            raise CannotFix("the call has fewer arguments than planned")
        return replace_argument_value(call, self.index, _expression(self.value))


def _string_value(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except Exception:
            return None
        return value if isinstance(value, str) else None
    return None


def replace_dict_entry(node: cst.Dict, key: str, value: str) -> cst.Dict:
    elements = list(node.elements)
    for i, element in enumerate(elements):
        if isinstance(element, cst.DictElement) and _string_value(element.key) == key:
            elements[i] = element.with_changes(value=_expression(value))
            return node.with_changes(elements=tuple(elements))
    raise CannotFix(f"no {key!r} entry in the dict")


@dataclass(frozen=True)
class ReplaceDictEntryInArgument(NodeChange):
    """In a call whose argument ``index`` is a dict literal, set the value of entry ``key``."""

    index: int
    key: str
    value: str

    def transform(self, node: cst.CSTNode) -> cst.CSTNode:
        call = _call(node)
        arg = call.args[self.index]
        if not isinstance(arg.value, cst.Dict):
            raise CannotFix("the argument is not a dict literal")
        args = list(call.args)
        args[self.index] = arg.with_changes(value=replace_dict_entry(arg.value, self.key, self.value))
        return call.with_changes(args=tuple(args))


@dataclass(frozen=True)
class ReplaceDictEntryInAssignment(ModuleChange):
    """In the module-level ``name = {...}``, set the value of entry ``key``."""

    name: str
    key: str
    value: str

    def _assign(self, statement: Statement) -> Optional[cst.Assign]:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        assign = statement.body[0]
        if (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and assign.targets[0].target.value == self.name
            and isinstance(assign.value, cst.Dict)
        ):
            return assign
        return None

    def locate(self, body: Sequence[Statement]) -> int:
        for index, statement in enumerate(body):
            if self._assign(statement) is not None:
                return index
        raise CannotFix(f"no module-level `{self.name} = {{...}}` to edit")

    def transform_statement(self, statement: Statement) -> Statement:
        assign = self._assign(statement)
        assert assign is not None and isinstance(assign.value, cst.Dict)
        assert isinstance(statement, cst.SimpleStatementLine)
        new = assign.with_changes(value=replace_dict_entry(assign.value, self.key, self.value))
        return statement.with_changes(body=(new,))
