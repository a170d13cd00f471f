"""The layout-keeping CST edits the fixes are built from."""

from __future__ import annotations

import libcst as cst
import pytest

from fastapi_pool_lint.fixes.cstutil import (
    add_keyword_argument,
    await_in_threadpool,
    remove_parameter,
    wrap_body_in_with,
)

ADD_KEYWORD = [
    ("f()", "f(k=1)"),
    ("f(a)", "f(a, k=1)"),
    ("f(a, b=2)", "f(a, b=2, k=1)"),
    ("f(a,)", "f(a, k=1,)"),
    ("f(\n    a,\n    b=2,\n)", "f(\n    a,\n    b=2,\n    k=1,\n)"),
    ("f(\n    a,\n    b=2\n)", "f(\n    a,\n    b=2,\n    k=1\n)"),
    ("f(\n    a,  # one\n    b=2,  # two\n)", "f(\n    a,  # one\n    b=2,  # two\n    k=1,\n)"),
    ("f(\n    a,  # one\n    b=2  # two\n)", "f(\n    a,  # one\n    b=2,  # two\n    k=1\n)"),
    ("f(a,\n  b=2)", "f(a,\n  b=2,\n  k=1)"),
    ("f(\n    a, b=2\n)", "f(\n    a, b=2, k=1\n)"),
    ("f(\n    a\n)", "f(\n    a,\n    k=1\n)"),
    ("f(\n    a,\n)", "f(\n    a,\n    k=1,\n)"),
]


@pytest.mark.parametrize(("before", "after"), ADD_KEYWORD)
def test_add_keyword_argument_keeps_the_layout(before: str, after: str) -> None:
    call = cst.parse_expression(before)
    assert isinstance(call, cst.Call)
    new = add_keyword_argument(call, "k", cst.Integer("1"))
    assert cst.Module([]).code_for_node(new) == after


REMOVE = [
    ("def f(db=D): pass", "def f(): pass"),
    ("def f(x, db=D): pass", "def f(x): pass"),
    ("def f(db=D, x=1): pass", "def f(x=1): pass"),
    ("def f(\n    x,\n    db=D,\n): pass", "def f(\n    x,\n): pass"),
    ("def f(\n    x,\n    db=D\n): pass", "def f(\n    x\n): pass"),
    ("def f(\n    db=D,\n    x=1,\n): pass", "def f(\n    x=1,\n): pass"),
    ("def f(x, *, db=D): pass", "def f(x): pass"),
    ("def f(x, *, db=D, y=1): pass", "def f(x, *, y=1): pass"),
    ("def f(x, *args, db=D): pass", "def f(x, *args): pass"),
    ("def f(x, db=D, **kw): pass", "def f(x, **kw): pass"),
    ("def f(x, db=D, /): pass", "def f(x, /): pass"),
    ("def f(db=D, /, x=1): pass", "def f(x=1): pass"),
]


@pytest.mark.parametrize(("before", "after"), REMOVE)
def test_remove_parameter_keeps_valid_tidy_signatures(before: str, after: str) -> None:
    module = cst.parse_module(before)
    function = module.body[0]
    assert isinstance(function, cst.FunctionDef)
    params = remove_parameter(function.params, "db")
    assert params is not None
    code = module.code_for_node(function.with_changes(params=params))
    assert code == after + "\n"
    cst.parse_module(code)


def test_remove_parameter_answers_none_for_an_unknown_name() -> None:
    function = cst.parse_module("def f(x): pass").body[0]
    assert isinstance(function, cst.FunctionDef)
    assert remove_parameter(function.params, "db") is None


def _wrap(source: str) -> str:
    module = cst.parse_module(source)
    function = module.body[0]
    assert isinstance(function, cst.FunctionDef)
    item = cst.WithItem(cst.parse_expression("open()"), asname=cst.AsName(cst.Name("db")))
    return module.code_for_node(wrap_body_in_with(function, [item]))


def test_wrap_body_keeps_the_docstring_outside_and_comments_inside() -> None:
    source = 'def f():\n    """Doc."""\n    # why\n    x = 1\n\n    return x  # done\n'
    assert _wrap(source) == (
        'def f():\n    """Doc."""\n    with open() as db:\n        # why\n        x = 1\n\n'
        "        return x  # done\n"
    )


def test_wrap_body_expands_a_one_line_body_and_keeps_tabs() -> None:
    assert _wrap("def f(): return 1\n") == "def f():\n    with open() as db:\n        return 1\n"
    assert _wrap("def f():\n\treturn 1\n") == "def f():\n\twith open() as db:\n\t\treturn 1\n"


@pytest.mark.parametrize(
    ("source", "parenthesize", "expected"),
    [
        ("db.get(User, 1)", False, "await run(db.get, User, 1)"),
        ("db.commit()", False, "await run(db.commit)"),
        ("db.scalars(q)", True, "(await run(db.scalars, q))"),
        ("db.execute(q, func=f)", False, "await run(lambda: db.execute(q, func=f))"),
        ("(db.execute(q))", True, "(await run(db.execute, q))"),
    ],
)
def test_await_in_threadpool(source: str, parenthesize: bool, expected: str) -> None:
    call = cst.parse_expression(source)
    assert isinstance(call, cst.Call)
    new = await_in_threadpool(call, "run", parenthesize=parenthesize)
    assert cst.Module([]).code_for_node(new) == expected
