"""``# noqa`` and ``per-file-ignores`` behave as in flake8, checked against flake8 itself."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

from flake8.options.parse_args import parse_args
from flake8.processor import FileProcessor
from flake8.violation import Violation
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_pool_lint.config import PerFileIgnore, Settings
from fastapi_pool_lint.suppression import (
    SourceComments,
    decode,
    excluded,
    noqa_codes,
    per_file_ignored,
)

CODES = ("FPL001", "FPL002", "FPL003", "FPL004")
COMMENTS = (
    "",
    "  # noqa",
    "  # NoQA",
    "  # noqa: FPL002",
    "  # noqa:FPL002",
    "  # NOQA:FPL00",
    "  # noqa: E501,FPL003",
    "  # noqa:FPL002 FPL004",
    "  # noqa: fpl002",
    "  # noqa:",
    "  # noqa : FPL002",
    "  # noqa: FPL-002",
    "  # noqa: FPL002  # expect: FPL003",
    "  # a comment, then # noqa: FPL004",
)
STATEMENTS = (
    ["x = 1{c}"],
    ["x = call(  {c}", "    1,", "){c}"],
    ['s = """first{c}', 'second """{c}'],
    ["if x:{c}", "    y = 2{c}"],
    ["# only a comment{c}"],
    ["{c}"],
)


@functools.lru_cache(maxsize=1)
def _flake8_options() -> argparse.Namespace:
    _, options = parse_args(["--isolated", "t.py"])
    return options


def _flake8_ignores(lines: list[str], line: int, code: str) -> bool:
    """What flake8 itself decides for a violation of ``code`` reported on ``line``."""
    processor = FileProcessor("t.py", _flake8_options(), lines=list(lines))
    physical = processor.noqa_line_for(line)
    return Violation(code, "t.py", line, 1, "text", physical).is_inline_ignored(False)


source_files = st.lists(
    st.tuples(st.sampled_from(STATEMENTS), st.lists(st.sampled_from(COMMENTS), min_size=3, max_size=3)),
    min_size=1,
    max_size=6,
).map(
    lambda parts: [
        line.format(c=comments[i % 3]) + "\n"
        for statement, comments in parts
        for i, line in enumerate(statement)
    ]
)


@settings(max_examples=300, deadline=None)
@given(source_files)
def test_inline_noqa_matches_flake8(lines: list[str]) -> None:
    comments = SourceComments("".join(lines))
    for number in range(1, len(lines) + 1):
        for code in CODES:
            assert comments.suppresses(code, number) == _flake8_ignores(lines, number, code), (
                number,
                code,
                lines,
            )


def test_noqa_codes() -> None:
    assert noqa_codes("x = 1") is None
    assert noqa_codes("x = 1  # noqa") == frozenset()
    assert noqa_codes("x  # noqa: FPL002, FPL004") == {"FPL002", "FPL004"}
    assert noqa_codes("x  # NOQA:FPL00") == {"FPL00"}


def test_file_level_noqa() -> None:
    assert SourceComments("# flake8: noqa\nx = 1\n").suppresses("FPL003", 2)
    assert SourceComments("x = 1\n  # flake8: NOQA\n").suppresses("FPL003", 1)
    assert not SourceComments("x = 1  # flake8: noqa\n").suppresses("FPL003", 1)


def test_decode_honours_the_encoding_cookie() -> None:
    text = "# -*- coding: latin-1 -*-\nname = 'caf\xe9'  # noqa\n"
    assert decode(text.encode("latin-1")) == text
    assert decode(b"\xef\xbb\xbfx = 1\n") == "x = 1\n"


def test_per_file_ignores(tmp_path: Path) -> None:
    settings = Settings(
        per_file_ignores=(
            PerFileIgnore("tests/**", frozenset({"FPL002"})),
            PerFileIgnore("migrations/*.py", frozenset({"FPL00"})),
            PerFileIgnore("conftest.py", frozenset({"FPL001"})),
        ),
        base=tmp_path,
    )
    assert per_file_ignored(settings, tmp_path / "tests" / "unit" / "test_x.py", "FPL002")
    assert not per_file_ignored(settings, tmp_path / "tests" / "unit" / "test_x.py", "FPL001")
    assert per_file_ignored(settings, tmp_path / "migrations" / "0001.py", "FPL004")
    assert not per_file_ignored(settings, tmp_path / "app" / "migrations" / "0001.py", "FPL004")
    assert per_file_ignored(settings, tmp_path / "app" / "conftest.py", "FPL001")  # any depth
    assert not per_file_ignored(settings, tmp_path.parent / "tests" / "x.py", "FPL002")


def test_extend_exclude(tmp_path: Path) -> None:
    settings = Settings(extend_exclude=("legacy/", "*_pb2.py", "/build_tools"), base=tmp_path)
    assert excluded(settings, tmp_path / "legacy", True)
    assert not excluded(settings, tmp_path / "legacy", False)  # a file named "legacy"
    assert excluded(settings, tmp_path / "api" / "user_pb2.py", False)
    assert excluded(settings, tmp_path / "build_tools", True)
    assert not excluded(settings, tmp_path / "api" / "build_tools", True)  # anchored
    assert not excluded(settings, tmp_path, True)
