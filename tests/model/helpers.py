"""Build a project analysis from inline sources written to a temporary directory."""

from __future__ import annotations

import textwrap
from pathlib import Path

from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.discovery import discover
from fastapi_pool_lint.model.analysis import ProjectAnalysis
from fastapi_pool_lint.pipeline import build_project, summarise_file


def write_project(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\nversion = '0'\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def analyse(root: Path, files: dict[str, str]) -> ProjectAnalysis:
    write_project(root, files)
    project_root, sources = discover([root], root)
    project, errors = build_project(sources, [summarise_file(s) for s in sources])
    assert not errors, errors
    return ProjectAnalysis(project, project_root, Settings())
