"""The lean span resolution gives exactly libcst's ``PositionProvider`` ranges, for every anchor."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from benchmarks.generate import project_files

from fastapi_pool_lint.summary.builder import summarise
from fastapi_pool_lint.summary.locate import lean_positions, locate, provider_positions

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
