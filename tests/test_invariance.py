"""Findings do not depend on the order files are met in, nor on the directory the tool runs from."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fastapi_pool_lint import pipeline
from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.pipeline import run_check

from .conftest import FIXTURES

PROJECTS = sorted(p for p in (FIXTURES / "projects").iterdir() if p.is_dir())


def _absolute(result: pipeline.CheckResult, cwd: Path) -> set[tuple[str, int, int, str, str]]:
    out = set()
    for f in result.findings:
        assert f.location.span is not None
        path = (cwd / f.location.path).resolve().as_posix()
        out.add((path, f.location.span.line, f.location.span.column, f.code, f.message))
    return out


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_file_order_does_not_matter(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = _absolute(run_check([project], Settings(), project), project)
    discover = pipeline.discover
    for seed in range(3):

        def shuffled(paths: list[Path], cwd: Path, seed: int = seed, **options: object) -> tuple[Path, list]:  # type: ignore[type-arg]
            root, files = discover(paths, cwd, **options)  # type: ignore[arg-type]
            random.Random(seed).shuffle(files)
            return root, files

        monkeypatch.setattr(pipeline, "discover", shuffled)
        assert _absolute(run_check([project], Settings(), project), project) == baseline


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_working_directory_does_not_matter(project: Path) -> None:
    here = _absolute(run_check([project], Settings(), project), project)
    for cwd in (project.parent, FIXTURES.parent.parent, Path("/")):
        assert _absolute(run_check([project], Settings(), cwd), cwd) == here


_DUMP_ALL = """
import json, sys
from pathlib import Path
from fastapi_pool_lint.pipeline import run_check
from fastapi_pool_lint.settings_loader import discover_settings
out = {}
for name in sys.argv[1:]:
    path = Path(name)
    settings, _ = discover_settings(path)
    result = run_check([path], settings, path)
    out[path.name] = sorted(
        (f.location.path, f.location.span.line, f.code, f.message) for f in result.findings
    )
print(json.dumps(out))
"""


def test_string_hashing_does_not_matter() -> None:
    """Nothing may depend on set iteration order, which changes with ``PYTHONHASHSEED``."""
    import json
    import os
    import subprocess
    import sys

    runs = []
    for seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _DUMP_ALL, *map(str, PROJECTS)],
            env=env, capture_output=True, text=True, timeout=600, check=True,
        )
        runs.append(json.loads(done.stdout))
    assert runs[0] == runs[1] == runs[2]
