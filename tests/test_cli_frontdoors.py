"""The ``check`` command: project scope, output formats, ``--show-source``, ``--statistics``,
``--output-file`` and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import FIXTURES
from .frontdoor_helpers import BIN, as_project, run

CROSS_MODULE = FIXTURES / "projects" / "fpl001_cross_module"
ENGINES = FIXTURES / "single" / "fpl003_fpl004.py"


def check(project: Path, *args: str):  # type: ignore[no-untyped-def]
    return run([str(BIN / "fastapi-pool-lint"), "check", *args], project)


def test_a_file_is_checked_with_its_project(tmp_path: Path) -> None:
    project = as_project(CROSS_MODULE, tmp_path)
    proc = check(project, "--format", "json", "app/database.py")
    assert proc.returncode == 1
    [finding] = json.loads(proc.stdout)
    assert (finding["path"], finding["line"], finding["code"]) == ("app/database.py", 10, "FPL001")
    assert finding["related"][0]["path"] == "app/routers/items.py"
    proc = check(project, "app/routers/items.py")
    assert proc.returncode == 0
    assert proc.stdout.strip() == "No findings in 1 file."
    # From a subdirectory, the project is still the whole project.
    proc = run([str(BIN / "fastapi-pool-lint"), "check", "--format", "json", "."], project / "app")
    assert [f["path"] for f in json.loads(proc.stdout)] == ["database.py"]


def test_show_source_and_statistics(tmp_path: Path) -> None:
    project = as_project(ENGINES, tmp_path)
    proc = check(project, "--show-source", "--statistics")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if ": FPL003 " in line)
    path, line, column = lines[first].split(":")[:3]
    source = (project / path).read_text().splitlines()[int(line) - 1]
    assert lines[first + 1] == f"    {source}"
    caret = lines[first + 2]
    assert caret.strip() == "^" and len(caret) - 4 == int(column)
    json_proc = check(project, "--format", "json")
    findings = json.loads(json_proc.stdout)
    counts = {c: sum(f["code"] == c for f in findings) for c in ("FPL003", "FPL004")}
    assert f"{counts['FPL003']:<5} FPL003 pool_timeout=None" in proc.stdout
    assert f"{counts['FPL004']:<5} FPL004 Pooled engine" in proc.stdout
    assert lines[-1].startswith(f"Found {len(findings)} findings")


def test_github_annotations(tmp_path: Path) -> None:
    project = as_project(CROSS_MODULE, tmp_path)
    (project / "app" / "engine.py").write_text(
        "from sqlalchemy import create_engine\n"
        "engine = create_engine('postgresql://h/db', pool_size=5)\n"
    )
    proc = check(project, "--format", "github")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(
        "::error file=app/database.py,line=10,col=1,endLine=15,endColumn=19,title=FPL001::"
        "Sync generator dependency `get_db`"
    )
    assert "%0Avia app/routers/items.py:15: " in lines[0]  # related locations, escaped newlines
    assert lines[1].startswith("::warning file=app/engine.py,line=2,col=10,")
    assert "title=FPL004::" in lines[1]
    assert len(lines) == 2


def test_github_escapes_parse_errors(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "bad,name.py").write_text("def f(:\n")
    proc = check(tmp_path, "--format", "github")
    assert proc.returncode == 2
    assert proc.stdout.startswith("::error file=bad%2Cname.py,title=cannot parse::syntax error")


def test_output_file(tmp_path: Path) -> None:
    project = as_project(ENGINES, tmp_path)
    report = tmp_path / "report.sarif"
    proc = check(project, "--format", "sarif", "--output-file", str(report))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert json.loads(report.read_text())["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("files", "args", "code"),
    [
        ({"ok.py": "x = 1\n"}, [], 0),
        ({"db.py": "from sqlalchemy import create_engine\ne = create_engine('postgresql://h/d', pool_timeout=None)\n"}, [], 1),
        ({"db.py": "from sqlalchemy import create_engine\ne = create_engine('postgresql://h/d', pool_timeout=None)\n"}, ["--exit-zero"], 0),
        ({"bad.py": "def f(:\n", "ok.py": "x = 1\n"}, [], 2),
        ({"ok.py": "x = 1\n"}, ["missing.py"], 2),
        ({"ok.py": "x = 1\n"}, ["--select", "FPL9"], 2),
        ({"ok.py": "x = 1\n"}, ["--format", "xml"], 2),
    ],
)
def test_exit_codes(tmp_path: Path, files: dict[str, str], args: list[str], code: int) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    proc = check(tmp_path, *args)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_parse_errors_outside_the_reported_files_do_not_fail_the_check(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "bad.py").write_text("def f(:\n")
    (tmp_path / "ok.py").write_text("x = 1\n")
    proc = check(tmp_path, "ok.py")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_gitignored_file_named_explicitly_is_skipped_with_a_notice(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / ".gitignore").write_text("scratch.py\n")
    (tmp_path / "scratch.py").write_text(
        "from sqlalchemy import create_engine\ne = create_engine('postgresql://h/d', pool_timeout=None)\n"
    )
    proc = check(tmp_path, "scratch.py")
    assert proc.returncode == 0
    assert "scratch.py: skipped" in proc.stderr
