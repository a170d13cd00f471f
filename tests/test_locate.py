"""The lean span resolution gives exactly libcst's ``PositionProvider`` ranges, for every anchor."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from benchmarks.generate import project_files

from fastapi_pool_lint.summary.builder import summarise
from fastapi_pool_lint.summary.locate import (
    _split,
    lean_positions,
    locate,
    locate_nodes,
    provider_positions,
)

from .conftest import FIXTURES

TRICKY = '''\
# -*- coding: utf-8 -*-
import os; import sys  # two statements
from typing import (
    Any,
)


@decorator(arg=lambda x, *a, y=1, **k: f(x))
@other
async def handler(a, /, b: int = g(1), *args: Any, c=h(), **kwargs) -> "R":
    """Docstring."""
    x = [call(i) for i in range(3) if pred(i)]
    y = (yield_ := fn(  # comment inside
        a,
        b,
    ))
    async with open_session() as s, other() as t:
        await s.execute(q(1))
    match x:
        case [first, *rest] if check(first):
            print(first)
        case {"k": v}:
            print(v)
    return x if cond() else (y or z())


class C(Base, metaclass=Meta, **extra):
    attr: int = field(default=1)

    def method(self, value=\\
            default()):
        return value.meth()(1)[idx()]

    @property
    def prop(self): return self._p()


def tabs():
\tif True:
\t\treturn call(1)


def unicode_ñame(ß=\"\u00e9\"):
    return écrire(ß)
'''


def _assert_same(source: bytes) -> int:
    module = cst.parse_module(source)
    _, anchors = summarise(module, path="m.py", module_name="m", is_package=False)
    assert lean_positions(module, anchors) == provider_positions(module, anchors)
    return len(anchors)


def test_tricky_syntax() -> None:
    assert _assert_same(TRICKY.encode()) > 30


def test_crlf_and_cr_newlines() -> None:
    assert _assert_same(TRICKY.replace("\n", "\r\n").encode()) > 30
    assert _assert_same(b"x = f(1)\ry = g(\r  2)\r") == 2


def test_no_trailing_newline_and_empty_module() -> None:
    assert _assert_same(b"def f():\n    return g()") == 2
    assert _assert_same(b"") == 0


@pytest.mark.parametrize(
    "path",
    sorted((FIXTURES / "single").glob("*.py")) + sorted((FIXTURES / "projects").rglob("*.py")),
    ids=lambda p: p.name,
)
def test_fixtures(path: Path) -> None:
    _assert_same(path.read_bytes())


def test_generated_service() -> None:
    files = project_files(40, seed=3)
    anchors = sum(_assert_same(text.encode()) for name, text in files.items() if name.endswith(".py"))
    assert anchors > 1000


STDLIB = ("dataclasses.py", "argparse.py", "typing.py", "asyncio/tasks.py", "json/decoder.py")


@pytest.mark.parametrize("name", STDLIB)
def test_standard_library_modules(name: str) -> None:
    path = Path(sysconfig.get_paths()["stdlib"]) / name
    if not path.is_file():
        pytest.skip(f"{name} not available")
    assert _assert_same(path.read_bytes()) > 50


def test_locate_returns_requested_nodes_only() -> None:
    source = b"def f(db):\n    return db.query(x).all()\n"
    located = locate(source, path="m.py", module_name="m", is_package=False, nodes=[0, 2, 99])
    assert set(located) == {0, 2}
    assert located[0].line == 1 and located[0].column == 1


# --------------------------------------------------------------------------- by statement

STATEMENTS = (
    "import os; import sys\n"
    "x = f(1); y = g(\n"
    "    2); z = h(3)\n"
    "if x: a = k(1); b = k(2)\n"
    "total = 1 + \\\n"
    "    m(2)\n"
    "\n"
    "# a comment between statements\n"
    "@decorate(n(1))\n"
    "# a comment between decorator and def\n"
    "def f(a=o(1)):\n"
    "    return p(a)\n"
    "    # trailing comment in the body\n"
    "\n"
    "\f\n"
    "class C(q()):\n"
    "    def m(self): return r(self)\n"
    "s = '''text\n"
    "with lines''' + t()\n"
    "u(1)"
)


def _by_statement_matches(source: bytes) -> int:
    """Spans of every node id, located statement by statement, equal the whole-module pass."""
    module = cst.parse_module(source)
    summary, anchors = summarise(module, path="m.py", module_name="m", is_package=False)
    expected = dict(enumerate(lean_positions(module, anchors)))
    located = locate_nodes(
        source,
        path="m.py",
        module_name="m",
        is_package=False,
        nodes=range(len(anchors)),
        statements=summary.statement_anchors,
    )
    assert located == expected
    some = sorted(expected)[::7]
    subset = locate_nodes(
        source, path="m.py", module_name="m", is_package=False, nodes=some,
        statements=summary.statement_anchors,
    )
    assert subset == {n: expected[n] for n in some}
    return len(anchors)


def test_by_statement_tricky_layouts() -> None:
    for source in (STATEMENTS, STATEMENTS.replace("\n", "\r\n"), TRICKY):
        data = source.encode()
        summary, _ = summarise(cst.parse_module(data), path="m", module_name="m", is_package=False)
        assert _split(data, summary.statement_anchors) is not None, "split, not the fallback"
    assert _by_statement_matches(STATEMENTS.encode()) > 15
    assert _by_statement_matches(STATEMENTS.replace("\n", "\r\n").encode()) > 15
    assert _by_statement_matches(TRICKY.encode()) > 30


def test_by_statement_falls_back_on_what_it_cannot_split() -> None:
    latin = "# -*- coding: latin-1 -*-\nname = f('\u00e9')\n".encode("latin-1")
    assert _by_statement_matches(latin) == 1
    assert _by_statement_matches(b"\xef\xbb\xbfx = f(1)\ny = g(2)\n") == 2
    assert _by_statement_matches(b"") == 0


def test_by_statement_generated_service_and_fixtures() -> None:
    files = project_files(40, seed=4)
    count = sum(_by_statement_matches(t.encode()) for n, t in files.items() if n.endswith(".py"))
    count += sum(_by_statement_matches(p.read_bytes()) for p in sorted((FIXTURES / "single").glob("*.py")))
    assert count > 1000


@pytest.mark.parametrize("name", STDLIB)
def test_by_statement_standard_library_modules(name: str) -> None:
    path = Path(sysconfig.get_paths()["stdlib"]) / name
    if not path.is_file():
        pytest.skip(f"{name} not available")
    assert _by_statement_matches(path.read_bytes()) > 50
