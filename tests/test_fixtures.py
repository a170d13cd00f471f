"""Every fixture's findings are exactly its inline ``# expect:`` markers: no more, no fewer."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import FIXTURES, check_path
from .expectations import expected_in


def _cases() -> list[Path]:
    single = sorted((FIXTURES / "single").glob("*.py"))
    projects = sorted(p for p in (FIXTURES / "projects").iterdir() if p.is_dir()) if (
        FIXTURES / "projects"
    ).is_dir() else []
    return single + projects


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_fixture_findings_match_expectations(case: Path) -> None:
    result = check_path(case)
    assert not result.errors, result.errors
    found = {(f.location.path, f.location.span.line, f.code) for f in result.findings}  # type: ignore[union-attr]
    expected = expected_in(case)
    missing = sorted(expected - found)
    extra = sorted(found - expected)
    assert not missing and not extra, f"missing: {missing}\nextra: {extra}"
