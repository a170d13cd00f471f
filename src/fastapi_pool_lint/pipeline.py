"""One way through the code: discover -> parse -> summarise -> project model -> rules -> locate.

``run_check`` reads and hashes every file, then, with the cache on, first looks for the findings
of exactly this project state (every file's content and place, the dependency files, the
settings): a run on an unchanged tree stops there, without importing libcst or the model. Else
each file's summary comes from the cache or from a worker process (``jobs``), the project phase
runs on the summaries, and the modules where findings land get their spans, from the cache or
from a worker that parses them again. The project phase takes from the cache the evaluated calls
of every module that neither changed nor read a module that changed (``model/callgraph.py``).

The cyclic garbage collector is paused during a run: the summaries and the model's memo tables
are hundreds of thousands of long-lived objects without cycles, which the collector would
otherwise traverse again and again (measured: loading 500 cached summaries 1.2 s with it, 0.2 s
without). The summariser breaks its own reference cycle, so CSTs are freed as soon as dropped.
"""

from __future__ import annotations

import dataclasses
import gc
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from .cache import Cache, content_hash, decode, digest, file_key, namespace
from .calls_cache import KnownCalls
from .config import Settings
from .discovery import SourceFile, discover, read_source_file
from .findings import Finding, Location, Related, Span
from .parallel import MIN_PARALLEL_ITEMS, WorkerPool

if TYPE_CHECKING:
    from .model.analysis import ProjectAnalysis
    from .model.project import ProjectModel
    from .summary.records import ModuleSummary


@dataclass(frozen=True)
class FileError:
    path: str
    reason: str


@dataclass(frozen=True)
class FileTask:
    """One file's work for a worker: its bytes (as hashed) and where to cache the result."""

    data: bytes
    display: str
    module: str
    is_package: bool
    entry: Optional[str] = None
    spans_entry: Optional[str] = None  # also write the spans here (see ``_summaries``)
    nodes: tuple[int, ...] = ()  # to locate
    statements: tuple[int, ...] = ()  # the summary's ``statement_anchors``


def _start_worker() -> None:
    gc.enable()  # workers collect garbage as usual; only the parent pauses the collector


def _summary_job(task: FileTask) -> bytes:
    from .worker import summary_task  # imported in the worker: the parent may never need libcst

    return summary_task(task)


def _locate_job(task: FileTask) -> bytes:
    from .worker import locate_task

    return locate_task(task)


@dataclass
class CheckStats:
    """What a run did, for ``--statistics``-style reporting and for tests (never timed)."""

    files: int = 0
    summarised: int = 0  # parsed and summarised in this run
    summaries_cached: int = 0  # summaries read from the cache
    located: int = 0  # modules parsed again for spans
    spans_cached: int = 0  # modules whose spans came from the cache
    result_cached: bool = False  # the whole result came from the cache
    calls_reused: int = 0  # modules whose evaluated calls came from the cache
    jobs: int = 1


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_checked: int = 0
    files: list[Path] = field(default_factory=list)  # the files reported on, absolute
    stats: CheckStats = field(default_factory=CheckStats, compare=False)


# Set by the command line, which exits without tearing anything down: the run's objects are
# kept here instead of being freed one by one (0.14 s of CPU at 2,000 modules), and frozen out
# of the collector's sight.
_KEPT_UNTIL_EXIT: Optional[list[object]] = None


def keep_run_objects_until_exit() -> None:
    """For a process that ends with ``os._exit`` right after its one run."""
    global _KEPT_UNTIL_EXIT
    _KEPT_UNTIL_EXIT = []


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_source(source: SourceFile) -> bytes:
    from .parsing import ParseFailure

    try:
        return read_source_file(source.path)
    except OSError as error:
        raise ParseFailure(f"cannot read: {error.strerror or error}") from None


def summarise_file(source: SourceFile) -> Union[ModuleSummary, FileError]:
    """Parse and summarise one file; every failure becomes a ``FileError``."""
    from .parsing import ParseFailure
    from .worker import summarise_bytes

    try:
        data = read_source(source)
    except ParseFailure as failure:
        return FileError(source.display, str(failure))
    return summarise_bytes(data, source.display, source.module, source.is_package)


def build_project(
    sources: Sequence[SourceFile], summaries: Iterable[Union[ModuleSummary, FileError]]
) -> tuple[ProjectModel, list[FileError]]:
    from .model.project import ProjectModel

    entries = []
    errors: list[FileError] = []
    for source, result in zip(sources, summaries):
        if isinstance(result, FileError):
            errors.append(result)
        else:
            entries.append((result, source.aliases, str(source.path.parent)))
    return ProjectModel(entries), errors


def run_rules(analysis: ProjectAnalysis, settings: Settings) -> list[Finding]:
    from .rules import ALL_RULES

    findings: list[Finding] = []
    for rule in ALL_RULES:
        if settings.enabled(rule.code):
            findings.extend(rule.check(analysis))
    return findings


_UNLOCATED = Span(1, 1, 1, 1)


def wanted_nodes(findings: Iterable[Finding]) -> dict[str, set[int]]:
    """The node ids every location of the findings mentions, per module."""
    wanted: dict[str, set[int]] = {}
    for finding in findings:
        for loc in (finding.location, *(r.location for r in finding.related)):
            wanted.setdefault(loc.path, set()).add(loc.node)
    return wanted


def with_spans(findings: list[Finding], spans: Mapping[tuple[str, int], Span]) -> list[Finding]:
    def located(loc: Location) -> Location:
        return replace(loc, span=spans.get((loc.path, loc.node), _UNLOCATED))

    out = []
    for finding in findings:
        related = tuple(Related(located(r.location), r.note) for r in finding.related)
        out.append(replace(finding, location=located(finding.location), related=related))
    return out


def attach_spans(findings: list[Finding], sources: dict[str, SourceFile]) -> list[Finding]:
    """Resolve the positions of every location the findings mention, module by module."""
    from .worker import locate_bytes

    spans: dict[tuple[str, int], Span] = {}
    for path, nodes in wanted_nodes(findings).items():
        source = sources.get(path)
        if source is None:
            continue
        try:
            data = source.path.read_bytes()
        except OSError:
            continue
        located = locate_bytes(data, source.display, source.module, source.is_package)
        for node in nodes:
            if located is not None and 0 <= node < len(located):
                spans[(path, node)] = located[node]
    return with_spans(findings, spans)


def finish(
    findings: list[Finding], errors: list[FileError], reported: Sequence[SourceFile]
) -> CheckResult:
    unique = {(f.location.path, f.location.span, f.code, f.message): f for f in findings}
    ordered = sorted(unique.values(), key=lambda f: f.sort_key)
    return CheckResult(
        ordered,
        sorted(errors, key=lambda e: e.path),
        len(reported),
        [source.path for source in reported],
    )


def _within(path: Path, targets: Sequence[Path]) -> bool:
    return any(path == target or target in path.parents for target in targets)


# --------------------------------------------------------------------------- the run


@dataclass
class _File:
    source: SourceFile
    data: Optional[bytes]  # None: unreadable
    key: str  # cache key of its summary and spans ("" when unreadable)
    unreadable: Optional[FileError] = None


def _read_all(sources: Sequence[SourceFile]) -> list[_File]:
    files = []
    for source in sources:
        try:
            data = read_source_file(source.path)
        except OSError as error:
            reason = f"cannot read: {error.strerror or error}"
            files.append(_File(source, None, "", FileError(source.display, reason)))
            continue
        files.append(_File(source, data, file_key(content_hash(data), source.module, source.is_package)))
    return files


def _canonical(value: object) -> str:
    """A stable text for settings: sets sorted, dataclasses field by field."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        inner = ", ".join(
            f"{f.name}={_canonical(getattr(value, f.name))}" for f in dataclasses.fields(value)
        )
        return f"{type(value).__name__}({inner})"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_canonical(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted((_canonical(k), _canonical(v)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    return repr(value)


def _dependency_files(root: Path, files: Sequence[_File]) -> list[bytes]:
    """Where FastAPI/SQLAlchemy versions are read from (see ``model.versions``), with contents."""
    from .model.dependency_files import DEPENDENCY_FILES

    directories: set[Path] = {root}
    for file in files:
        directory = file.source.path.parent
        while directory not in directories:
            directories.add(directory)
            if directory == root or root not in directory.parents:
                break
            directory = directory.parent
    wanted = frozenset(name.split("/", 1)[0] for name in DEPENDENCY_FILES)
    out = []
    for directory in sorted(directories):
        try:  # one listing per directory rather than one failed open per name
            present = wanted.intersection(os.listdir(directory))
        except OSError:
            continue
        for name in DEPENDENCY_FILES:
            if name.split("/", 1)[0] not in present:
                continue
            path = directory / name
            try:
                data = path.read_bytes()
            except OSError:
                continue
            out.append(str(path).encode() + b"\0" + content_hash(data).encode())
    return out


def project_key(
    root: Path, cwd: Path, settings: Settings, files: Sequence[_File], *scope: object
) -> str:
    """Everything the findings of a run depend on (``scope``: what is reported, and how)."""
    parts = [namespace().encode(), str(root).encode(), str(cwd).encode()]
    parts.append(_canonical(settings).encode())
    parts.append(_canonical(scope).encode())
    for file in files:
        parts.append(file.source.place() + b"\0" + file.key.encode())
    parts.extend(_dependency_files(root, files))
    return digest(*parts)


def _summaries(
    files: Sequence[_File], store: Optional[Cache], pool: WorkerPool, stats: CheckStats
) -> list[Union[ModuleSummary, FileError]]:
    """Every file's summary: cached ones read here while the workers summarise the rest."""
    from .summary.records import ModuleSummary

    out: list[Union[ModuleSummary, FileError, None]] = [None] * len(files)
    cached: list[int] = []
    todo: list[int] = []
    for i, file in enumerate(files):
        if file.unreadable is not None:
            out[i] = file.unreadable
        elif store is not None and store.path("summaries", file.key).exists():
            cached.append(i)
        else:
            todo.append(i)
    # Largest files first: the last chunks to finish are then the small ones (a shorter tail).
    todo.sort(key=lambda i: -len(files[i].data or b""))

    # A run that re-summarises a few changed files among many cached ones also takes their
    # spans from the same parse (0.35x a parse): a changed file is where new findings land,
    # and locating it later would parse it again.
    incremental = store is not None and len(todo) <= max(4, len(cached) // 50)

    def task(i: int) -> FileTask:
        file = files[i]
        assert file.data is not None
        entry = spans = None
        if store is not None:
            entry = str(store.path("summaries", file.key))
            if incremental:
                spans = str(store.path("spans", file.key))
        source = file.source
        return FileTask(file.data, source.display, source.module, source.is_package, entry, spans)

    if store is None and (pool.jobs == 1 or len(todo) < MIN_PARALLEL_ITEMS):
        from .worker import summarise_bytes

        for i in todo:
            t = task(i)
            out[i] = summarise_bytes(t.data, t.display, t.module, t.is_package)
        todo = []
    if store is not None and todo:
        store.prepare()
    # With cached summaries to read meanwhile, even one file is worth a worker: it parses
    # (and imports libcst) while this process reads the cache.
    minimum = 1 if len(cached) >= MIN_PARALLEL_ITEMS else MIN_PARALLEL_ITEMS
    started = pool.map(_summary_job, [task(i) for i in todo], minimum=minimum)
    # While the workers parse: the project phase's imports, then the cached summaries.
    from . import rules  # noqa: F401
    from .model import analysis  # noqa: F401

    stale: list[int] = []
    for i in cached:
        value = store.get("summaries", files[i].key) if store is not None else None
        if isinstance(value, ModuleSummary):
            value.path = files[i].source.display
            out[i] = value
        elif isinstance(value, FileError):
            out[i] = FileError(files[i].source.display, value.reason)
        else:  # unreadable or corrupt: rebuilt below
            stale.append(i)
    stats.summaries_cached = len(cached) - len(stale)
    for i, blob in zip(todo, started):
        out[i] = _summary_from(blob, task(i))
    for i, blob in zip(stale, pool.map(_summary_job, [task(i) for i in stale])):
        out[i] = _summary_from(blob, task(i))
    stats.summarised = len(todo) + len(stale)
    done = [value for value in out if value is not None]
    assert len(done) == len(out), "every file has a summary or an error"
    return done


def _summary_from(blob: bytes, task: FileTask) -> Union[ModuleSummary, FileError]:
    from .summary.records import ModuleSummary

    value = decode(blob)
    if isinstance(value, (ModuleSummary, FileError)):
        return value
    from .worker import summarise_bytes  # not from our workers: do it here

    return summarise_bytes(task.data, task.display, task.module, task.is_package)


def _spans(
    findings: list[Finding],
    files: Mapping[str, _File],
    summaries: Mapping[str, ModuleSummary],
    store: Optional[Cache],
    pool: WorkerPool,
    stats: CheckStats,
) -> dict[tuple[str, int], Span]:
    """The spans of every node the findings mention: from the cache, else located by workers
    that parse only the top-level statements holding them (see ``summary.locate``)."""
    spans: dict[tuple[str, int], Span] = {}
    todo: list[tuple[str, set[int]]] = []
    for path, nodes in sorted(wanted_nodes(findings).items()):
        file = files.get(path)
        if file is None or file.data is None:
            continue
        cached = store.get("spans", file.key) if store is not None else None
        if isinstance(cached, dict) and all(isinstance(cached.get(n), Span) for n in nodes):
            stats.spans_cached += 1
            for node in nodes:
                spans[(path, node)] = cached[node]
        else:
            todo.append((path, nodes))
    stats.located = len(todo)
    todo.sort(key=lambda item: -len(files[item[0]].data or b""))
    tasks = []
    for path, nodes in todo:
        file = files[path]
        assert file.data is not None
        entry = str(store.path("spans", file.key)) if store is not None else None
        summary = summaries.get(path)
        statements = summary.statement_anchors if summary is not None else ()
        source = file.source
        tasks.append(
            FileTask(
                file.data,
                source.display,
                source.module,
                source.is_package,
                entry,
                nodes=tuple(sorted(nodes)),
                statements=statements,
            )
        )
    if store is not None and tasks:
        store.prepare()
    for (path, nodes), blob in zip(todo, pool.map(_locate_job, tasks)):
        located = decode(blob)
        if not isinstance(located, dict):
            continue
        for node in nodes:
            span = located.get(node)
            if isinstance(span, Span):
                spans[(path, node)] = span
    return spans


def run_check(
    paths: Sequence[Path],
    settings: Settings,
    cwd: Path,
    report_only: Optional[Sequence[Path]] = None,
    *,
    honour_noqa: bool = True,
    jobs: int = 1,
    cache: bool = False,
) -> CheckResult:
    """Analyse the files under ``paths`` as one project; report findings and errors only for
    files that are or lie under one of ``report_only`` (absolute paths), when given.

    Suppressions (``per-file-ignores``, and ``# noqa`` unless ``honour_noqa`` is false, as for
    flake8, which reads the comments itself) are applied last, then fixes are planned for what
    is left when ``settings.plan_fixes``. ``jobs``: worker processes; ``cache``: use the
    project's cache.
    """
    with _collector_paused():
        # The run's locals (summaries, model, memo tables) die as ``_run`` returns, before the
        # collector is back: re-enabled with them alive, its first pass traversed every one of
        # them (0.5 s of CPU at 2,000 modules), though they are freed by reference counting.
        # Kept until exit instead, they are frozen: the collector never looks at them again.
        result = _run(paths, settings, cwd, report_only, honour_noqa, jobs, cache)
        if _KEPT_UNTIL_EXIT is not None:
            gc.freeze()
        return result


def _run(
    paths: Sequence[Path],
    settings: Settings,
    cwd: Path,
    report_only: Optional[Sequence[Path]],
    honour_noqa: bool,
    jobs: int,
    cache: bool,
) -> CheckResult:
    from .suppression import excluded, filter_findings

    root, sources = discover(
        paths, cwd, exclude=lambda path, is_dir: excluded(settings, path, is_dir)
    )
    stats = CheckStats(files=len(sources), jobs=max(1, jobs))
    files = _read_all(sources)
    store = Cache(root) if cache else None
    key = None
    if store is not None and not any(f.unreadable for f in files):
        scope = sorted(str(p) for p in report_only) if report_only is not None else None
        key = project_key(root, cwd, settings, files, scope, honour_noqa)
        cached = store.get("results", key)
        if isinstance(cached, CheckResult):
            stats.result_cached = True
            cached.stats = stats
            return cached
    with WorkerPool(jobs, initializer=_start_worker) as pool:
        summaries = _summaries(files, store, pool, stats)
        project, errors = build_project(sources, summaries)
        from .model.analysis import ProjectAnalysis

        keys = {file.source.display: file.key for file in files}
        known = KnownCalls.load(store, project, sources, keys, settings.session_factories)
        analysis = ProjectAnalysis(project, root, settings, known_calls=known.calls)
        findings = run_rules(analysis, settings)
        stats.calls_reused = known.keep(analysis)
        reported = sources
        if report_only is not None:
            reported = [source for source in sources if _within(source.path, report_only)]
            shown = {source.display for source in reported}
            findings = [f for f in findings if f.location.path in shown]
            errors = [e for e in errors if e.path in shown]
        by_path = {file.source.display: file for file in files}
        spans = _spans(findings, by_path, project.modules, store, pool, stats)
        if _KEPT_UNTIL_EXIT is not None:
            _KEPT_UNTIL_EXIT.append((files, summaries, project, analysis, spans))
    located = filter_findings(
        with_spans(findings, spans),
        {source.display: source.path for source in sources},
        settings,
        honour_noqa=honour_noqa,
    )
    if settings.plan_fixes:  # after suppressions: only reported findings get fixes
        from .fixes import attach_fixes

        located = attach_fixes(
            located, analysis, {source.display: source for source in sources}, settings
        )
    result = finish(located, errors, reported)
    result.stats = stats
    if store is not None:
        if key is not None:
            store.put("results", key, replace(result, stats=CheckStats()))
        store.settle({file.key for file in files if file.key}, stats.summarised + stats.located)
    return result
