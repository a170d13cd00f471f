"""Apply changes to one parsed module with libcst, and check the result is still Python."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Optional, Union

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from ..parsing import ParseFailure, parse_source
from .base import AddImport, CannotFix, Change, ModuleChange, NodeChange, RemoveImportIfUnused
from .source import ParsedModule


class _ApplyNodeChanges(cst.CSTTransformer):
    """Runs each node change when libcst leaves the node it targets (children done first)."""

    def __init__(self, by_node: dict[int, list[NodeChange]]) -> None:
        super().__init__()
        self.by_node = by_node

    def on_leave(  # type: ignore[override]  # changes may replace a node with another type
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel[cst.CSTNode]]:
        changes = self.by_node.get(id(original_node))
        if not changes:
            return updated_node
        node = updated_node
        for change in changes:
            node = change.transform(node)
        return node


def _package(module_name: str, is_package: bool) -> str:
    if is_package:
        return module_name
    return module_name.rpartition(".")[0]


def apply_changes(parsed: ParsedModule, changes: Sequence[Change]) -> cst.Module:
    """``parsed``'s module with ``changes`` (those for this module, deduplicated) applied."""
    unique = [c for c in dict.fromkeys(changes) if c.module == parsed.key]
    by_node: dict[int, list[NodeChange]] = {}
    for change in unique:
        if isinstance(change, NodeChange):
            by_node.setdefault(id(parsed.node(change.node)), []).append(change)
    module = parsed.module
    if by_node:
        module = module.visit(_ApplyNodeChanges(by_node))
    for change in unique:
        if isinstance(change, ModuleChange):
            module = change.transform_module(module)
    additions = [c for c in unique if isinstance(c, AddImport)]
    if additions:
        # No package name in the context: relative imports stay relative, as the project wrote.
        context = CodemodContext()
        for addition in additions:
            AddImportsVisitor.add_needed_import(
                context, addition.from_module, addition.name, relative=addition.relative
            )
        module = AddImportsVisitor(context).transform_module(module)
    removals = [c for c in unique if isinstance(c, RemoveImportIfUnused)]
    if removals:
        source = parsed.source
        context = CodemodContext(
            full_module_name=source.module,
            full_package_name=_package(source.module, source.is_package),
        )
        for removal in removals:
            RemoveImportsVisitor.remove_unused_import(
                context, removal.from_module, removal.name, removal.asname
            )
        module = _keep_blank_lines(module, RemoveImportsVisitor(context).transform_module(module))
    return module


def _import_key(statement: cst.BaseStatement) -> Optional[tuple[int, str]]:
    """(relative level, module) of an import statement line, or None."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.ImportFrom):
            module = cst.Module([]).code_for_node(small.module) if small.module else ""
            return len(small.relative), module
        if isinstance(small, cst.Import):
            return 0, "import " + ",".join(
                cst.Module([]).code_for_node(alias.name) for alias in small.names
            )
    return None


def _keep_blank_lines(before: cst.Module, after: cst.Module) -> cst.Module:
    """Give the blank lines and comments above a removed import to the statement after it."""
    old, new = list(before.body), list(after.body)
    if len(old) == len(new):
        return after
    body: list[cst.BaseStatement] = []
    pending: Sequence[cst.EmptyLine] = ()
    j = 0
    for statement in old:
        if j < len(new) and (
            new[j].deep_equals(statement)
            or (_import_key(statement) is not None and _import_key(statement) == _import_key(new[j]))
        ):
            current = new[j]
            if pending and not current.leading_lines:
                current = current.with_changes(leading_lines=tuple(pending))
            pending = ()
            body.append(current)
            j += 1
        elif _import_key(statement) is not None:
            pending = pending or statement.leading_lines
        else:  # not the removal we expect: keep libcst's result as it is
            return after
    if j != len(new):
        return after
    return after.with_changes(body=tuple(body))


def _compiles(code: str, filename: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes and the like
        try:
            compile(code, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
        except RecursionError:
            return False
    return True


def edited_module(parsed: ParsedModule, changes: Sequence[Change]) -> cst.Module:
    """The module with ``changes`` applied, checked: it parses, and compiles if the original did.

    Compiling catches what parsing allows but Python rejects (``await`` outside an async
    function, a duplicate parameter); nothing is executed.
    """
    try:
        module = apply_changes(parsed, changes)
        data = module.bytes
    except CannotFix:
        raise
    except Exception as error:  # a change that does not fit the code it was planned on
        raise CannotFix(f"cannot edit {parsed.key}: {type(error).__name__}: {error}") from None
    if data == parsed.data:
        return module
    try:
        parse_source(data)
    except ParseFailure as failure:
        raise CannotFix(f"the edit of {parsed.key} would not parse ({failure})") from None
    name = parsed.key
    if _compiles(parsed.module.code, name) and not _compiles(module.code, name):
        raise CannotFix(f"the edit of {parsed.key} would not compile")
    return module
