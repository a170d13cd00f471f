"""One way through the code: discover -> parse -> summarise -> project model -> rules -> locate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Union

from .config import Settings
from .discovery import SourceFile, discover, read_source_file
from .findings import Finding, Location, Related, Span
from .fixes import attach_fixes
from .model.analysis import ProjectAnalysis
from .model.project import ProjectModel
from .parsing import ParseFailure, parse_source
from .rules import ALL_RULES
from .summary.builder import summarise
from .summary.locate import locate
from .summary.records import ModuleSummary
from .suppression import excluded, filter_findings


@dataclass(frozen=True)
class FileError:
    path: str
    reason: str


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_checked: int = 0
    files: list[Path] = field(default_factory=list)  # the files reported on, absolute


def read_source(source: SourceFile) -> bytes:
    try:
        return read_source_file(source.path)
    except OSError as error:
        raise ParseFailure(f"cannot read: {error.strerror or error}") from None


def summarise_file(source: SourceFile) -> Union[ModuleSummary, FileError]:
    """Parse and summarise one file; every failure becomes a ``FileError``."""
    try:
        module = parse_source(read_source(source))
        summary, _ = summarise(
            module, path=source.display, module_name=source.module, is_package=source.is_package
        )
        return summary
    except ParseFailure as failure:
        return FileError(source.display, str(failure))
    except RecursionError:
        return FileError(source.display, "nesting too deep to analyse")


def build_project(
    sources: Sequence[SourceFile], summaries: Iterable[Union[ModuleSummary, FileError]]
) -> tuple[ProjectModel, list[FileError]]:
    entries = []
    errors: list[FileError] = []
    for source, result in zip(sources, summaries):
        if isinstance(result, FileError):
            errors.append(result)
        else:
            entries.append((result, source.aliases, str(source.path.parent)))
    return ProjectModel(entries), errors


def run_rules(analysis: ProjectAnalysis, settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    for rule in ALL_RULES:
        if settings.enabled(rule.code):
            findings.extend(rule.check(analysis))
    return findings


_UNLOCATED = Span(1, 1, 1, 1)


def attach_spans(findings: list[Finding], sources: dict[str, SourceFile]) -> list[Finding]:
    """Resolve the positions of every location the findings mention, module by module."""
    wanted: dict[str, set[int]] = {}
    for finding in findings:
        for loc in (finding.location, *(r.location for r in finding.related)):
            wanted.setdefault(loc.path, set()).add(loc.node)
    spans: dict[tuple[str, int], Span] = {}
    for path, nodes in wanted.items():
        source = sources.get(path)
        if source is None:
            continue
        try:
            located = locate(
                read_source(source),
                path=source.display,
                module_name=source.module,
                is_package=source.is_package,
                nodes=nodes,
            )
        except (ParseFailure, RecursionError):
            continue
        for node, span in located.items():
            spans[(path, node)] = span

    def with_span(loc: Location) -> Location:
        return replace(loc, span=spans.get((loc.path, loc.node), _UNLOCATED))

    out = []
    for finding in findings:
        related = tuple(Related(with_span(r.location), r.note) for r in finding.related)
        out.append(replace(finding, location=with_span(finding.location), related=related))
    return out


def _within(path: Path, targets: Sequence[Path]) -> bool:
    return any(path == target or target in path.parents for target in targets)


def run_check(
    paths: Sequence[Path],
    settings: Settings,
    cwd: Path,
    report_only: Optional[Sequence[Path]] = None,
    *,
    honour_noqa: bool = True,
) -> CheckResult:
    """Analyse the files under ``paths`` as one project; report findings and errors only for
    files that are or lie under one of ``report_only`` (absolute paths), when given.

    Suppressions (``per-file-ignores``, and ``# noqa`` unless ``honour_noqa`` is false, as for
    flake8, which reads the comments itself) are applied last.
    """
    root, sources = discover(
        paths, cwd, exclude=lambda path, is_dir: excluded(settings, path, is_dir)
    )
    summaries = [summarise_file(source) for source in sources]
    project, errors = build_project(sources, summaries)
    analysis = ProjectAnalysis(project, root, settings)
    findings = run_rules(analysis, settings)
    reported = sources
    if report_only is not None:
        reported = [source for source in sources if _within(source.path, report_only)]
        shown = {source.display for source in reported}
        findings = [f for f in findings if f.location.path in shown]
        errors = [e for e in errors if e.path in shown]
    by_path = {source.display: source for source in sources}
    located = attach_spans(findings, by_path)
    located = filter_findings(
        located,
        {display: source.path for display, source in by_path.items()},
        settings,
        honour_noqa=honour_noqa,
    )
    if settings.plan_fixes:  # after suppressions: only reported findings get fixes
        located = attach_fixes(located, analysis, by_path, settings)
    unique = {(f.location.path, f.location.span, f.code, f.message): f for f in located}
    ordered = sorted(unique.values(), key=lambda f: f.sort_key)
    return CheckResult(
        ordered,
        sorted(errors, key=lambda e: e.path),
        len(reported),
        [source.path for source in reported],
    )
