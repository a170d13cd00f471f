"""Fuzzing: ``check`` and ``fix`` on generated programs never raise and never corrupt a file.

Programs come from five sources:

- ``grammar``: hypothesmith programs generated from Python's grammar;
- ``nodes``: hypothesmith programs generated from libcst's node types;
- ``mutated``: a fixture file (``tests/fixtures/single``, ``tests/fixtures/fix/*/before.py``)
  after a few mutations: statements deleted, duplicated, or spliced in at a statement boundary
  (from hypothesmith, or from another fixture file, so rules meet new contexts), keywords
  swapped (``def``/``async def``, ``Depends``/``Security``, ``None``/``5``...), lines deleted,
  swapped or re-indented, bytes inserted (NUL, BOM, CR, invalid UTF-8...);
- ``spliced``: a fixture file with only statement-level splices (valid Python far more often,
  so findings and fixes stay the common case);
- ``projects``: a fixture project (``tests/fixtures/projects``, multi-module fix cases) with
  one or two of its files mutated.

For each program, in a fresh project directory, through the command line (click's runner, in
process: an exception escapes as itself, not as an "internal error" line):

- ``check --format json`` exits 0, 1 or 2, and 2 exactly when a file could not be parsed; it
  writes nothing but its cache;
- ``fix`` exits 0, 1 or 2; a file that could not be parsed is untouched; a file that has no
  finding and that no applicable fix edits is byte-for-byte unchanged (so is a project without
  findings); every file it changes still parses (and still compiles if it did); a second
  ``fix`` changes nothing; the findings after a safe fix are a sub-multiset (by file and rule)
  of those before;
- ``fix --unsafe-fixes``: the same, except the subset (an unsafe fix may change behaviour).

Profiles (``HYPOTHESIS_PROFILE``, registered in ``conftest.py``): ``ci`` (the default:
derandomized, a fixed set of about 150 programs, about a minute) and ``long`` (random, many
more; see README "Fuzzing"). The counts of programs tried, with findings and with fixes
applied are printed at the end of the test session.
"""

from __future__ import annotations

import ast
import json
import os
import re
import tempfile
import textwrap
import warnings
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_pool_lint.parsing import ParseFailure, parse_source

from .conftest import FIXTURES
from .fixhelpers import Invocation, invoke, snapshot

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# Programs per source and profile: the ci numbers keep this module near a minute on a 2-core
# machine; the long ones run for tens of minutes.
BUDGETS = {
    "ci": {"grammar": 25, "nodes": 8, "mutated": 45, "spliced": 45, "projects": 15},
    "long": {"grammar": 1000, "nodes": 200, "mutated": 1500, "spliced": 1500, "projects": 400},
}
BUDGET = BUDGETS.get(PROFILE, BUDGETS["ci"])


@dataclass
class Tally:
    """What the programs of one source did."""

    tried: int = 0
    parsed: int = 0  # every file of the program parsed
    findings: int = 0  # check reported at least one finding
    safe_fixed: int = 0  # fix changed a file
    unsafe_fixed: int = 0  # fix --unsafe-fixes changed a file (after the safe fix)
    codes: Counter[str] = field(default_factory=Counter)  # programs with a finding of the rule


TALLIES: dict[str, Tally] = {}  # by source, printed by conftest.py


def _settings(source: str) -> settings:
    return settings(
        max_examples=BUDGET[source],
        deadline=None,
        derandomize=PROFILE == "ci",
        suppress_health_check=list(HealthCheck),
    )


def _timeout() -> pytest.MarkDecorator:
    return pytest.mark.timeout(300 if PROFILE == "ci" else 0)  # 0: none, for the long profile


# --------------------------------------------------------------------------- programs

SINGLE_FILES = sorted(
    [*(FIXTURES / "single").glob("*.py"), *(FIXTURES / "fix").glob("*/before.py")]
)
PROJECTS = sorted(
    [
        *(p for p in (FIXTURES / "projects").iterdir() if p.is_dir()),
        *(p for p in (FIXTURES / "fix").glob("*/before") if p.is_dir()),
    ]
)
KEYWORD_SWAPS = [
    ("def ", "async def "), ("async def ", "def "), ("yield ", "return "), ("await ", ""),
    ("with ", "async with "), ("None", "5"), ("Depends(", "Security("), ("(", "(*"),
    ("import ", "import os, "), ("=", "=="), (":\n", ":\n\n"), ("db", "self"),
    ("pool_timeout", "pool_size"), ("yield", "yield from"), ("try:", "if 1:"),
    ("response_model=", "status_code="), (".close()", ".commit()"), ("Session", "session"),
]  # fmt: skip
NASTY = [
    b"\x00", b"\xff", b"\xc3", b"\r", b"\r\n", b"\t", b"\\", b"'", b'"""', b"(", b")", b"#",
    b"\xef\xbb\xbf", "é".encode(), b" ", b"# -*- coding: latin-1 -*-\n", b"\x0c",
]  # fmt: skip


@dataclass(frozen=True)
class Statement:
    """A statement of a program: its lines (0-based, end exclusive), its indentation, and
    whether it is the only statement of its body."""

    start: int
    end: int
    indent: int
    alone: bool = False


def _statements(source: bytes) -> list[Statement]:
    """Every statement that sits in a body (module, function, class, if, with...), by line."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    out: list[Statement] = []
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if not isinstance(body, list):  # a lambda's body is an expression
                continue
            for child in body:
                if isinstance(child, ast.stmt) and child.end_lineno is not None:
                    decorators = getattr(child, "decorator_list", None) or []
                    start = min([child.lineno, *(d.lineno for d in decorators)]) - 1
                    alone = len(body) == 1 and not isinstance(node, ast.Module)
                    out.append(Statement(start, child.end_lineno, child.col_offset, alone))
    return sorted(set(out), key=lambda s: (s.start, s.end))


@cache
def fixture_statements() -> tuple[bytes, ...]:
    """Every statement of every fixture file, dedented: material to splice elsewhere."""
    out: list[bytes] = []
    for path in [*SINGLE_FILES, *(p for root in PROJECTS for p in sorted(root.rglob("*.py")))]:
        data = path.read_bytes()
        lines = data.splitlines(keepends=True)
        for statement in _statements(data):
            text = b"".join(lines[statement.start : statement.end]).decode("utf-8", "replace")
            out.append(textwrap.dedent(text).encode())
    return tuple(sorted(set(out)))


def _indented(snippet: bytes, indent: int) -> list[bytes]:
    lines = snippet.splitlines(keepends=True) or [b"pass\n"]
    if not lines[-1].endswith((b"\n", b"\r")):
        lines[-1] += b"\n"
    return [b" " * indent + line if line.strip() else line for line in lines]


@cache
def _grammar_statement() -> st.SearchStrategy[bytes]:
    """Statements from hypothesmith (built once: it compiles a parser for the grammar)."""
    return hypothesmith.from_grammar(start="single_input").map(
        lambda text: text.encode("utf-8", "surrogatepass")
    )


@st.composite
def splice(draw: st.DrawFn, source: bytes) -> bytes:
    """A statement inserted at a statement boundary (same indentation), or one deleted or
    duplicated: the program stays valid more often than not."""
    lines = source.splitlines(keepends=True)
    statements = _statements(source)
    if not statements:
        statements = [Statement(len(lines), len(lines), 0)]
    target = draw(st.sampled_from(statements))
    kind = draw(st.sampled_from(["fixture", "fixture", "grammar", "delete", "duplicate"]))
    if kind == "delete":
        lines[target.start : target.end] = _indented(b"pass", target.indent) if target.alone else []
    elif kind == "duplicate":
        lines[target.end : target.end] = lines[target.start : target.end]
    else:
        snippet = draw(
            st.sampled_from(fixture_statements()) if kind == "fixture" else _grammar_statement()
        )
        at = draw(st.sampled_from([target.start, target.end]))
        lines[at:at] = _indented(snippet, target.indent)
    return b"".join(lines)


@st.composite
def damage(draw: st.DrawFn, source: bytes) -> bytes:
    """A line, keyword or byte mutation (valid Python or not)."""
    lines = source.splitlines(keepends=True) or [b""]
    kind = draw(st.sampled_from(["keyword", "keyword", "line", "indent", "bytes"]))
    at = draw(st.integers(0, len(lines) - 1))
    if kind == "keyword":
        old, new = draw(st.sampled_from(KEYWORD_SWAPS))
        positions = [m.start() for m in re.finditer(re.escape(old.encode()), source)]
        if not positions:
            return source
        where = draw(st.sampled_from(positions))
        return source[:where] + new.encode() + source[where + len(old) :]
    if kind == "line":
        operation = draw(st.sampled_from(["delete", "duplicate", "swap"]))
        if operation == "delete" and len(lines) > 1:
            del lines[at : at + draw(st.integers(1, 3))]
        elif operation == "duplicate":
            lines[at:at] = lines[at : at + draw(st.integers(1, 3))]
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
    elif kind == "indent":
        lines[at] = draw(st.sampled_from([b"    ", b"\t", b""])) + lines[at].lstrip(b" ")
    else:
        line = lines[at]
        cut = draw(st.integers(0, len(line)))
        lines[at] = line[:cut] + draw(st.sampled_from(NASTY)) + line[cut:]
    return b"".join(lines)


@st.composite
def mutated(draw: st.DrawFn, source: bytes, *, damaging: bool = True) -> bytes:
    """``source`` after one to four mutations (splices only unless ``damaging``)."""
    for _ in range(draw(st.integers(1, 4))):
        mutation = damage if damaging and draw(st.booleans()) else splice
        source = draw(mutation(source))
    return source


def _as_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@st.composite
def _project(draw: st.DrawFn) -> dict[str, bytes]:
    root = draw(st.sampled_from(PROJECTS))
    files = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    python = sorted(name for name in files if name.endswith(".py"))
    for name in draw(st.lists(st.sampled_from(python), min_size=1, max_size=2, unique=True)):
        files[name] = draw(mutated(files[name], damaging=draw(st.booleans())))
    return files


def _fixture_file(damaging: bool) -> st.SearchStrategy[dict[str, bytes]]:
    return st.sampled_from(SINGLE_FILES).flatmap(
        lambda path: mutated(path.read_bytes(), damaging=damaging).map(lambda data: {"app.py": data})
    )


SOURCES: dict[str, st.SearchStrategy[dict[str, bytes]]] = {
    "grammar": st.deferred(
        lambda: hypothesmith.from_grammar().map(lambda text: {"app.py": _as_bytes(text)})
    ),
    "nodes": st.deferred(
        lambda: hypothesmith.from_node().map(lambda text: {"app.py": _as_bytes(text)})
    ),
    "mutated": _fixture_file(damaging=True),
    "spliced": _fixture_file(damaging=False),
    "projects": _project(),
}


# --------------------------------------------------------------------------- properties

_CANNOT_PARSE = re.compile(r"^(.*): cannot parse: ", re.MULTILINE)


def _parses(data: bytes) -> bool:
    try:
        parse_source(data)
    except ParseFailure:
        return False
    return True


def _compiles(data: bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(data, "<fuzz>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _show(data: bytes) -> str:
    return data.decode("utf-8", "replace")


@dataclass(frozen=True)
class Checked:
    findings: Counter[tuple[str, str]]  # (path, code)
    unparsed: frozenset[str]
    safe_edits: frozenset[str]  # files the safe fixes edit
    all_edits: frozenset[str]  # files any fix edits


def _run(args: list[str], root: Path) -> Invocation:
    result = invoke(args, root)
    assert result.exit_code in (0, 1, 2), result
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result
    return result


def check(root: Path) -> Checked:
    result = _run(["check", "--format", "json", "."], root)
    unparsed = frozenset(_CANNOT_PARSE.findall(result.stderr))
    assert (result.exit_code == 2) == bool(unparsed), result
    reported = json.loads(result.stdout)
    safe: set[str] = set()
    every: set[str] = set()
    for finding in reported:
        fix = finding["fix"] or {}
        paths = {edit["path"] for edit in fix.get("edits", ())}
        every |= paths
        if fix.get("applicability") == "safe":
            safe |= paths
    findings = Counter((f["path"], f["code"]) for f in reported)
    return Checked(findings, unparsed, frozenset(safe), frozenset(every))


def fix(root: Path, args: list[str], before: dict[str, bytes], checked: Checked) -> bool:
    """Run ``fix`` twice, asserting what it may change; whether it changed anything."""
    _run(["fix", *args, "."], root)
    after = snapshot(root)
    assert set(after) == set(before), "fix added or removed files"
    editable = checked.all_edits if "--unsafe-fixes" in args else checked.safe_edits
    for name, data in after.items():
        if data == before[name]:
            continue
        assert name not in checked.unparsed, f"{name} could not be parsed, yet fix changed it"
        assert name in editable, f"fix changed {name}, which no applicable fix edits"
        assert _parses(data), f"fix left {name} unparseable:\n{_show(data)}"
        if _compiles(before[name]):
            assert _compiles(data), f"fix left {name} not compiling:\n{_show(data)}"
    _run(["fix", *args, "."], root)
    assert snapshot(root) == after, "a second fix changed the files again"
    return after != before


def exercise(source: str, files: dict[str, bytes]) -> None:
    """Every property above, on a project made of ``files``; tallied under ``source``."""
    tally = TALLIES.setdefault(source, Tally())
    tally.tried += 1
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as directory:
        warnings.simplefilter("ignore")
        root = Path(directory)
        files = {"pyproject.toml": b"[project]\nname = 'fuzz'\n", **files}
        for name, data in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        before = snapshot(root)
        checked = check(root)
        assert snapshot(root) == before, "check wrote to the project"
        tally.parsed += not checked.unparsed
        tally.findings += bool(checked.findings)
        tally.codes.update({code for _, code in checked.findings})
        if fix(root, [], before, checked):
            tally.safe_fixed += 1
        safe = snapshot(root)
        rechecked = check(root)
        assert rechecked.findings <= checked.findings, (
            f"a safe fix added findings: {rechecked.findings - checked.findings}"
        )
        if fix(root, ["--unsafe-fixes"], safe, rechecked):
            tally.unsafe_fixed += 1


# Sources built from the fixtures are there to exercise the rules and their fixes: most of
# their programs must have findings, and fixes must have been applied (else the fuzzing has
# silently stopped testing the fix paths).
EXERCISING = {"mutated": 0.4, "spliced": 0.6, "projects": 0.4}


@_timeout()
@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_fuzz(source: str) -> None:
    TALLIES.pop(source, None)

    @_settings(source)
    @given(SOURCES[source])
    def run(files: dict[str, bytes]) -> None:
        exercise(source, files)

    run()
    tally = TALLIES[source]
    if source in EXERCISING:
        assert tally.findings >= tally.tried * EXERCISING[source], tally
        assert tally.safe_fixed + tally.unsafe_fixed, tally
    if source == "spliced":
        assert tally.safe_fixed and tally.unsafe_fixed, tally


# --------------------------------------------------------------------------- the strategies


def test_statements_are_found_in_nested_bodies() -> None:
    source = b"@d\ndef f():\n    x = 1\n    if x:\n        y()\n    else:\n        z()\n"
    assert _statements(source) == [
        Statement(0, 7, 0),
        Statement(2, 3, 4),
        Statement(3, 7, 4),
        Statement(4, 5, 8, alone=True),
        Statement(6, 7, 8, alone=True),
    ]
