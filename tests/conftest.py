from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.pipeline import CheckResult, run_check
from fastapi_pool_lint.settings_loader import discover_settings

FIXTURES = Path(__file__).parent / "fixtures"
# Fixture projects are code to analyse, not tests to run (some carry their own conftest.py).
collect_ignore_glob = ["fixtures/*"]


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
