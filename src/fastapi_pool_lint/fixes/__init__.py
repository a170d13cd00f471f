"""Fixes: one fixer per rule plans libcst changes for each finding; edits come out as text.

``attach_fixes`` replaces each finding's display-only fix with the fixer's answer: its
applicability, a message, the text edits of every module it touches (relative to the files as
analysed) and the plan the ``fix`` command applies. A fix the fixer refuses stays display-only,
with the reason in its message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..config import Settings
from ..discovery import SourceFile
from ..findings import Edit, Finding, Fix
from ..model.analysis import ProjectAnalysis
from .apply import edited_statements
from .base import DISPLAY_ONLY, CannotFix, Plan, Target
from .context import FixContext, Fixer
from .edits import text_edits
from .fpl001 import SessionDependencyFixer
from .fpl002 import BlockingCallFixer
from .fpl003 import PoolTimeoutNoneFixer
from .fpl004 import ImplicitPoolTimeoutFixer
from .source import SourceCache

FIXERS: tuple[type[Fixer], ...] = (
    SessionDependencyFixer,
    BlockingCallFixer,
    PoolTimeoutNoneFixer,
    ImplicitPoolTimeoutFixer,
)


def materialise(plan: Plan, sources: SourceCache) -> tuple[tuple[Target, ...], tuple[Edit, ...]]:
    """The modules a plan edits and its text edits; :class:`CannotFix` if it does not apply."""
    targets: list[Target] = []
    edits: list[Edit] = []
    for key in plan.modules:
        parsed = sources.get(key)
        edited = edited_statements(parsed.editor, plan.changes)
        targets.append(parsed.target)
        edits.extend(text_edits(key, parsed.editor.original_text, edited.text))
    if not edits:
        raise CannotFix("nothing left to change")
    return tuple(targets), tuple(edits)


def _refused(finding: Finding, reason: str) -> Fix:
    previous = finding.fix
    return Fix(
        DISPLAY_ONLY,
        f"No automatic fix: {reason}",
        suggestion=previous.suggestion if previous is not None else None,
    )


def plan_fix(fixer: Fixer, finding: Finding, sources: SourceCache) -> Fix:
    try:
        plan = fixer.plan(finding)
    except CannotFix as reason:
        return _refused(finding, str(reason))
    if not plan.changes:
        previous = finding.fix
        suggestion = plan.suggestion or (previous.suggestion if previous is not None else None)
        return Fix(DISPLAY_ONLY, plan.message, suggestion=suggestion, left=plan.left, plan=plan)
    try:
        targets, edits = materialise(plan, sources)
    except CannotFix as reason:
        return _refused(finding, str(reason))
    plan = replace(plan, targets=targets)
    return Fix(
        plan.applicability,
        plan.message,
        edits=edits,
        suggestion=plan.suggestion,
        left=plan.left,
        plan=plan,
    )


def attach_fixes(
    findings: Sequence[Finding],
    analysis: ProjectAnalysis,
    sources: Mapping[str, SourceFile],
    settings: Settings,
) -> list[Finding]:
    """``findings`` with each fix planned (edits, applicability, or why there is none)."""
    cache = SourceCache(analysis.project, sources)
    context = FixContext(analysis, cache, settings)
    fixers = {fixer.code: fixer(context) for fixer in FIXERS}
    out: list[Finding] = []
    for finding in findings:
        fixer = fixers.get(finding.code)
        if fixer is None:
            out.append(finding)
            continue
        out.append(replace(finding, fix=plan_fix(fixer, finding, cache)))
    return out
