from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.pipeline import CheckResult, run_check
from fastapi_pool_lint.settings_loader import discover_settings

FIXTURES = Path(__file__).parent / "fixtures"
# Fixture projects are code to analyse, not tests to run (some carry their own conftest.py).
collect_ignore_glob = ["fixtures/*"]

# Hypothesis profiles, chosen with HYPOTHESIS_PROFILE: "ci" (the default) is derandomized, so a
# run is reproducible and bounded (tests/test_fuzz.py sizes its own budgets by profile); "long" is
# for local fuzzing runs: random, many more examples everywhere (README "Fuzzing").
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("long", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """What the fuzz tests (tests/test_fuzz.py) tried, per source, when they ran."""
    fuzz = sys.modules.get(f"{__package__}.test_fuzz")
    tallies = getattr(fuzz, "TALLIES", None)
    if not tallies:
        return
    profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    write = terminalreporter.write_line
    terminalreporter.section(f"fuzzing (HYPOTHESIS_PROFILE={profile})")
    write(f"{'source':10s} {'tried':>6s} {'parsed':>7s} {'findings':>9s} {'fixed':>6s} "
          f"{'unsafe':>7s}  programs with a finding of each rule")
    for source, tally in sorted(tallies.items()):
        codes = ", ".join(f"{code} {count}" for code, count in sorted(tally.codes.items()))
        write(f"{source:10s} {tally.tried:6d} {tally.parsed:7d} {tally.findings:9d} "
              f"{tally.safe_fixed:6d} {tally.unsafe_fixed:7d}  {codes}")
    total = sum(t.tried for t in tallies.values())
    findings = sum(t.findings for t in tallies.values())
    changed = sum(t.safe_fixed + t.unsafe_fixed for t in tallies.values())
    write(f"{total} programs in all; {findings} with findings; {changed} fix runs changed files")


def check_path(path: Path, settings: Settings | None = None) -> CheckResult:
    """Run the analysis on ``path`` with paths reported relative to it (or to its directory),
    with the ``[tool.fastapi-pool-lint]`` settings found from it unless ``settings`` is given."""
    cwd = path.parent if path.is_file() else path
    if settings is None:
        settings, _ = discover_settings(path)
    return run_check([path], settings, cwd)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
