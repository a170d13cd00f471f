"""Every fix and refusal has a before/after fixture pair; the guarantees hold on each of them.

For each case: ``fix`` turns ``before`` into ``after`` byte for byte and prints ``report.txt``;
fixing again changes nothing; every result parses and compiles; ``check`` on the result finds
exactly the findings of ``before`` minus the ones fixed completely; ``fix --diff`` writes nothing,
exits 1 exactly when there is something to change, and its diff turns ``before`` into ``after``;
files the fixes do not touch are neither rewritten nor changed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.fixing import run_fix
from fastapi_pool_lint.parsing import parse_source
from fastapi_pool_lint.pipeline import run_check

from .fixhelpers import UPDATE, FixCase, fix_cases, invoke, snapshot

CASES = fix_cases()


def _settings(case: FixCase) -> tuple[Settings, bool]:
    """The settings and unsafe flag ``case.args`` stand for (for the API-level checks)."""
    args = case.args
    select = None
    timeout = 30
    for i, arg in enumerate(args):
        if arg == "--select":
            select = frozenset(args[i + 1].split(","))
        if arg == "--pool-timeout":
            timeout = int(args[i + 1])
    return Settings(select=select, fix_pool_timeout=timeout), "--unsafe-fixes" in args


def _left_in(report: str) -> bool:
    return any(line.startswith("  left: ") for line in report.splitlines())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fix_turns_before_into_after(case: FixCase, tmp_path: Path) -> None:
    work = case.materialise(tmp_path)
    result = invoke(["fix", *case.args, "."], work)
    assert result.stderr == ""
    if UPDATE:
        case.update(work, result.stdout)
    assert snapshot(work) == case.after()
    assert result.stdout == case.report()
    assert result.exit_code == (1 if _left_in(result.stdout) else 0)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fixing_twice_equals_fixing_once(case: FixCase, tmp_path: Path) -> None:
    work = case.materialise(tmp_path)
    invoke(["fix", *case.args, "."], work)
    once = snapshot(work)
    again = invoke(["fix", *case.args, "."], work)
    assert snapshot(work) == once
    assert "Fixed 0 of" in again.stdout or again.stdout.startswith("No findings")
    diff = invoke(["fix", *case.args, "--diff", "."], work)
    assert diff.stdout == "" and diff.exit_code == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fixed_code_parses_and_compiles(case: FixCase) -> None:
    for name, data in case.after().items():
        if name.endswith(".py"):
            module = parse_source(data)
            compile(module.code, name, "exec", dont_inherit=True)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_check_after_fix_finds_only_what_was_left(case: FixCase, tmp_path: Path) -> None:
    settings, unsafe = _settings(case)
    work = case.materialise(tmp_path)
    before = run_check([work], Settings(), work)
    run = run_fix([work], settings, work, unsafe=unsafe, write=True)
    after = run_check([work], Settings(), work)
    assert not before.errors and not after.errors
    complete = Counter(
        (o.finding.location.path, o.finding.code) for o in run.outcomes if o.fixed and not o.left
    )
    counts_before = Counter((f.location.path, f.code) for f in before.findings)
    counts_after = Counter((f.location.path, f.code) for f in after.findings)
    assert counts_after == counts_before - complete
    # Nothing new: every finding left has the message it had before (line numbers may move),
    # except partly fixed ones, whose message names a route that is still affected.
    messages_before = {(f.location.path, f.code, f.message) for f in before.findings}
    partly = {(o.finding.location.path, o.finding.code) for o in run.outcomes if o.fixed and o.left}
    for finding in after.findings:
        key = (finding.location.path, finding.code)
        assert key in partly or (*key, finding.message) in messages_before


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_diff_writes_nothing_and_patches_before_into_after(case: FixCase, tmp_path: Path) -> None:
    work = case.materialise(tmp_path)
    stats = {p: p.stat().st_mtime_ns for p in work.rglob("*.py")}
    result = invoke(["fix", *case.args, "--diff", "."], work)
    assert snapshot(work) == case.before()
    assert {p: p.stat().st_mtime_ns for p in work.rglob("*.py")} == stats
    changes = case.after() != case.before()
    assert result.exit_code == (1 if changes else 0)
    assert bool(result.stdout) == changes
    assert "Would fix" in result.stderr
    patch = shutil.which("patch")
    if changes and patch is not None:
        subprocess.run(
            [patch, "-p1", "--quiet", "--no-backup-if-mismatch"],
            input=result.stdout.encode(),
            cwd=work,
            check=True,
        )
        assert snapshot(work) == case.after()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_files_without_edits_are_not_rewritten(case: FixCase, tmp_path: Path) -> None:
    work = case.materialise(tmp_path)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in work.rglob("*.py")}
    settings, unsafe = _settings(case)
    run = run_fix([work], settings, work, unsafe=unsafe, write=True)
    for path, (data, mtime, inode) in before.items():
        key = path.relative_to(work).as_posix()
        if key not in run.files:
            assert path.read_bytes() == data
            assert (path.stat().st_mtime_ns, path.stat().st_ino) == (mtime, inode)


def test_every_case_has_its_files() -> None:
    assert CASES, "no fix fixtures found"
    for case in CASES:
        assert (case.root / "report.txt").is_file(), case.name
        if case.single:
            assert (case.root / "after.py").is_file(), case.name
        else:
            assert (case.root / "before").is_dir() and (case.root / "after").is_dir(), case.name
