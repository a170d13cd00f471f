"""The benchmark tools: a deterministic generator, the floor's file list, the verdicts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from benchmarks import floor
from benchmarks.generate import generate, project_files
from benchmarks.run import Run, TreeResult, edit_target, measure, report


def test_generator_is_deterministic_and_exact() -> None:
    a = project_files(120, seed=5)
    assert a == project_files(120, seed=5)
    assert a != project_files(120, seed=6)
    assert sum(name.endswith(".py") for name in a) == 120
    with pytest.raises(ValueError):
        project_files(3, seed=1)


def test_generated_files_parse(tmp_path: Path) -> None:
    files = generate(tmp_path / "svc", 60, seed=2)
    assert len(files) == 60
    for path in files:
        compile(path.read_text(), str(path), "exec")


def test_floor_walks_what_check_walks(tmp_path: Path) -> None:
    generate(tmp_path / "svc", 30, seed=1)
    (tmp_path / "svc" / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / "svc" / ".venv" / "lib" / "skipped.py").write_text("x = 1\n")
    files = floor.python_files(tmp_path / "svc")
    assert len(files) == 30
    assert floor.main([str(tmp_path / "svc"), "--jobs", "1", "--parser", "ast"]) == 0


def _result(name: str, modules: int, walls: dict[str, float], rss: float = 100.0) -> TreeResult:
    result = TreeResult(name, modules, modules * 100)
    for mode, wall in walls.items():
        result.runs[mode] = [Run(wall, wall, rss, 0)]
    return result


GOOD = {"floor": 1.0, "ast": 0.2, "cold": 1.8, "first": 1.9, "warm": 0.1, "changed": 0.3}


def test_report_passes_and_fails_on_the_targets() -> None:
    small = _result("500", 500, GOOD)
    large = _result("2000", 2000, {k: v * 4 for k, v in GOOD.items()}, rss=400)
    text, ok = report([small, large], jobs=2)
    assert ok and "FAIL" not in text
    slow = _result("2000", 2000, {**{k: v * 4 for k, v in GOOD.items()}, "changed": 3.0}, rss=600)
    text, ok = report([small, slow], jobs=2)
    assert not ok
    assert "| 1 changed / cold | 2000 | 0.42x | <= 0.2x | FAIL |" in text
    assert "| peak RSS | 2000 | 600 MB | <= 500 MB | FAIL |" in text


def test_measure_and_edit_target(tmp_path: Path) -> None:
    run = measure([sys.executable, "-c", "print('hi')"], tmp_path)
    assert run.returncode == 0 and run.wall > 0
    generate(tmp_path / "svc", 30, seed=1)
    target = edit_target(tmp_path / "svc")
    assert target.suffix == ".py" and target.name != "__init__.py"


def test_a_real_tree_with_unparseable_files_is_still_measured(tmp_path: Path) -> None:
    """Real trees hold templates that do not parse (``check`` exits 2 for them): a whole run;
    a usage error is not."""
    (tmp_path / "ok.py").write_text("x = 1\n")
    (tmp_path / "template.py").write_text("{% if x %}\n")
    check = [sys.executable, "-m", "fastapi_pool_lint", "check", "-q", "--no-cache", "."]
    run = measure(check, tmp_path)
    assert run.returncode == 2
    with pytest.raises(SystemExit):
        measure([*check, "--no-such-option"], tmp_path)
