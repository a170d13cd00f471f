"""Copies of the fixtures as stand-alone projects, and the front doors run on them as users do."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import FIXTURES

BIN = Path(sys.executable).parent
FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) ")

Found = set[tuple[str, int, str]]


def fixture_cases() -> list[Path]:
    single = sorted((FIXTURES / "single").glob("*.py"))
    projects = sorted(p for p in (FIXTURES / "projects").iterdir() if p.is_dir())
    return single + projects


def as_project(case: Path, tmp: Path) -> Path:
    """Copy a fixture to ``tmp/<name>``, a project of its own (with a ``pyproject.toml``)."""
    target = tmp / case.stem
    if case.is_file():
        target.mkdir(parents=True)
        shutil.copy(case, target / case.name)
    else:
        shutil.copytree(case, target)
    if not (target / "pyproject.toml").exists():
        (target / "pyproject.toml").write_text('[project]\nname = "fixture"\nversion = "0"\n')
    return target


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PATH"] = f"{BIN}{os.pathsep}{out.get('PATH', '')}"
    out.pop("NO_COLOR", None)
    return out


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env=env(), timeout=600, check=False
    )


def cli_found(project: Path, *args: str) -> tuple[Found, subprocess.CompletedProcess[str]]:
    proc = run([str(BIN / "fastapi-pool-lint"), "check", "--format", "json", *args], project)
    assert proc.returncode in (0, 1), proc.stderr
    found = {(f["path"], f["line"], f["code"]) for f in json.loads(proc.stdout)}
    return found, proc


def flake8_found(project: Path, *args: str) -> tuple[Found, subprocess.CompletedProcess[str]]:
    proc = run([str(BIN / "flake8"), *args], project)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    found: Found = set()
    for line in proc.stdout.splitlines():
        match = FLAKE8_LINE.match(line)
        assert match, line
        path = match.group("path").removeprefix("./")
        found.add((path, int(match.group("line")), match.group("code")))
    return found, proc
