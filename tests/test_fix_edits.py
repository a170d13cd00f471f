"""Text edits: minimal, in order, and applying them gives the new text back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fastapi_pool_lint.findings import Span
from fastapi_pool_lint.fixes.edits import apply_edits, split_lines, text_edits

LINES = st.lists(
    st.tuples(
        st.sampled_from(["", "a", "b = 1", "    pass", "é", "x\ty", "# c"]),
        st.sampled_from(["\n", "\r\n", "\r"]),
    ),
    max_size=12,
).map(lambda parts: "".join(text + end for text, end in parts))


@given(LINES, LINES)
def test_applying_the_edits_gives_the_new_text(before: str, after: str) -> None:
    edits = text_edits("f.py", before, after)
    assert apply_edits(before, edits) == after
    spans = [(e.span.line, e.span.column, e.span.end_line, e.span.end_column) for e in edits]
    assert spans == sorted(spans)


def test_edits_are_trimmed_to_what_changed() -> None:
    before = "engine = create_engine(url)\nx = 1\n"
    after = "engine = create_engine(url, pool_timeout=30)\nx = 1\n"
    (edit,) = text_edits("f.py", before, after)
    assert edit.span == Span(1, 27, 1, 27)
    assert edit.content == ", pool_timeout=30"


def test_no_edits_for_equal_texts() -> None:
    assert text_edits("f.py", "a\n", "a\n") == ()


def test_lines_end_only_at_python_newlines() -> None:
    assert split_lines("a\x0cb\nc\r\nd\re") == ["a\x0cb\n", "c\r\n", "d\r", "e"]
