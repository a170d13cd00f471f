"""Bad file contents (issue 7): each is either refused with a message that says what and where
(exit 2, the other file's finding still reported, no traceback, nothing written, by ``check`` and
by ``fix``), or analysed with the right positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from .badinput_helpers import (
    ENGINE_FINDING,
    assert_fix_leaves_it,
    assert_no_traceback,
    assert_refused,
    check_json,
    lint,
    project,
    snapshot,
)
from .frontdoor_helpers import BIN, run

DEEP = 10_000
# An FPL004 finding on line 2, column 10 of a file (line 1 imports create_engine).
ENGINE_LINES = "from sqlalchemy import create_engine\nengine = create_engine('postgresql://h/db')\n"

REFUSED = {
    "syntax-error": (
        b"def f(:\n    pass\n",
        "syntax error at 1:7: invalid syntax (source: def f(:)",
    ),
    "python2-print": (
        b'import os\nprint "hello", os.name\n',
        "syntax error at 2:1: Missing parentheses in call to 'print'. Did you mean print(...)? "
        '(source: print "hello", os.name)',
    ),
    "python2-backticks": (
        b"x = `42`\n",
        "syntax error at 1:5: invalid syntax (backquotes are Python 2's repr(): this looks like a "
        "Python 2 file) (source: x = `42`)",
    ),
    "python2-octal": (
        b"MODE = 0777\n",
        "syntax error at 1:8: leading zeros in decimal integer literals are not permitted; use an "
        "0o prefix for octal integers (source: MODE = 0777)",
    ),
    "python2-except-comma-and-print": (
        b"try:\n    import json\nexcept ImportError, e:\n    print e\n",
        "syntax error at 3:8: multiple exception types must be parenthesized "
        "(source: except ImportError, e:)",
    ),
    # Python 3.14 (PEP 750) forms libcst 1.9 cannot parse: named, with where.
    "t-string-raw-prefix": (
        b'name = "x"\ngreeting = tr"hello {name}"\n',
        "libcst 1.9.0 cannot parse the t-string prefix 'tr' (PEP 750, Python 3.14) at 2:12 "
        '(source: greeting = tr"hello {name}")',
    ),
    "t-string-concatenation": (
        b'name = "x"\ngreeting = (t"hello "\n            t"{name}")\n',
        "libcst 1.9.0 cannot parse the implicit concatenation of t-strings (PEP 750, Python 3.14) "
        'at 2:13 (source: greeting = (t"hello ")',
    ),
    "t-string-and-plain-string": (
        b'name = "x"\ngreeting = "hello " t"{name}"\n',
        "syntax error at 2:12: a t-string concatenated with another kind of string literal "
        '(PEP 750 forbids it) (source: greeting = "hello " t"{name}")',
    ),
    # A Python older than 3.14 stops at any t-string; the error reported is the real one.
    "syntax-error-after-a-t-string": (
        b'name = "x"\ngreeting = t"hello {name}"\ndef f(:\n    pass\n',
        "syntax error at 3:7: invalid syntax (source: def f(:)",
    ),
    "latin-1-bytes-without-cookie": (
        b'CITY = "Z\xfcrich"\n',
        "cannot decode source: byte 0xfc at 1:10 is not valid UTF-8, and there is no encoding "
        "declaration (PEP 263)",
    ),
    "bytes-not-in-the-declared-encoding": (
        b'# -*- coding: utf-8 -*-\nCITY = "Z\xfcrich"\n',
        "cannot decode source: byte 0xfc at 2:10 is not valid utf-8, the encoding declared on line 1",
    ),
    "unknown-declared-encoding": (
        b"# coding: klingon\nx = 1\n",
        "cannot decode source: unknown encoding 'klingon' declared on line 1",
    ),
    "bom-and-another-declared-encoding": (
        b"\xef\xbb\xbf# coding: latin-1\nx = 1\n",
        "cannot decode source: the file starts with a UTF-8 byte order mark but line 1 declares "
        "latin-1",
    ),
    "nul-byte": (
        b"x = 1\ny = 2\x00\n",
        "source contains a NUL byte at 2:6 (a binary file?)",
    ),
}

# Nesting 10,000 levels deep: refused before libcst's native parser could overflow its stack.
DEEP_REFUSED = {
    "parentheses": ("x = " + "(" * DEEP + "1" + ")" * DEEP + "\n", "more than 200 nested brackets at 1:205"),
    "lists": ("x = " + "[" * DEEP + "]" * DEEP + "\n", "more than 200 nested brackets at 1:205"),
    "f-strings": ("x = " + 'f"{' * DEEP + "1" + '}"' * DEEP + "\n", "more than 200 nested brackets at 1:607"),
    "not": ("x = " + "not " * DEEP + "a\n", "more than 1000 operators chained in one expression at 1:4007"),
    "unary-minus": ("x = " + "-" * DEEP + "a\n", "more than 1000 operators chained in one expression at 1:1005"),
    "attributes": ("x = a" + ".b" * DEEP + "\n", "more than 1000 operators chained in one expression at 1:2006"),
    "calls": ("x = f" + "()" * DEEP + "\n", "more than 1000 operators chained in one expression at 1:2007"),
}


def _deep_message(source: str, where: str) -> str:
    line = source.splitlines()[0]
    return f"cannot parse: too deeply nested to analyse: {where} (source: {line[:77]}...)"


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unparseable_contents_are_reported_and_the_rest_checked(tmp_path: Path, case: str) -> None:
    data, message = REFUSED[case]
    root = project(tmp_path)
    (root / "bad.py").write_bytes(data)
    assert_refused(root, "bad.py", f"cannot parse: {message}")
    assert_fix_leaves_it(root, "bad.py", f"cannot parse: {message}")


@pytest.mark.parametrize("case", sorted(DEEP_REFUSED))
def test_ten_thousand_levels_are_refused_not_crashed(tmp_path: Path, case: str) -> None:
    source, where = DEEP_REFUSED[case]
    root = project(tmp_path)
    (root / "deep.py").write_text(source)
    assert_refused(root, "deep.py", _deep_message(source, where))
    assert_fix_leaves_it(root, "deep.py", _deep_message(source, where))


def test_deep_files_in_worker_processes(tmp_path: Path) -> None:
    """With ``--jobs 2`` and enough files to start workers, deep files are refused there."""
    root = project(tmp_path)
    for i in range(8):
        (root / f"filler{i}.py").write_text(f"x = {i}\n")
    messages = []
    for case in ("parentheses", "not", "f-strings"):
        source, where = DEEP_REFUSED[case]
        (root / f"deep_{case}.py").write_text(source)
        messages.append(f"deep_{case}.py: {_deep_message(source, where)}")
    before = snapshot(root)
    proc, findings = check_json(root, "--jobs", "2")
    assert_no_traceback(proc)
    assert proc.returncode == 2
    assert [line for line in proc.stderr.splitlines() if line.startswith("deep_")] == sorted(messages)
    assert findings == [ENGINE_FINDING]
    assert snapshot(root) == before


def test_deep_files_do_not_break_the_flake8_plugin(tmp_path: Path) -> None:
    """flake8 reports the file its own parser rejects (E999); the plugin, which analyses the
    whole project for every file flake8 hands it, still reports the other file's finding.
    (Deep chains CPython accepts, such as 1,500 attributes, make flake8's own pyflakes fail.)"""
    root = project(tmp_path)
    (root / "deep.py").write_text(DEEP_REFUSED["parentheses"][0])
    before = snapshot(root)
    proc = run([str(BIN / "flake8"), "--select", "FPL,E999", "."], root)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    deep, engine = proc.stdout.splitlines()
    assert deep == "./deep.py:1:206: E999 SyntaxError: too many nested parentheses"
    assert engine.startswith("./engine.py:2:10: FPL004 ")
    assert snapshot(root) == before


def _analysed(root: Path, expected: set[tuple[str, int, int, str]]) -> None:
    """``check`` analyses every file: exactly ``expected`` (and the engine's finding), exit 1,
    no problem reported, nothing written."""
    before = snapshot(root)
    proc, findings = check_json(root)
    assert_no_traceback(proc)
    assert proc.stderr == ""
    assert proc.returncode == 1
    assert set(findings) == expected | {ENGINE_FINDING}
    assert snapshot(root) == before


ANALYSED = {
    # PEP 263: the declared encoding is used; columns count characters.
    "latin-1-cookie": (
        (
            "# -*- coding: latin-1 -*-\nfrom sqlalchemy import create_engine\n"
            'CITY = "Z\u00fcrich"; e = create_engine("postgresql://h/db")\n'
        ).encode("latin-1"),
        (3, 22),
    ),
    "utf-8-bom": (b"\xef\xbb\xbf" + ENGINE_LINES.encode(), (2, 10)),
    "crlf": (ENGINE_LINES.replace("\n", "\r\n").encode(), (2, 10)),
    "mixed-newlines": (
        b"import os\r\nx = 1\ry = 2\n\r\n" + ENGINE_LINES.encode(),
        (6, 10),
    ),
    # ``except A, B:`` is Python 3.14 (PEP 758), which libcst parses: analysed, not refused.
    "except-without-parentheses": (
        (ENGINE_LINES + "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n").encode(),
        (2, 10),
    ),
    # Python 3.12-3.13 syntax libcst understands, though this Python may not.
    "python-3-12-and-3-13-syntax": (
        (
            "type Pair[T = int] = tuple[T, T]\n"
            "def first[T](items: list[T]) -> T:\n"
            '    return f"{"nested" + f"{items!r}"}"  # PEP 701\n'
            + ENGINE_LINES
        ).encode(),
        (5, 10),
    ),
    # 10,000 operands of ``and``: chained (not nested) in Python, analysed on the large stack.
    "ten-thousand-and-operands": (
        (ENGINE_LINES + "ok = " + " and ".join(["engine"] * DEEP) + "\n").encode(),
        (2, 10),
    ),
}


@pytest.mark.parametrize("case", sorted(ANALYSED))
def test_contents_that_are_analysed_with_the_right_positions(tmp_path: Path, case: str) -> None:
    data, (line, column) = ANALYSED[case]
    root = project(tmp_path)
    (root / "special.py").write_bytes(data)
    _analysed(root, {("special.py", line, column, "FPL004")})


def test_an_empty_file_is_analysed(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "empty.py").write_bytes(b"")
    _analysed(root, set())
    proc = lint(root, "check", "--no-cache")
    assert proc.stdout.splitlines()[-1] == "Found 1 finding (FPL004: 1) in 2 files."


@pytest.mark.timeout(1200)  # a minute on a loaded 2-core machine; no time is asserted
def test_a_five_megabyte_file_is_analysed(tmp_path: Path) -> None:
    root = project(tmp_path)
    block = "".join(f"def handler_{i}(request):\n    return {{'id': {i}, 'name': 'n{i}'}}\n\n" for i in range(100))
    body = ""
    while len(body) < 5 * 1024 * 1024:
        body += block.replace("handler_", f"h{len(body)}_")
    data = ("from sqlalchemy import create_engine\n" + body + ENGINE_LINES.splitlines()[1] + "\n").encode()
    (root / "huge.py").write_bytes(data)
    before = snapshot(root)
    proc = lint(root, "check", "--no-cache", "--quiet")  # text: no fixes planned, one parse
    assert_no_traceback(proc)
    assert (proc.returncode, proc.stderr) == (1, "")
    last_line = data.count(b"\n")
    found = sorted(line.split(" ")[0] for line in proc.stdout.splitlines())
    assert found == ["engine.py:2:10:", f"huge.py:{last_line}:10:"]
    assert snapshot(root) == before
