"""Fix fixtures: ``tests/fixtures/fix/<case>/`` holds ``before.py`` and ``after.py`` (or ``before/``
and ``after/`` trees for multi-module cases), ``report.txt`` (what ``fix`` prints) and optionally
``args`` (the ``fix`` options, default ``--unsafe-fixes``).

Set ``FPL_UPDATE_FIX_FIXTURES=1`` to (re)write ``after`` and ``report.txt`` from the current
output; review the diff before committing it.
"""

from __future__ import annotations

import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from fastapi_pool_lint.cli import cli

from .conftest import FIXTURES

FIX_CASES = FIXTURES / "fix"
UPDATE = os.environ.get("FPL_UPDATE_FIX_FIXTURES") == "1"
SINGLE_NAME = "app.py"
CACHE_DIR = ".fastapi_pool_lint_cache"


@dataclass(frozen=True)
class FixCase:
    root: Path

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def single(self) -> bool:
        return (self.root / "before.py").is_file()

    @property
    def args(self) -> list[str]:
        path = self.root / "args"
        return shlex.split(path.read_text()) if path.is_file() else ["--unsafe-fixes"]

    def materialise(self, into: Path) -> Path:
        """A copy of ``before`` to work on; returns the directory to run in."""
        work = into / "work"
        if self.single:
            work.mkdir(parents=True)
            shutil.copyfile(self.root / "before.py", work / SINGLE_NAME)
        else:
            shutil.copytree(self.root / "before", work)
        return work

    def before(self) -> dict[str, bytes]:
        if self.single:
            return {SINGLE_NAME: (self.root / "before.py").read_bytes()}
        return snapshot(self.root / "before")

    def after(self) -> dict[str, bytes]:
        if self.single:
            return {SINGLE_NAME: (self.root / "after.py").read_bytes()}
        return snapshot(self.root / "after")

    def report(self) -> str:
        return (self.root / "report.txt").read_text(encoding="utf-8")

    def update(self, work: Path, report: str) -> None:
        if self.single:
            shutil.copyfile(work / SINGLE_NAME, self.root / "after.py")
        else:
            shutil.rmtree(self.root / "after", ignore_errors=True)
            shutil.copytree(work, self.root / "after", ignore=shutil.ignore_patterns("__pycache__"))
        (self.root / "report.txt").write_text(report, encoding="utf-8")


def fix_cases() -> list[FixCase]:
    return [FixCase(p) for p in sorted(FIX_CASES.iterdir()) if p.is_dir()]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by posix relative path (caches excluded)."""
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if path.is_file() and not {"__pycache__", CACHE_DIR} & set(parts):
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


@dataclass(frozen=True)
class Invocation:
    exit_code: int
    stdout: str
    stderr: str


def invoke(args: list[str], cwd: Path) -> Invocation:
    """Run the command line in ``cwd`` (display paths are relative to it)."""
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        try:  # click < 8.2 mixes stderr into stdout unless told otherwise
            runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
        except TypeError:
            runner = CliRunner()
        result = runner.invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return Invocation(result.exit_code, result.stdout, result.stderr)
