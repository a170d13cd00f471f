"""The ``fix`` command: apply the planned fixes of a check, or show them as a unified diff.

Each finding's fix was planned during the check (:mod:`.fixes`). Here the applicable ones (safe,
and unsafe with ``--unsafe-fixes``) are applied together, module by module, in one libcst pass
per module; a fix whose changes do not apply is dropped with its reason, in every module it
touches, so a multi-file fix is applied everywhere or nowhere. Files are then replaced
atomically, group by group (see :mod:`.fixes.write`), unless only a diff was asked for.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Union

from .config import Settings
from .discovery import read_source_file
from .findings import Finding
from .fixes.apply import Edited, edited_module
from .fixes.base import UNSAFE, CannotFix, Change, Plan, Target
from .fixes.edits import split_lines
from .fixes.source import ParsedModule, digest, read_module, source_for_target
from .fixes.write import Replacement, WriteFailure, replace_group
from .pipeline import CheckResult
from .scope import check_paths

EXIT_CLEAN = 0
EXIT_LEFT = 1  # findings left (fix), or changes to make (fix --diff)
EXIT_ERROR = 2


@dataclass
class Outcome:
    finding: Finding
    fixed: bool
    message: str  # what the fix did, or why it was not applied
    left: tuple[str, ...] = ()  # parts an applied fix leaves, with why


@dataclass
class FixRun:
    result: CheckResult
    outcomes: list[Outcome] = field(default_factory=list)
    files: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (old, new) text
    failures: list[str] = field(default_factory=list)  # files that could not be written

    @property
    def fixed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.fixed]

    @property
    def left(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.fixed or o.left]

    @property
    def has_errors(self) -> bool:
        return bool(self.result.errors or self.failures)


def _plan(finding: Finding) -> Plan:
    assert finding.fix is not None and finding.fix.plan is not None
    return finding.fix.plan


def _not_applicable(finding: Finding, unsafe: bool) -> Optional[str]:
    """Why the fix of ``finding`` is not applied; None when it is."""
    fix = finding.fix
    if fix is None:
        return "no automatic fix for this rule"
    if fix.plan is None or not fix.edits:
        return fix.message
    if fix.applicability == UNSAFE and not unsafe:
        return f"unsafe fix, applied only with --unsafe-fixes: {fix.message}"
    return None


class _Modules:
    """The files the selected fixes edit, read again and checked against the analysed bytes."""

    def __init__(self) -> None:
        self._loaded: dict[str, Union[ParsedModule, str]] = {}

    def get(self, target: Target) -> Union[ParsedModule, str]:
        loaded = self._loaded.get(target.key)
        if loaded is None:
            source = source_for_target(target)
            try:
                data = read_source_file(source.path)
            except OSError as error:
                loaded = f"cannot read {target.key}: {error.strerror or error}"
            else:
                if digest(data) != target.digest:
                    loaded = f"{target.key} changed on disk since it was analysed; not touched"
                else:
                    try:
                        loaded = read_module(source)
                    except CannotFix as reason:
                        loaded = str(reason)
            self._loaded[target.key] = loaded
        if isinstance(loaded, ParsedModule) and loaded.target.digest != target.digest:
            return f"{target.key} changed on disk since it was analysed; not touched"
        return loaded


def _changes(findings: Iterable[Finding], key: str) -> list[Change]:
    return [c for f in findings for c in _plan(f).changes if c.module == key]


def _edit_modules(
    selected: list[Finding], modules: _Modules
) -> tuple[dict[str, Edited], dict[int, str]]:
    """Apply the selected fixes per module; the fixes that fail there, with why."""
    by_module: dict[str, list[Finding]] = {}
    targets: dict[str, Target] = {}
    for finding in selected:
        for target in _plan(finding).targets:
            by_module.setdefault(target.key, []).append(finding)
            targets[target.key] = target
    edited: dict[str, Edited] = {}
    failed: dict[int, str] = {}
    for key, group in by_module.items():
        parsed = modules.get(targets[key])
        if isinstance(parsed, str):
            for finding in group:
                failed[id(finding)] = parsed
            continue
        try:
            edited[key] = edited_module(parsed.editor, _changes(group, key))
            continue
        except CannotFix:
            pass
        kept: list[Finding] = []  # together they fail: keep what applies, in order
        for finding in group:
            try:
                edited_module(parsed.editor, _changes([*kept, finding], key))
            except CannotFix as reason:
                failed[id(finding)] = f"not applied: {reason}"
            else:
                kept.append(finding)
    return edited, failed


def _groups(findings: Sequence[Finding]) -> list[list[str]]:
    """Module keys that must be written together (connected by multi-file fixes)."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    for finding in findings:
        keys = [t.key for t in _plan(finding).targets]
        for key in keys:
            find(key)
        for other in keys[1:]:
            parent[find(other)] = find(keys[0])
    groups: dict[str, list[str]] = {}
    for key in sorted(parent):
        groups.setdefault(find(key), []).append(key)
    return list(groups.values())


def run_fix(
    paths: Sequence[Path],
    settings: Union[Settings, Callable[[Path], Settings]],
    cwd: Path,
    *,
    unsafe: bool,
    write: bool,
) -> FixRun:
    """Check ``paths`` as ``check`` does (the whole project, findings under ``paths``), apply the
    applicable fixes (to disk when ``write``) and say what is left. A fix is applied only if
    every file it edits lies under ``paths``."""
    result = check_paths(paths, settings, cwd).result
    run = FixRun(result)
    in_scope = {str(path) for path in result.files}
    reasons: dict[int, str] = {}
    selected: list[Finding] = []
    for finding in result.findings:
        why = _not_applicable(finding, unsafe)
        if why is None:
            outside = [t.key for t in _plan(finding).targets if t.path not in in_scope]
            if outside:
                why = f"the fix also edits {', '.join(outside)}, outside the paths given"
        if why is None:
            selected.append(finding)
        else:
            reasons[id(finding)] = why
    modules = _Modules()
    while True:
        edited, failed = _edit_modules(selected, modules)
        if not failed:
            break
        reasons.update(failed)
        selected = [f for f in selected if id(f) not in failed]
    changed = {key: e for key, e in edited.items() if e.data != e.parsed.data}
    if write:
        for group in _groups(selected):
            replacements = [
                Replacement(key, e.parsed.source.path, e.parsed.data, e.data)
                for key, e in ((key, changed.get(key)) for key in group)
                if e is not None
            ]
            try:
                replace_group(replacements)
            except WriteFailure as failure:
                run.failures.append(str(failure))
                for finding in selected:
                    if any(t.key in group for t in _plan(finding).targets):
                        reasons[id(finding)] = f"not written: {failure}"
                for key in group:
                    changed.pop(key, None)
    for key, e in sorted(changed.items()):
        run.files[key] = (e.parsed.module.code, e.text)
    for finding in result.findings:
        why = reasons.get(id(finding))
        if why is None:
            plan = _plan(finding)
            run.outcomes.append(Outcome(finding, True, plan.message, plan.left))
        else:
            run.outcomes.append(Outcome(finding, False, why))
    return run


# --------------------------------------------------------------------------- output


def _position(finding: Finding) -> str:
    span = finding.location.span
    return f"{span.line}:{span.column}" if span is not None else "1:1"


def render_report(run: FixRun, *, dry_run: bool) -> str:
    """Per file: what was fixed and what was left, with why; then a summary line."""
    lines: list[str] = []
    by_file: dict[str, list[Outcome]] = {}
    for outcome in run.outcomes:
        by_file.setdefault(outcome.finding.location.path, []).append(outcome)
    verb = "would fix" if dry_run else "fixed"
    for path in sorted(by_file):
        lines.append(path)
        for outcome in by_file[path]:
            finding = outcome.finding
            where = f"{_position(finding)} {finding.code}"
            if outcome.fixed:
                others = [t.key for t in _plan(finding).targets if t.key != path]
                also = f" (edits {', '.join(others)})" if others else ""
                lines.append(f"  {verb}: {where} {outcome.message}{also}")
                lines.extend(f"  left: {where} {part}" for part in outcome.left)
            else:
                lines.append(f"  left: {where} {outcome.message}")
    lines.extend(f"error: {failure}" for failure in run.failures)
    if not run.outcomes:
        files = run.result.files_checked
        lines.append(f"No findings in {files} file{'s' if files != 1 else ''}.")
        return "\n".join(lines)
    fixed = run.fixed
    partly = sum(1 for o in fixed if o.left)
    left = sum(1 for o in run.outcomes if not o.fixed)
    files = len(run.files)
    summary = (
        f"{'Would fix' if dry_run else 'Fixed'} {len(fixed)} of {len(run.outcomes)} "
        f"finding{'s' if len(run.outcomes) != 1 else ''}"
    )
    if partly:
        summary += f" ({partly} partly)"
    summary += f" in {files} file{'s' if files != 1 else ''}; {left} left."
    lines.append(summary)
    return "\n".join(lines)


def _diff_lines(lines: Iterable[str]) -> Iterable[str]:
    for line in lines:
        if line.endswith(("\n", "\r")):
            yield line
        else:
            yield line + "\n\\ No newline at end of file\n"


def render_diff(run: FixRun) -> str:
    """A unified diff of every file the fixes change (``a/`` and ``b/`` prefixes, like git)."""
    out: list[str] = []
    for key, (old, new) in sorted(run.files.items()):
        out.extend(
            _diff_lines(
                difflib.unified_diff(
                    split_lines(old),
                    split_lines(new),
                    fromfile=f"a/{key}",
                    tofile=f"b/{key}",
                )
            )
        )
    return "".join(out)


def exit_code(run: FixRun, *, dry_run: bool) -> int:
    if run.has_errors:
        return EXIT_ERROR
    if dry_run:
        return EXIT_LEFT if run.files else EXIT_CLEAN
    return EXIT_LEFT if run.left else EXIT_CLEAN
