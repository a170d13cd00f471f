"""The ``check``, ``rules`` and ``rule`` commands: formats, selection, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_pool_lint.cli import cli
from fastapi_pool_lint.rules import ALL_RULES

from .conftest import FIXTURES

SINGLE = FIXTURES / "single"
JSON_KEYS = {"code", "path", "line", "column", "end_line", "end_column", "message", "severity", "fix"}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    if args[:1] == ("check",):
        args = ("check", "--no-cache", *args[1:])  # the fixtures are read in place: keep them clean
    return subprocess.run(
        [sys.executable, "-m", "fastapi_pool_lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_json_output_shape_and_exit_code() -> None:
    result = run("check", "--format", "json", "fpl003_fpl004.py", cwd=SINGLE)
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)
    assert findings and all(set(f) >= JSON_KEYS for f in findings)
    first = findings[0]
    assert first["path"] == "fpl003_fpl004.py"
    assert first["line"] >= 1 and first["column"] >= 1
    assert (first["end_line"], first["end_column"]) >= (first["line"], first["column"])
    assert first["fix"]["applicability"] in {"safe", "unsafe", "display-only"}
    assert {f["severity"] for f in findings} <= {"error", "warning"}


def test_clean_file_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    result = run("check", str(tmp_path))
    assert result.returncode == 0
    assert "No findings in 1 file." in result.stdout


def test_select_ignore_and_exit_zero() -> None:
    only = run("check", "--format", "json", "--select", "FPL003", "fpl003_fpl004.py", cwd=SINGLE)
    assert {f["code"] for f in json.loads(only.stdout)} == {"FPL003"}
    rest = run("check", "--format", "json", "--ignore", "FPL003,FPL004", "fpl003_fpl004.py", cwd=SINGLE)
    assert json.loads(rest.stdout) == [] and rest.returncode == 0
    zero = run("check", "--exit-zero", "-q", "fpl003_fpl004.py", cwd=SINGLE)
    assert zero.returncode == 0 and "FPL004" in zero.stdout and "Found" not in zero.stdout


def test_unknown_rule_code_is_a_usage_error() -> None:
    result = run("check", "--select", "FPL999", str(SINGLE))
    assert result.returncode == 2
    assert "unknown rule code 'FPL999'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_reported(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "no such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_unparseable_file_is_reported_and_others_still_checked(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "engine.py").write_text(
        "from sqlalchemy import create_engine\nengine = create_engine('postgresql://h/db')\n"
    )
    result = run("check", "--format", "json", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "broken.py: cannot parse: syntax error" in result.stderr
    assert [f["code"] for f in json.loads(result.stdout)] == ["FPL004"]


def test_rules_lists_every_code() -> None:
    output = CliRunner().invoke(cli, ["rules"]).output
    for rule in ALL_RULES:
        assert rule.code in output and rule.summary in output


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_rule_shows_its_documentation(rule: object) -> None:
    code = rule.code  # type: ignore[attr-defined]
    output = CliRunner().invoke(cli, ["rule", code.lower()]).output
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References"):
        assert f"## {heading}" in output


def test_unknown_rule_documentation() -> None:
    result = CliRunner().invoke(cli, ["rule", "FPL999"])
    assert result.exit_code == 2 and "unknown rule code" in result.output
