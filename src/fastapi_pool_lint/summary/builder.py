"""Summarise one parsed module: CST in, :class:`ModuleSummary` out.

One pass over the statements and expressions of the module, with a direct walk over the CST's
dataclass fields. libcst's visitor machinery and metadata providers rebuild or revisit every
node (measured on a 655-module service: parse 2.6 s, a no-op ``CSTVisitor`` +2.7 s,
``PositionProvider`` +5.9 s, ``ScopeProvider`` + ``QualifiedNameProvider`` + positions +22.9 s;
this walk +0.2 s), so the summary records only what the project model needs and positions are
resolved later for the few nodes that end up in a finding (:mod:`.locate`).

Name resolution is left to the project model: the summary keeps, per scope (module, class,
function), every binding of every name (imports as absolute dotted names, assignments as small
expression trees, ``def``/``class``/parameters), which is what Python's own scoping rules need.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Callable, Optional, TypeVar, Union

import libcst as cst

from ..cstwalk import child_nodes as _children
from .records import (
    NEGATED_GUARD,
    Arg,
    Attr,
    AttrAssign,
    Binding,
    Body,
    Call,
    ClassBinding,
    ClassSummary,
    Const,
    DefBinding,
    DictExpr,
    Either,
    Expr,
    FunctionSummary,
    ImportBinding,
    Iteration,
    ModuleSummary,
    Name,
    NodeId,
    Opaque,
    Param,
    ParamBinding,
    Seq,
    StrPrefix,
    Subscript,
    ValueBinding,
    YieldFrom,
)

_T = TypeVar("_T")
# Expression records deeper than this become ``Opaque``: the project model, pickling and
# comparing records recurse through them at Python's default recursion limit, while a parsed
# expression can be thousands of levels deep (see ``nesting``). Calls inside are still recorded.
MAX_RECORD_DEPTH = 64
_NONE, _TRUE, _FALSE = Const(None), Const(True), Const(False)
_LEAVES = (Name, Const, Opaque, StrPrefix)


def _is_leaf(expr: Expr) -> bool:
    """An expression without calls, made only of names, attributes, literals, subscripts."""
    if isinstance(expr, _LEAVES):
        return True
    if isinstance(expr, Attr):
        return _is_leaf(expr.value)
    if isinstance(expr, Subscript):
        return _is_leaf(expr.value) and all(_is_leaf(item) for item in expr.items)
    return False


_EXPRESSION_TYPES: dict[type, bool] = {}


def _is_expression(node: cst.CSTNode) -> bool:
    """``isinstance(node, cst.BaseExpression)``, memoised per type (an ABC check is slow)."""
    kind = type(node)
    found = _EXPRESSION_TYPES.get(kind)
    if found is None:
        found = _EXPRESSION_TYPES[kind] = isinstance(node, cst.BaseExpression)
    return found


_CONSTANT_NAMES = frozenset({"None", "True", "False"})
_EXITS = (cst.Return, cst.Raise, cst.Continue, cst.Break)


def _plain_name(node: cst.BaseExpression) -> Optional[str]:
    """The name, when ``node`` is a variable (not ``None``/``True``/``False``)."""
    if isinstance(node, cst.Name) and node.value not in _CONSTANT_NAMES:
        return node.value
    return None


def _guard(test: cst.BaseExpression) -> Optional[tuple[str, str]]:
    """The condition ``test`` puts on a plain name: ``x is None``, ``x is not None``, ``not x``,
    ``x``; None for anything else."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        right = target.comparator
        name = _plain_name(test.left)
        if (
            name is not None
            and isinstance(right, cst.Name)
            and right.value == "None"
            and isinstance(target.operator, (cst.Is, cst.IsNot))
        ):
            return (name, "none" if isinstance(target.operator, cst.Is) else "not-none")
        return None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _negated(_guard(test.expression))
    name = _plain_name(test)
    return (name, "truthy") if name is not None else None


def _negated(guard: Optional[tuple[str, str]]) -> Optional[tuple[str, str]]:
    return (guard[0], NEGATED_GUARD[guard[1]]) if guard is not None else None


def _always_exits(body: cst.BaseSuite) -> bool:
    """Whether a suite ends by leaving the block (``return``, ``raise``, ``continue``, ``break``)."""
    if isinstance(body, cst.IndentedBlock):
        if not body.body:
            return False
        last = body.body[-1]
        if not isinstance(last, cst.SimpleStatementLine):
            return False
        small = last.body
    else:
        small = body.body  # type: ignore[assignment]
    return bool(small) and isinstance(small[-1], _EXITS)


def _simple_string_value(node: cst.SimpleString) -> Union[str, bytes, None]:
    """The value of a literal without escapes, read off its text (``evaluated_value`` runs
    ``ast.literal_eval``, a compile per literal); None when escapes or a CR need the real thing.
    """
    raw = node.value
    prefix = node.prefix
    quote = node.quote
    body = raw[len(prefix) + len(quote) : len(raw) - len(quote)]
    if "\\" in body or "\r" in body:
        return None
    lowered = prefix.lower()
    if lowered in ("", "u", "r"):
        return body
    if lowered in ("b", "br", "rb") and body.isascii():
        return body.encode("ascii")
    return None


def _share_key(value: object) -> Optional[tuple[object, ...]]:
    kind = type(value)
    if kind is Name:
        return (kind, value.id)  # type: ignore[attr-defined]
    if kind is Const:
        literal = value.value  # type: ignore[attr-defined]
        return (kind, type(literal), literal)
    if kind is Opaque:
        return (kind, value.kind)  # type: ignore[attr-defined]
    if kind is ParamBinding:
        return (kind, value.index)  # type: ignore[attr-defined]
    if kind is Attr:
        return (kind, id(value.value), value.attr)  # type: ignore[attr-defined]
    if kind is Arg:
        return (kind, id(value.value), value.keyword, value.star)  # type: ignore[attr-defined]
    if kind is Subscript:
        return (kind, id(value.value), tuple(map(id, value.items)))  # type: ignore[attr-defined]
    return None


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


class _Scope:
    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind  # "module", "class" or "function"
        self.key = key
        self.bindings: dict[str, list[Binding]] = {}
        self.calls: list[Call] = []
        self.attr_assigns: list[AttrAssign] = []
        self.global_names: set[str] = set()
        self.declared_global: set[str] = set()  # ``global`` (not ``nonlocal``) names
        self.iterations: list[Iteration] = []
        self.yields: list[Expr] = []
        self.return_values: list[Expr] = []
        self.is_generator = False
        self.awaits = False
        self.methods: dict[str, str] = {}
        self.handler_depth = 0  # how many ``except`` clauses enclose the current statement
        self.guards: list[tuple[str, str]] = []  # the name conditions enclosing it
        self.guard_names: set[str] = set()

    def push_guard(self, guard: Optional[tuple[str, str]]) -> bool:
        if guard is None:
            return False
        self.guards.append(guard)
        self.guard_names.add(guard[0])
        return True

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def body(self) -> Body:
        return Body(
            bindings={k: tuple(v) for k, v in self.bindings.items()},
            calls=tuple(self.calls),
            attr_assigns=tuple(self.attr_assigns),
            global_names=frozenset(self.global_names),
            iterations=tuple(self.iterations),
        )


class _Summariser:
    def __init__(self, module_name: str, is_package: bool) -> None:
        self.module_name = module_name
        self.is_package = is_package
        self.anchors: list[cst.CSTNode] = []
        self.functions: dict[str, FunctionSummary] = {}
        self.classes: dict[str, ClassSummary] = {}
        self.star_imports: list[str] = []
        self.scopes: list[_Scope] = [_Scope("module", "")]
        self._pool: dict[tuple[object, ...], object] = {}
        self._depth = 0  # of ``expr`` calls in progress
        self._expr_handlers: dict[type, Callable[[cst.CSTNode], Expr]] = {
            cst.Name: self._name,
            cst.Attribute: self._attribute,
            cst.Call: self._call,
            cst.Subscript: self._subscript,
            cst.SimpleString: self._string,
            cst.ConcatenatedString: self._string,
            cst.FormattedString: self._fstring,
            cst.Integer: self._number,
            cst.Float: self._number,
            cst.List: self._sequence,
            cst.Tuple: self._sequence,
            cst.Set: self._sequence,
            cst.Dict: self._dict,
            cst.Await: self._await,
            cst.Yield: self._yield,
            cst.Lambda: self._lambda,
            cst.IfExp: self._ifexp,
            cst.BooleanOperation: self._boolop,
            cst.NamedExpr: self._namedexpr,
        }
        self._stmt_handlers: dict[type, Callable[[cst.CSTNode], None]] = {
            cst.FunctionDef: self._function_def,
            cst.ClassDef: self._class_def,
            cst.Assign: self._assign,
            cst.AnnAssign: self._ann_assign,
            cst.Import: self._import,
            cst.ImportFrom: self._import_from,
            cst.With: self._with,
            cst.For: self._for,
            cst.Return: self._return,
            cst.Expr: self._expr_stmt,
            cst.Global: self._global,
            cst.Nonlocal: self._global,
            cst.ExceptHandler: self._except_handler,
            cst.ExceptStarHandler: self._except_handler,
            cst.If: self._if,
            cst.IndentedBlock: self._block,
        }
        type_alias = getattr(cst, "TypeAlias", None)
        if type_alias is not None:
            self._stmt_handlers[type_alias] = self._type_alias

    # ------------------------------------------------------------------ helpers

    def _shared(self, value: _T) -> _T:
        """One object per distinct call-free leaf (``Name("db")``, ``Const(None)``...) per module.

        Records compare by value, so sharing changes no result; it shrinks a summary to about
        half its objects (a module names ``db`` dozens of times), which is what pickling,
        loading from the cache and memory cost. Keys are typed (``Const(1)`` is not
        ``Const(True)``, although they compare equal) and cheap to hash: composites are keyed by
        the identity of their already shared parts, which the pool keeps alive.
        """
        key = _share_key(value)
        if key is None:
            return value
        return self._pool.setdefault(key, value)  # type: ignore[return-value]

    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def anchor(self, node: cst.CSTNode) -> NodeId:
        self.anchors.append(node)
        return len(self.anchors) - 1

    def _unique_key(self, key: str, table: dict[str, object]) -> str:
        if key not in table:
            return key
        n = 2
        while f"{key}#{n}" in table:
            n += 1
        return f"{key}#{n}"

    def _nested_key(self, name: str) -> str:
        scope = self.scope
        if scope.kind == "module":
            return name
        if scope.kind == "class":
            return f"{scope.key}.{name}"
        return f"{scope.key}.<locals>.{name}"

    def _enclosing_function_key(self) -> Optional[str]:
        for scope in reversed(self.scopes):
            if scope.kind == "function":
                return scope.key
        return None

    def _resolve_relative(self, level: int, module: Optional[str]) -> str:
        if level == 0:
            return module or ""
        parts = self.module_name.split(".") if self.module_name else []
        if not self.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: max(len(parts) - (level - 1), 0)]
        base = ".".join(parts)
        if module:
            return f"{base}.{module}" if base else module
        return base

    # ------------------------------------------------------------------ expressions

    def expr(self, node: cst.CSTNode) -> Expr:
        handler = self._expr_handlers.get(type(node))
        self._depth += 1
        try:
            if handler is not None:
                value = handler(node)
            else:
                self._walk_expr_children(node)
                value = self._shared(Opaque(type(node).__name__))
        finally:
            self._depth -= 1
        return value if self._depth < MAX_RECORD_DEPTH else self._shared(Opaque("deep"))

    def _walk_expr_children(self, node: cst.CSTNode) -> None:
        for child in _children(node):
            if _is_expression(child):
                self.expr(child)
            elif isinstance(child, cst.CompFor):
                self._comp_for(child)
            else:
                self._walk_expr_children(child)

    def _name(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, cst.Name)
        value = node.value
        if value == "None":
            return _NONE
        if value == "True":
            return _TRUE
        if value == "False":
            return _FALSE
        shared = self._pool.get((Name, value))  # most names repeat: skip building a record
        if shared is not None:
            return shared  # type: ignore[return-value]
        return self._shared(Name(sys.intern(value)))

    def _attribute(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, cst.Attribute)
        value = self.expr(node.value)
        attr = Attr(value, sys.intern(node.attr.value))
        return self._shared(attr) if _is_leaf(value) else attr

    def _args(self, args: Sequence[cst.Arg]) -> tuple[Arg, ...]:
        out = []
        for a in args:
            keyword = a.keyword.value if a.keyword is not None else None
            value = self.expr(a.value)
            arg = Arg(value, keyword, a.star if isinstance(a.star, str) else "")
            out.append(self._shared(arg) if _is_leaf(value) else arg)
        return tuple(out)

    def _call(self, node: cst.CSTNode, awaited: bool = False, iterated: bool = False) -> Expr:
        assert isinstance(node, cst.Call)
        node_id = self.anchor(node)
        func = self.expr(node.func)
        scope = self.scope
        call = Call(
            func,
            self._args(node.args),
            node_id,
            awaited,
            iterated,
            scope.handler_depth > 0,
            tuple(scope.guards),
        )
        scope.calls.append(call)
        return call

    def _subscript(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, cst.Subscript)
        value = self.expr(node.value)
        items: list[Expr] = []
        for element in node.slice:
            inner = element.slice
            if isinstance(inner, cst.Index):
                items.append(self.expr(inner.value))
            else:
                self._walk_expr_children(inner)
                items.append(Opaque("slice"))
        subscript = Subscript(value, tuple(items))
        return self._shared(subscript) if _is_leaf(subscript) else subscript

    def _string(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, (cst.SimpleString, cst.ConcatenatedString))
        fast = _simple_string_value(node) if isinstance(node, cst.SimpleString) else None
        try:
            value = fast if fast is not None else node.evaluated_value
        except Exception:  # malformed escapes: the literal is still just a literal
            return Opaque("string")
        if isinstance(value, bytes):
            return self._shared(Const(value.decode("latin-1")))
        if value is None:  # concatenation involving an f-string
            if isinstance(node, cst.ConcatenatedString):
                self._walk_expr_children(node)
            return Opaque("string")
        return self._shared(Const(value))

    def _fstring(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, cst.FormattedString)
        prefix = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                prefix.append(part.value)
            else:
                break
        self._walk_expr_children(node)
        return StrPrefix("".join(prefix))

    def _number(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, (cst.Integer, cst.Float))
        try:
            return self._shared(Const(node.evaluated_value))
        except Exception:
            return Opaque("number")

    def _sequence(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, (cst.List, cst.Tuple, cst.Set))
        items: list[Expr] = []
        for element in node.elements:
            if isinstance(element, cst.Element):
                items.append(self.expr(element.value))
            else:
                self.expr(element.value)
                items.append(Opaque("starred"))
        return Seq(tuple(items))

    def _dict(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, cst.Dict)
        items: list[tuple[Optional[Expr], Expr]] = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                items.append((self.expr(element.key), self.expr(element.value)))
            else:
                items.append((None, self.expr(element.value)))
        return DictExpr(tuple(items))

    def _await(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, cst.Await)
        self.scope.awaits = True
        inner = node.expression
        if isinstance(inner, cst.Call):
            return self._call(inner, awaited=True)
        self.expr(inner)
        return Opaque("await")

    def _yield(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, cst.Yield)
        scope = self.scope
        scope.is_generator = True
        value = node.value
        if isinstance(value, cst.From):
            item = value.item
            delegated = self._call(item, iterated=True) if isinstance(item, cst.Call) else self.expr(item)
            scope.yields.append(YieldFrom(delegated))
        elif value is not None:
            scope.yields.append(self.expr(value))
        else:
            scope.yields.append(Const(None))
        return Opaque("yield")

    def _lambda(self, node: cst.CSTNode) -> Expr:
        # The body runs later, when (and where) the lambda is called: not part of this scope.
        return Opaque("lambda")

    def _ifexp(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, cst.IfExp)
        self.expr(node.test)
        guard = _guard(node.test)
        body = self._guarded(guard, self.expr, node.body)
        orelse = self._guarded(_negated(guard), self.expr, node.orelse)
        return Either((body, orelse))

    def _boolop(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, cst.BooleanOperation)
        left = self.expr(node.left)
        # ``store or SkillStore()``: the right operand runs only when ``store`` is falsy.
        state = "falsy" if isinstance(node.operator, cst.Or) else "truthy"
        name = _plain_name(node.left)
        guard = (name, state) if name is not None else None
        return Either((left, self._guarded(guard, self.expr, node.right)))

    def _guarded(
        self,
        guard: Optional[tuple[str, str]],
        visit: Callable[[cst.CSTNode], _T],
        node: cst.CSTNode,
    ) -> _T:
        """``visit(node)`` with ``guard`` on the calls it records."""
        scope = self.scope
        pushed = scope.push_guard(guard)
        try:
            return visit(node)
        finally:
            if pushed:
                scope.guards.pop()

    def _namedexpr(self, node: cst.CSTNode) -> Expr:
        assert isinstance(node, cst.NamedExpr)
        value = self.expr(node.value)
        if isinstance(node.target, cst.Name):
            self.scope.bind(node.target.value, ValueBinding(value))
        return value

    # ------------------------------------------------------------------ statements

    def _if(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.If)
        self.expr(node.test)
        guard = _guard(node.test)
        self._guarded(guard, self.stmt, node.body)
        if node.orelse is not None:
            self._guarded(_negated(guard), self.stmt, node.orelse)

    def _block(self, node: cst.CSTNode) -> None:
        """A block's statements; after ``if x is None: return ...`` the rest runs only when
        ``x`` is not None."""
        assert isinstance(node, cst.IndentedBlock)
        scope = self.scope
        pushed = 0
        try:
            for statement in node.body:
                self.stmt(statement)
                if (
                    isinstance(statement, cst.If)
                    and statement.orelse is None
                    and _always_exits(statement.body)
                    and scope.push_guard(_negated(_guard(statement.test)))
                ):
                    pushed += 1
        finally:
            del scope.guards[len(scope.guards) - pushed :]

    def stmt(self, node: cst.CSTNode) -> None:
        handler = self._stmt_handlers.get(type(node))
        if handler is not None:
            handler(node)
            return
        for child in _children(node):
            if _is_expression(child):
                self.expr(child)
            else:
                self.stmt(child)

    def _bind_target(self, target: cst.BaseExpression, value: Optional[Expr], via: str) -> None:
        scope = self.scope
        if isinstance(target, cst.Name):
            self._bind_name(target.value, ValueBinding(value, via=via))
        elif isinstance(target, (cst.Tuple, cst.List)):
            items = value.items if isinstance(value, Seq) and via == "assign" else None
            elements = target.elements
            for i, element in enumerate(elements):
                sub = items[i] if items is not None and len(items) == len(elements) else None
                inner = element.value
                self._bind_target(inner, sub, via if sub is not None else "opaque")
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            scope.attr_assigns.append(AttrAssign(self.expr(target), value))
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, None, "opaque")

    def _assign(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.Assign)
        value = self.expr(node.value)
        for target in node.targets:
            self._bind_target(target.target, value, "assign")

    def _ann_assign(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.AnnAssign)
        annotation = self.expr(node.annotation.annotation)
        value = self.expr(node.value) if node.value is not None else None
        target = node.target
        if isinstance(target, cst.Name):
            self._bind_name(target.value, ValueBinding(value, annotation))
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            self.scope.attr_assigns.append(AttrAssign(self.expr(target), value, annotation))

    def _type_alias(self, node: cst.CSTNode) -> None:
        self.scope.bind(node.name.value, ValueBinding(self.expr(node.value)))  # type: ignore[attr-defined]

    def _import(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.Import)
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.scope.bind(alias.asname.name.value, ImportBinding(full))
            else:
                head = full.split(".", 1)[0]
                self.scope.bind(head, ImportBinding(head))

    def _import_from(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.ImportFrom)
        module = dotted_name(node.module) if node.module is not None else None
        base = self._resolve_relative(len(node.relative), module)
        if isinstance(node.names, cst.ImportStar):
            if self.scope.kind == "module" and base:
                self.star_imports.append(base)
            return
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            target = f"{base}.{name}" if base else name
            self.scope.bind(local, ImportBinding(target))

    def _with(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.With)
        is_async = node.asynchronous is not None
        if is_async:
            self.scope.awaits = True
        for item in node.items:
            inner = item.item
            if is_async and isinstance(inner, cst.Call):
                value = self._call(inner, awaited=True)
            else:
                value = self.expr(inner)
            if item.asname is not None:
                self._bind_target(item.asname.name, value, "async_with" if is_async else "with")
        self.stmt(node.body)

    def _comp_for(self, node: cst.CompFor) -> None:
        if node.asynchronous is not None:
            self.scope.awaits = True
            self.expr(node.iter)
        else:
            self._iterate(node.iter)
        self.expr(node.target)
        for condition in node.ifs:
            self.expr(condition.test)
        if node.inner_for_in is not None:
            self._comp_for(node.inner_for_in)

    def _iterate(self, iterable: cst.BaseExpression) -> Expr:
        """A sync iteration: record what is iterated, at the iterable's node."""
        node_id = self.anchor(iterable)
        value = self._call(iterable, iterated=True) if isinstance(iterable, cst.Call) else self.expr(iterable)
        self.scope.iterations.append(Iteration(value, node_id))
        return value

    def _for(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.For)
        if node.asynchronous is not None:
            self.scope.awaits = True
            self.expr(node.iter)
            self._bind_target(node.target, None, "opaque")
        else:
            iterable = self._iterate(node.iter)
            if isinstance(node.target, cst.Name):
                # ``for db in get_db():`` binds what the generator yields.
                self._bind_name(node.target.value, ValueBinding(iterable, via="for"))
            else:
                self._bind_target(node.target, None, "opaque")
        self.stmt(node.body)
        if node.orelse is not None:
            self.stmt(node.orelse)

    def _return(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.Return)
        if node.value is not None:
            self.scope.return_values.append(self.expr(node.value))

    def _expr_stmt(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.Expr)
        self.expr(node.value)

    def _global(self, node: cst.CSTNode) -> None:
        assert isinstance(node, (cst.Global, cst.Nonlocal))
        for item in node.names:
            self.scope.global_names.add(item.name.value)
            if isinstance(node, cst.Global):
                self.scope.declared_global.add(item.name.value)

    def _bind_name(self, name: str, binding: Binding) -> None:
        """Bind in the current scope, or in the module for a name declared ``global`` here."""
        scope = self.scope
        if scope.kind == "function" and name in scope.declared_global:
            scope = self.scopes[0]
        scope.bind(name, binding)

    def _except_handler(self, node: cst.CSTNode) -> None:
        assert isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler))
        if node.type is not None:
            self.expr(node.type)
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self.scope.bind(node.name.name.value, ValueBinding(None, via="opaque"))
        scope = self.scope
        scope.handler_depth += 1
        try:
            self.stmt(node.body)
        finally:
            scope.handler_depth -= 1

    def _params(self, params: cst.Parameters) -> tuple[Param, ...]:
        out: list[Param] = []

        def add(p: cst.Param, kind: str) -> None:
            annotation = self.expr(p.annotation.annotation) if p.annotation is not None else None
            default = self.expr(p.default) if p.default is not None else None
            out.append(Param(p.name.value, kind, annotation, default, self.anchor(p)))

        for p in params.posonly_params:
            add(p, "posonly")
        for p in params.params:
            add(p, "pos")
        if isinstance(params.star_arg, cst.Param):
            add(params.star_arg, "vararg")
        for p in params.kwonly_params:
            add(p, "kwonly")
        if isinstance(params.star_kwarg, cst.Param):
            add(params.star_kwarg, "varkw")
        return tuple(out)

    def _function_def(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.FunctionDef)
        node_id = self.anchor(node)
        outer = self.scope
        # Decorators, defaults and annotations are evaluated in the enclosing scope.
        decorators = tuple(self.expr(d.decorator) for d in node.decorators)
        params = self._params(node.params)
        returns = self.expr(node.returns.annotation) if node.returns is not None else None
        name = node.name.value
        key = self._unique_key(self._nested_key(name), self.functions)  # type: ignore[arg-type]
        parent_key = self._enclosing_function_key()
        outer.bind(name, DefBinding(key))
        if outer.kind == "class":
            outer.methods.setdefault(name, key)
        scope = _Scope("function", key)
        for i, p in enumerate(params):
            scope.bind(p.name, self._shared(ParamBinding(i)))
        self.scopes.append(scope)
        self.stmt(node.body)
        self.scopes.pop()
        self.functions[key] = FunctionSummary(
            key=key,
            name=name,
            node=node_id,
            is_async=node.asynchronous is not None,
            is_generator=scope.is_generator,
            class_key=outer.key if outer.kind == "class" else None,
            parent_key=parent_key,
            decorators=decorators,
            params=params,
            returns=returns,
            body=scope.body(),
            yields=tuple(scope.yields),
            return_values=tuple(scope.return_values),
            awaits=scope.awaits,
            guard_names=frozenset(scope.guard_names),
        )

    def _class_def(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.ClassDef)
        node_id = self.anchor(node)
        outer = self.scope
        decorators = tuple(self.expr(d.decorator) for d in node.decorators)
        bases = tuple(self.expr(a.value) for a in node.bases if not a.star)
        for keyword in node.keywords:
            self.expr(keyword.value)
        name = node.name.value
        key = self._unique_key(self._nested_key(name), self.classes)  # type: ignore[arg-type]
        outer.bind(name, ClassBinding(key))
        scope = _Scope("class", key)
        self.scopes.append(scope)
        self.stmt(node.body)
        self.scopes.pop()
        parent = outer.key if outer.kind != "module" else None
        self.classes[key] = ClassSummary(
            key=key,
            name=name,
            node=node_id,
            bases=bases,
            decorators=decorators,
            methods=dict(scope.methods),
            body=scope.body(),
            parent_key=parent,
        )

    # ------------------------------------------------------------------ entry point

    def run(self, module: cst.Module, path: str) -> ModuleSummary:
        starts = []
        for statement in module.body:
            starts.append(len(self.anchors))
            self.stmt(statement)
        return ModuleSummary(
            path=path,
            module=self.module_name,
            is_package=self.is_package,
            body=self.scopes[0].body(),
            functions=self.functions,
            classes=self.classes,
            star_imports=tuple(self.star_imports),
            node_count=len(self.anchors),
            statement_anchors=tuple(starts),
        )


def summarise(
    module: cst.Module, *, path: str, module_name: str, is_package: bool
) -> tuple[ModuleSummary, list[cst.CSTNode]]:
    """Summarise ``module``; also return the anchored CST nodes, indexed by ``NodeId``."""
    summariser = _Summariser(module_name, is_package)
    try:
        summary = summariser.run(module, path)
    finally:
        # The handler tables hold bound methods, which makes the summariser a reference cycle:
        # break it, so that the CST (through ``anchors``) is freed by reference counting as soon
        # as the caller drops it, without waiting for (or relying on) the cyclic collector.
        summariser._expr_handlers.clear()
        summariser._stmt_handlers.clear()
    return summary, summariser.anchors
