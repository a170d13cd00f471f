"""Apply changes to one parsed module, statement by statement, and check the result.

Node changes transform only the top-level statement that holds their node (a libcst transformer
runs each change when it leaves its node, children first, so nested changes compose). Imports
are added with libcst's ``AddImportsVisitor`` run on the module's top import block, which is all
it reads and extends. An import is removed when a change made its last use disappear: the names
of the changed statements are counted before and after, conservatively (any ``Name`` node
counts as a use). The new text is the original text of the untouched statements and the
generated text of the others, so a change costs in proportion to the statement it edits, not
to the module.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Optional, Union

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_absolute_module_from_package_for_import

from ..cstwalk import walk
from ..parsing import ParseFailure, parse_source
from .base import (
    AddImport,
    CannotFix,
    Change,
    ModuleChange,
    NodeChange,
    RemoveImportIfUnused,
    Statement,
)
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


def _is_import(statement: Statement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], (cst.Import, cst.ImportFrom))
    )


def _names(node: cst.CSTNode, out: Counter[str]) -> Counter[str]:
    """Every ``Name`` in ``node``."""
    out.update(current.value for current in walk(node) if isinstance(current, cst.Name))
    return out


@dataclass
class Edited:
    """A module after changes: its statements, and the ones that are new or changed."""

    parsed: ParsedModule
    body: list[Statement]
    new: list[Statement]  # generated statements (changed or inserted)
    text: str
    generated: dict[int, str]  # code of the generated statements, by id

    @property
    def module(self) -> cst.Module:
        return self.parsed.module.with_changes(body=tuple(self.body))

    @property
    def data(self) -> bytes:
        return self.text.encode(self.parsed.module.encoding)


class ModuleEditor:
    """Edits one parsed module; keeps the text of its untouched statements."""

    def __init__(self, parsed: ParsedModule) -> None:
        self.parsed = parsed
        module = parsed.module
        self._codes = {id(s): module.code_for_node(s) for s in module.body}
        self._header = "".join(module.code_for_node(line) for line in module.header)
        self._footer = "".join(module.code_for_node(line) for line in module.footer)
        self._original = module.code
        self._exact = self._text(list(module.body)) == self._original
        self._imported: dict[tuple[tuple[int, ...], tuple[AddImport, ...]], list[Statement]] = {}
        self._top: Optional[dict[int, int]] = None
        self._names: Optional[Counter[str]] = None
        self._compiles: Optional[bool] = None

    # ------------------------------------------------------------------ text

    @property
    def original_text(self) -> str:
        return self._original

    def _text(self, body: Sequence[Statement], generated: Optional[dict[int, str]] = None) -> str:
        module = self.parsed.module
        parts = [self._header]
        for statement in body:
            code = self._codes.get(id(statement))
            if code is None:
                code = module.code_for_node(statement)
                if generated is not None:
                    generated[id(statement)] = code
            parts.append(code)
        parts.append(self._footer)
        text = "".join(parts)
        if not module.has_trailing_newline:
            for newline in ("\r\n", "\n", "\r"):
                if text.endswith(newline):
                    text = text[: -len(newline)]
                    break
        return text

    @property
    def compiles(self) -> bool:
        """Whether the original module compiles with this Python (then edits must, too)."""
        if self._compiles is None:
            self._compiles = _compiles(self.parsed.module.code, self.parsed.key)
        return self._compiles

    # ------------------------------------------------------------------ where nodes are

    def _top_index(self, node: cst.CSTNode) -> int:
        """The index of the top-level statement that contains ``node``."""
        if self._top is None:
            top: dict[int, int] = {}
            for index, statement in enumerate(self.parsed.module.body):
                top.update((id(current), index) for current in walk(statement))
            self._top = top
        found = self._top.get(id(node))
        if found is None:
            raise CannotFix(f"cannot find the node to edit in {self.parsed.key}")
        return found

    def _name_counts(self) -> Counter[str]:
        """Names used outside the module's top-level import statements."""
        if self._names is None:
            counts: Counter[str] = Counter()
            for statement in self.parsed.module.body:
                if not _is_import(statement):
                    _names(statement, counts)
            self._names = counts
        return self._names

    # ------------------------------------------------------------------ editing

    def edit(self, changes: Iterable[Change]) -> Edited:
        parsed = self.parsed
        unique = [c for c in dict.fromkeys(changes) if c.module == parsed.key]
        body = list(parsed.module.body)
        grouped: dict[int, dict[int, list[NodeChange]]] = {}
        for change in unique:
            if isinstance(change, NodeChange):
                node = parsed.node(change.node)
                grouped.setdefault(self._top_index(node), {}).setdefault(id(node), []).append(
                    change
                )
        for index, by_node in grouped.items():
            result = body[index].visit(_ApplyNodeChanges(by_node))
            if not isinstance(result, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                raise CannotFix("a change removed a whole statement")
            body[index] = result
        for change in unique:
            if isinstance(change, ModuleChange):
                index = change.locate(body)
                body[index] = change.transform_statement(body[index])
        additions = [c for c in unique if isinstance(c, AddImport)]
        if additions:
            body = self._add_imports(body, additions)
        removals = [c for c in unique if isinstance(c, RemoveImportIfUnused)]
        if removals:  # after the additions: a removed line's blank lines go to the next import
            body = self._remove_unused(body, removals)
        generated: dict[int, str] = {}
        if self._exact:
            text = self._text(body, generated)
        else:
            text = parsed.module.with_changes(body=body).code
        new = [s for s in body if id(s) not in self._codes]
        return Edited(parsed, body, new, text, generated)

    def _add_imports(
        self, body: list[Statement], additions: Sequence[AddImport]
    ) -> list[Statement]:
        """``AddImportsVisitor`` on the top import block only (all it reads and extends)."""
        end = 0
        if body and isinstance(body[0], cst.SimpleStatementLine) and not _is_import(body[0]):
            end = 1  # a docstring (or a ``__strict__`` flag) stays first
        while end < len(body) and _is_import(body[end]):
            end += 1
        prefix = list(body[:end])
        after = body[end] if end < len(body) else None
        key = (tuple(id(s) for s in body[: end + 1]), tuple(additions))
        cached = self._imported.get(key)
        if cached is not None:
            return [*cached, *body[end + 1 :]]
        result = self._with_imports(prefix, after, additions)
        if all(id(s) in self._codes for s in body[: end + 1]):
            self._imported[key] = result  # the statements are the module's own: stable ids
        return [*result, *body[end + 1 :]]

    def _with_imports(
        self, prefix: list[Statement], after: Optional[Statement], additions: Sequence[AddImport]
    ) -> list[Statement]:
        """``prefix`` (and ``after``, the statement that follows it) with the imports added."""
        if after is not None:  # the visitor may put a blank line before the next statement
            prefix.append(cst.SimpleStatementLine((cst.Pass(),), leading_lines=after.leading_lines))
        # No package name in the context: relative imports stay relative, as the project wrote.
        context = CodemodContext()
        for addition in additions:
            AddImportsVisitor.add_needed_import(
                context,
                addition.from_module,
                addition.name,
                asname=addition.asname,
                relative=addition.relative,
            )
        small = self.parsed.module.with_changes(body=tuple(prefix), footer=())
        result = list(AddImportsVisitor(context).transform_module(small).body)
        if after is not None:
            stand_in = result.pop()
            if stand_in.leading_lines != after.leading_lines:
                after = after.with_changes(leading_lines=stand_in.leading_lines)
            result.append(after)
        return result

    def _remove_unused(
        self, body: list[Statement], removals: Sequence[RemoveImportIfUnused]
    ) -> list[Statement]:
        original = self.parsed.module.body
        if any(_defines_all(s) for s in original):
            return body  # names listed in ``__all__`` are exported, not unused
        counts = Counter(self._name_counts())
        present = {id(s) for s in body}
        for statement in original:
            if id(statement) not in present and not _is_import(statement):
                counts.subtract(_names(statement, Counter()))
        for statement in body:
            if id(statement) not in self._codes and not _is_import(statement):
                counts.update(_names(statement, Counter()))
        wanted = {
            (r.from_module, r.name, r.asname)
            for r in removals
            if counts[r.asname or r.name or r.from_module.split(".")[0]] <= 0
        }
        if not wanted:
            return body
        out: list[Statement] = []
        pending: Sequence[cst.EmptyLine] = ()
        for statement in body:
            if _is_import(statement):
                assert isinstance(statement, cst.SimpleStatementLine)
                kept = self._without(statement.body[0], wanted)  # type: ignore[arg-type]
                if kept is None:
                    pending = pending or statement.leading_lines
                    continue
                statement = statement.with_changes(body=(kept,))
            if pending and not statement.leading_lines:
                statement = statement.with_changes(leading_lines=tuple(pending))
            pending = ()
            out.append(statement)
        return out

    def _without(
        self,
        statement: Union[cst.Import, cst.ImportFrom],
        wanted: set[tuple[str, Optional[str], Optional[str]]],
    ) -> Optional[Union[cst.Import, cst.ImportFrom]]:
        """The import without the aliases in ``wanted``; None when nothing is left."""
        if isinstance(statement, cst.ImportFrom):
            if isinstance(statement.names, cst.ImportStar):
                return statement
            source = self.parsed.source
            package = source.module if source.is_package else source.module.rpartition(".")[0]
            module = get_absolute_module_from_package_for_import(package or None, statement)
            if module is None:
                return statement
            names = [
                alias
                for alias in statement.names
                if (module, alias.evaluated_name, alias.evaluated_alias) not in wanted
            ]
            if len(names) == len(statement.names):
                return statement
            if not names:
                return None
            if statement.rpar is None and isinstance(names[-1].comma, cst.Comma):
                names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return statement.with_changes(names=tuple(names))
        aliases = [
            alias
            for alias in statement.names
            if (alias.evaluated_name, None, alias.evaluated_alias) not in wanted
        ]
        if len(aliases) == len(statement.names):
            return statement
        if not aliases:
            return None
        if isinstance(aliases[-1].comma, cst.Comma):
            aliases[-1] = aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return statement.with_changes(names=tuple(aliases))


def _defines_all(statement: Statement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        targets: list[cst.BaseExpression] = []
        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            targets = [small.target]
        if any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets):
            return True
    return False


# --------------------------------------------------------------------------- checks


def _compiles(code: str, filename: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes and the like
        try:
            compile(code, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            return False
    return True


def _apply(editor: ModuleEditor, changes: Sequence[Change]) -> Edited:
    try:
        return editor.edit(changes)
    except CannotFix:
        raise
    except Exception as error:  # a change that does not fit the code it was planned on
        key = editor.parsed.key
        raise CannotFix(f"cannot edit {key}: {type(error).__name__}: {error}") from None


def edited_statements(editor: ModuleEditor, changes: Sequence[Change]) -> Edited:
    """The module with ``changes``, each new statement checked on its own (for one finding).

    A top-level statement parses and compiles on its own, so checking the generated ones
    catches what parsing allows but Python rejects (``await`` outside an async function) without
    the cost of the whole module.
    """
    edited = _apply(editor, changes)
    module = editor.parsed.module
    for statement in edited.new:
        code = edited.generated.get(id(statement)) or module.code_for_node(statement)
        if editor.compiles:  # compiling parses too
            if not _compiles(code, editor.parsed.key):
                raise CannotFix(f"the edit of {editor.parsed.key} would not compile")
            continue
        try:  # syntax newer than this Python: libcst's parser still checks the grammar
            parse_source(code.encode("utf-8"))
        except ParseFailure:
            raise CannotFix(f"the edit of {editor.parsed.key} would not parse") from None
    return edited


def edited_module(editor: ModuleEditor, changes: Sequence[Change]) -> Edited:
    """The module with ``changes``, checked as a whole: it parses, and compiles if it did."""
    edited = _apply(editor, changes)
    parsed = editor.parsed
    try:
        data = edited.data
    except UnicodeEncodeError as error:
        encoding = parsed.module.encoding
        raise CannotFix(
            f"the edit of {parsed.key} has characters its encoding ({encoding}) cannot hold: "
            f"{error.object[error.start : error.end]!r}"
        ) from None
    if data == parsed.data:
        return edited
    try:
        parse_source(data)
    except ParseFailure as failure:
        raise CannotFix(f"the edit of {parsed.key} would not parse ({failure})") from None
    if editor.compiles and not _compiles(edited.text, parsed.key):
        raise CannotFix(f"the edit of {parsed.key} would not compile")
    return edited
