"""``fastapi-pool-lint check --format json examples/`` finds exactly what each example is about.

Every flagged example has its expected findings and nothing else; every ``*_fixed`` variant has
none. Lines are found from an anchor in the example's source, so editing an example moves the
expectation with it. The runtime behaviour of the same apps is proven in ``tests/runtime``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# example -> (code, a text on exactly one line of its app.py: the line the finding is reported
# on; FPL003 lands on the engine call, not on its `pool_timeout=None` argument)
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "original_report": {("FPL001", "def get_db("), ("FPL003", "engine = create_engine(")},
    "response_model": {("FPL001", "def get_db(")},
    "async_route": {("FPL001", "def get_db("), ("FPL002", "db.execute(")},
    "sqlmodel_tutorial": {("FPL001", "def get_session(")},
}
FIXED = {f"{name}_fixed" for name in EXPECTED}

Finding = tuple[str, int, str]


def _line_of(path: Path, anchor: str) -> int:
    lines = [
        number
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if anchor in line
    ]
    assert len(lines) == 1, f"{anchor!r} should be on exactly one line of {path}: {lines}"
    return lines[0]


def _expected(example: str) -> set[Finding]:
    app = EXAMPLES / example / "app.py"
    path = app.relative_to(ROOT).as_posix()
    return {(path, _line_of(app, anchor), code) for code, anchor in EXPECTED.get(example, set())}


@pytest.fixture(scope="module")
def findings() -> tuple[int, set[Finding]]:
    result = subprocess.run(
        [sys.executable, "-m", "fastapi_pool_lint", "check", "--format", "json", "examples/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert not result.stderr.strip(), result.stderr
    found = {(item["path"], item["line"], item["code"]) for item in json.loads(result.stdout)}
    return result.returncode, found


def test_every_example_is_covered() -> None:
    present = {path.name for path in EXAMPLES.iterdir() if (path / "app.py").is_file()}
    assert present == set(EXPECTED) | FIXED


@pytest.mark.parametrize("example", sorted(set(EXPECTED) | FIXED))
def test_example_findings(example: str, findings: tuple[int, set[Finding]]) -> None:
    prefix = f"examples/{example}/"
    found = {finding for finding in findings[1] if finding[0].startswith(prefix)}
    assert found == _expected(example)


def test_exit_code_reports_findings(findings: tuple[int, set[Finding]]) -> None:
    assert findings[0] == 1


@pytest.mark.parametrize("example", sorted(set(EXPECTED) | FIXED))
def test_example_is_self_describing(example: str) -> None:
    directory = EXAMPLES / example
    module = ast.parse((directory / "app.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(module), f"{example}/app.py has no docstring"
    pins = [
        line.split("#", 1)[0].strip()
        for line in (directory / "requirements.txt").read_text(encoding="utf-8").splitlines()
    ]
    pinned = {line.split("==")[0].split("[")[0] for line in pins if "==" in line}
    assert {"fastapi", "sqlalchemy", "uvicorn"} <= pinned, f"{example}: unpinned versions"
