"""Small libcst edits that keep the surrounding layout: arguments, parameters, bodies, awaits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import libcst as cst

Whitespace = cst.BaseParenthesizableWhitespace


def _newline_whitespace(indent_from: cst.ParenthesizedWhitespace) -> cst.ParenthesizedWhitespace:
    """A line break (no comment) followed by the same indentation as ``indent_from``."""
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=(),
        indent=indent_from.indent,
        last_line=indent_from.last_line,
    )


def _separator(call: cst.Call) -> Whitespace:
    """The whitespace that separates arguments in this call (after the last comma seen)."""
    args = call.args
    if len(args) >= 2:
        comma = args[-2].comma
        if isinstance(comma, cst.Comma):
            return comma.whitespace_after
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return _newline_whitespace(call.whitespace_before_args)
    return cst.SimpleWhitespace(" ")


def _split_closing(closing: Whitespace, separator: Whitespace) -> tuple[Whitespace, Whitespace]:
    """The whitespace before the closing parenthesis, split for one more argument: what now
    follows the old last argument (a line break keeps its comment, then the arguments' indent),
    and what follows the new one (the line break to the closing parenthesis)."""
    if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(
        separator, cst.ParenthesizedWhitespace
    ):
        between = cst.ParenthesizedWhitespace(
            first_line=closing.first_line,
            empty_lines=closing.empty_lines,
            indent=separator.indent,
            last_line=separator.last_line,
        )
        return between, _newline_whitespace(closing)
    return separator, closing


def add_keyword_argument(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """Append ``keyword=value`` as the call's last argument, in the call's own layout.

    One argument per line gets a new line with the same indentation; a trailing comma stays a
    trailing comma; a comment after the old last argument stays with it.
    """
    new_arg = cst.Arg(
        value=value,
        keyword=cst.Name(keyword),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    args = list(call.args)
    if not args:
        return call.with_changes(args=(new_arg,))
    last = args[-1]
    separator = _separator(call)
    if isinstance(last.comma, cst.Comma):
        # Trailing comma: the old last comma now separates, the new argument gets the trailer.
        between, trailer = _split_closing(last.comma.whitespace_after, separator)
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=between))
        args.append(
            new_arg.with_changes(
                comma=cst.Comma(whitespace_after=trailer),
                whitespace_after_arg=last.whitespace_after_arg,
            )
        )
    else:
        between, after_new = _split_closing(last.whitespace_after_arg, separator)
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=between),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        args.append(new_arg.with_changes(whitespace_after_arg=after_new))
    return call.with_changes(args=tuple(args))


def replace_argument_value(call: cst.Call, index: int, value: cst.BaseExpression) -> cst.Call:
    """The call with argument ``index``'s value replaced, keyword and layout kept."""
    args = list(call.args)
    old = args[index].value
    args[index] = args[index].with_changes(
        value=value.with_changes(lpar=old.lpar, rpar=old.rpar) if old.lpar else value
    )
    return call.with_changes(args=tuple(args))


# --------------------------------------------------------------------------- awaits


def await_in_threadpool(call: cst.Call, function: str, *, parenthesize: bool) -> cst.Await:
    """``await run_in_threadpool(<func>, <args>)``: the call moves to a worker thread.

    The arguments are still evaluated where they were; only the call itself moves. A call that
    passes ``func=`` (run_in_threadpool's own parameter) is wrapped in a lambda instead.
    """
    if any(arg.keyword is not None and arg.keyword.value == "func" for arg in call.args):
        inner = cst.Lambda(params=cst.Parameters(), body=call.with_changes(lpar=(), rpar=()))
        new_args: Sequence[cst.Arg] = (cst.Arg(inner),)
        whitespace_before_args: Whitespace = cst.SimpleWhitespace("")
    else:
        first = cst.Arg(call.func)
        if call.args:
            separator = (
                call.whitespace_before_args
                if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace)
                else cst.SimpleWhitespace(" ")
            )
            first = first.with_changes(comma=cst.Comma(whitespace_after=separator))
        new_args = (first, *call.args)
        whitespace_before_args = (
            call.whitespace_before_args
            if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace)
            else cst.SimpleWhitespace("")
        )
    wrapped = cst.Call(
        func=cst.Name(function),
        args=tuple(new_args),
        whitespace_before_args=whitespace_before_args,
    )
    lpar, rpar = call.lpar, call.rpar
    if parenthesize and not lpar:
        lpar, rpar = (cst.LeftParen(),), (cst.RightParen(),)
    return cst.Await(expression=wrapped, lpar=lpar, rpar=rpar)


# --------------------------------------------------------------------------- parameters


def _all_params(params: cst.Parameters) -> list[cst.CSTNode]:
    """The parameter list's elements in source order, ``/`` and ``*`` included."""
    out: list[cst.CSTNode] = [*params.posonly_params]
    if isinstance(params.posonly_ind, cst.ParamSlash):
        out.append(params.posonly_ind)
    out.extend(params.params)
    if isinstance(params.star_arg, (cst.Param, cst.ParamStar)):
        out.append(params.star_arg)
    out.extend(params.kwonly_params)
    if isinstance(params.star_kwarg, cst.Param):
        out.append(params.star_kwarg)
    return out


def remove_parameter(params: cst.Parameters, name: str) -> Optional[cst.Parameters]:
    """``params`` without parameter ``name`` (and without a bare ``*`` left with nothing after).

    The element that becomes last takes over the removed one's trailing comma and closing
    whitespace, so one-per-line and single-line layouts both stay tidy. None when there is no
    such parameter.
    """
    elements = _all_params(params)
    removed = [
        e for e in elements if isinstance(e, cst.Param) and e.name.value == name
    ]
    if not removed:
        return None
    target = removed[0]
    drop: set[int] = {id(target)}
    remaining_kwonly = [p for p in params.kwonly_params if id(p) not in drop]
    if isinstance(params.star_arg, cst.ParamStar) and not remaining_kwonly:
        drop.add(id(params.star_arg))
    kept = [e for e in elements if id(e) not in drop]
    last_removed = elements[-1] if id(elements[-1]) in drop else None
    replacements: dict[int, cst.CSTNode] = {}
    if kept and last_removed is not None:
        new_last = kept[-1]
        donor = last_removed
        comma = getattr(donor, "comma", cst.MaybeSentinel.DEFAULT)
        changes: dict[str, object] = {"comma": comma}
        if isinstance(new_last, cst.Param) and isinstance(donor, cst.Param):
            changes["whitespace_after_param"] = donor.whitespace_after_param
        replacements[id(new_last)] = new_last.with_changes(**changes)

    def keep(items: Sequence[cst.Param]) -> tuple[cst.Param, ...]:
        out = []
        for item in items:
            if id(item) in drop:
                continue
            replaced = replacements.get(id(item), item)
            assert isinstance(replaced, cst.Param)
            out.append(replaced)
        return tuple(out)

    star_arg = params.star_arg
    if isinstance(star_arg, (cst.Param, cst.ParamStar)):
        if id(star_arg) in drop:
            star_arg = cst.MaybeSentinel.DEFAULT
        else:
            replaced_star = replacements.get(id(star_arg), star_arg)
            assert isinstance(replaced_star, (cst.Param, cst.ParamStar))
            star_arg = replaced_star
    star_kwarg = params.star_kwarg
    if isinstance(star_kwarg, cst.Param):
        if id(star_kwarg) in drop:
            star_kwarg = None
        else:
            replaced_kw = replacements.get(id(star_kwarg), star_kwarg)
            assert isinstance(replaced_kw, cst.Param)
            star_kwarg = replaced_kw
    posonly_ind = params.posonly_ind
    if isinstance(posonly_ind, cst.ParamSlash):
        remaining_posonly = keep(params.posonly_params)
        if not remaining_posonly:
            posonly_ind = cst.MaybeSentinel.DEFAULT
        else:
            replaced_slash = replacements.get(id(posonly_ind), posonly_ind)
            assert isinstance(replaced_slash, cst.ParamSlash)
            posonly_ind = replaced_slash
    return params.with_changes(
        posonly_params=keep(params.posonly_params),
        posonly_ind=posonly_ind,
        params=keep(params.params),
        star_arg=star_arg,
        kwonly_params=keep(params.kwonly_params),
        star_kwarg=star_kwarg,
    )


# --------------------------------------------------------------------------- bodies


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def wrap_body_in_with(function: cst.FunctionDef, items: Sequence[cst.WithItem]) -> cst.FunctionDef:
    """The function with its body (after the docstring) inside ``with <items>:``."""
    body = function.body
    if isinstance(body, cst.IndentedBlock):
        statements: list[cst.BaseStatement] = list(body.body)
        header = body.header
        footer: Sequence[cst.EmptyLine] = body.footer
        indent: Optional[str] = body.indent
    else:
        assert isinstance(body, cst.SimpleStatementSuite)
        statements = [
            cst.SimpleStatementLine(body=body.body, trailing_whitespace=body.trailing_whitespace)
        ]
        header = cst.TrailingWhitespace()
        footer = ()
        indent = None
    outside: list[cst.BaseStatement] = []
    if statements and _is_docstring(statements[0]):
        outside.append(statements.pop(0))
    with_statement = cst.With(
        items=tuple(
            item.with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                if i < len(items) - 1
                else cst.MaybeSentinel.DEFAULT
            )
            for i, item in enumerate(items)
        ),
        body=cst.IndentedBlock(body=tuple(statements), indent=indent),
    )
    return function.with_changes(
        body=cst.IndentedBlock(
            body=(*outside, with_statement), header=header, footer=footer, indent=indent
        )
    )
