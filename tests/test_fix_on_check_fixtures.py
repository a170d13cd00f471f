"""``fix --unsafe-fixes`` on every check fixture: the code still compiles, fixing again changes
nothing, and ``check`` afterwards finds only what the fix left (no new findings)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.fixing import run_fix
from fastapi_pool_lint.parsing import parse_source
from fastapi_pool_lint.pipeline import run_check

from .conftest import FIXTURES
from .fixhelpers import snapshot


def _cases() -> list[Path]:
    single = sorted((FIXTURES / "single").glob("*.py"))
    projects = FIXTURES / "projects"
    return single + (sorted(p for p in projects.iterdir() if p.is_dir()) if projects.is_dir() else [])


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_fixing_a_check_fixture(case: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    if case.is_file():
        work.mkdir()
        shutil.copyfile(case, work / case.name)
    else:
        shutil.copytree(case, work)
    before = run_check([work], Settings(), work)
    run = run_fix([work], Settings(), work, unsafe=True, write=True)
    assert not run.failures
    for name, data in snapshot(work).items():
        if name.endswith(".py"):
            compile(parse_source(data).code, name, "exec", dont_inherit=True)
    once = snapshot(work)
    again = run_fix([work], Settings(), work, unsafe=True, write=True)
    assert snapshot(work) == once and not again.files
    after = run_check([work], Settings(), work)
    complete = Counter(
        (o.finding.location.path, o.finding.code) for o in run.outcomes if o.fixed and not o.left
    )
    counts_before = Counter((f.location.path, f.code) for f in before.findings)
    counts_after = Counter((f.location.path, f.code) for f in after.findings)
    assert counts_after == counts_before - complete
