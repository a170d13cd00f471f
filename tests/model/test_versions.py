"""FastAPI version constraints read from the files a project pins them in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastapi_pool_lint.model.versions import Constraints


@pytest.mark.parametrize(
    ("name", "text", "spec"),
    [
        ("requirements.txt", "fastapi==0.81.0\nsqlalchemy>=1.4 # orm\n", "==0.81.0"),
        ("pyproject.toml", '[project]\ndependencies = ["fastapi[standard]>=0.114,<1.0"]\n', "<1.0,>=0.114"),
        ("pyproject.toml", '[tool.poetry.dependencies]\nfastapi = "^0.95.1"\n', ">=0.95.1"),
        ("uv.lock", '[[package]]\nname = "fastapi"\nversion = "0.115.2"\n', "==0.115.2"),
        ("poetry.lock", '[[package]]\nname = "FastAPI"\nversion = "0.68.0"\n', "==0.68.0"),
    ],
)
def test_constraint_sources(tmp_path: Path, name: str, text: str, spec: str) -> None:
    (tmp_path / name).write_text(text)
    constraint = Constraints(tmp_path).for_directory(tmp_path, "fastapi")
    assert constraint is not None
    assert str(constraint.specifier) == spec
    assert constraint.source == name


def test_pipfile_lock(tmp_path: Path) -> None:
    (tmp_path / "Pipfile.lock").write_text(json.dumps({"default": {"fastapi": {"version": "==0.80.0"}}}))
    constraint = Constraints(tmp_path).for_directory(tmp_path, "fastapi")
    assert constraint is not None and constraint.allows_below("0.82")


def test_lock_wins_over_requirements_and_nearest_directory_wins(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi>=0.60\n")
    (tmp_path / "uv.lock").write_text('[[package]]\nname = "fastapi"\nversion = "0.120.0"\n')
    service = tmp_path / "services" / "billing"
    service.mkdir(parents=True)
    (service / "requirements.txt").write_text("fastapi==0.75.0\n")
    constraints = Constraints(tmp_path)
    root = constraints.for_directory(tmp_path / "app", "fastapi")
    assert root is not None and str(root.specifier) == "==0.120.0"
    assert not root.allows_below("0.82")
    nested = constraints.for_directory(service / "api", "fastapi")
    assert nested is not None and nested.allows_below("0.82")
    assert nested.source == "services/billing/requirements.txt"


def test_no_constraint(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r base.txt\ngit+https://example.com/x.git\n")
    assert Constraints(tmp_path).for_directory(tmp_path, "fastapi") is None
