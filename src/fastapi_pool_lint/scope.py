"""What every front door (CLI, pre-commit, flake8) checks: the project around the paths given.

The analysis is whole-project, so a path on the command line (or a file pre-commit or flake8
passes) selects what is *reported*; what is *analysed* is always the project it belongs to: the
nearest directory above it with a ``pyproject.toml``, ``setup.py``, ``setup.cfg`` or ``.git``.
A file is reported when it is part of that project as discovery sees it: a ``.py`` file that
no ``.gitignore`` or ``extend-exclude`` pattern removes and that is not inside a skipped directory
(virtualenvs, caches, build output). Explicit paths outside the project come back as ``skipped``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Union

from .config import Settings
from .discovery import DiscoveryError, find_project_root, unusable
from .findings import Finding
from .pipeline import CheckResult, FileError, run_check


@dataclass
class ScopedResult:
    result: CheckResult
    skipped: list[Path] = field(default_factory=list)  # explicit files that are not reported


def _target(path: Path, cwd: Path) -> Path:
    absolute = path if path.is_absolute() else cwd / path
    problem = unusable(absolute)
    if problem is not None and not absolute.is_dir():
        raise DiscoveryError(f"{path}: {problem}")
    if not absolute.exists():
        raise DiscoveryError(f"{path}: no such file or directory")
    return Path(os.path.realpath(absolute))


def _targets(paths: Sequence[Path], cwd: Path) -> tuple[list[Path], list[FileError]]:
    """The usable paths, resolved, and why each other one cannot be checked (the rest still is,
    as in ruff and flake8)."""
    targets: list[Path] = []
    errors: list[FileError] = []
    for path in paths:
        try:
            targets.append(_target(path, cwd))
        except DiscoveryError:
            absolute = path if path.is_absolute() else cwd / path
            problem = unusable(absolute) or "no such file or directory"
            errors.append(FileError(str(path), f"cannot read: {problem}"))
    return targets, errors


def group_by_project(targets: Sequence[Path]) -> dict[Path, list[Path]]:
    groups: dict[Path, list[Path]] = {}
    for target in targets:
        root = find_project_root([target])
        groups.setdefault(root, [])
        if target not in groups[root]:
            groups[root].append(target)
    return groups


def check_paths(
    paths: Sequence[Path],
    settings: Union[Settings, Callable[[Path], Settings]],
    cwd: Path,
    *,
    honour_noqa: bool = True,
    jobs: int = 1,
    cache: bool = False,
) -> ScopedResult:
    """Analyse the project(s) around ``paths`` and report what lies under ``paths``.

    ``settings`` may be a function of a project's root: each project then gets its own
    ``[tool.fastapi-pool-lint]``, as each file does in flake8.
    """
    targets, unusable_paths = _targets(paths, cwd)
    if not paths:
        targets = [Path(os.path.realpath(cwd))]
    merged = CheckResult(errors=unusable_paths)
    for root, group in group_by_project(targets).items():
        report_only = None if root in group else group
        chosen = settings(root) if callable(settings) else settings
        result = run_check(
            [root], chosen, cwd, report_only, honour_noqa=honour_noqa, jobs=jobs, cache=cache
        )
        merged.findings.extend(result.findings)
        merged.errors.extend(result.errors)
        merged.files.extend(result.files)
        merged.files_checked += result.files_checked
    merged.findings.sort(key=lambda f: f.sort_key)
    merged.errors.sort(key=lambda e: e.path)
    reported = set(merged.files)
    skipped = [t for t in targets if t.is_file() and t not in reported]
    return ScopedResult(merged, skipped)


_PROJECTS: dict[tuple[Path, Settings], dict[Path, list[Finding]]] = {}


def project_findings(root: Path, settings: Settings) -> dict[Path, list[Finding]]:
    """Every finding of the project at ``root`` by absolute file path, computed once per process
    (for the flake8 plugin, which asks file by file). ``# noqa`` is left to the caller."""
    key = (root, settings)
    cached = _PROJECTS.get(key)
    if cached is None:
        # flake8 shows no fixes: skip planning them
        result = run_check([root], replace(settings, plan_fixes=False), root, honour_noqa=False)
        cached = {path: [] for path in result.files}
        for finding in result.findings:
            path = Path(os.path.normpath(root / finding.location.path))
            cached.setdefault(path, []).append(finding)
        _PROJECTS[key] = cached
    return cached
