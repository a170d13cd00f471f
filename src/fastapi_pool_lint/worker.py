"""The per-file work of a run: parse + summarise, and locate; run in worker processes.

Each task carries the file's bytes (read once by the parent, which hashed them for the cache
key), so what is summarised is exactly what was hashed. A task returns its result as an encoded
cache entry (see :mod:`.cache`): the worker pickles once, writes that to the cache when asked,
and the same bytes travel back to the parent. No CST outlives its task.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from .cache import encode, read_entry, write_atomic
from .findings import Span
from .parsing import TOO_DEEP_FOR_PYTHON, ParseFailure, parse_source, run_with_large_stack
from .pipeline import FileError, FileTask
from .summary.builder import summarise
from .summary.locate import lean_positions, locate_all, locate_nodes
from .summary.records import ModuleSummary


def summarise_bytes(
    data: bytes, display: str, module: str, is_package: bool
) -> Union[ModuleSummary, FileError]:
    """Parse and summarise one file; every failure becomes a ``FileError``."""
    return _summarise(data, display, module, is_package, with_spans=False)[0]


def _summarise(
    data: bytes, display: str, module: str, is_package: bool, *, with_spans: bool
) -> tuple[Union[ModuleSummary, FileError], Optional[tuple[Span, ...]]]:
    """The summary and, ``with_spans``, the span of every node id, from one parse (on the
    parse thread: the walks over a deeply nested tree recurse as deep as it goes)."""

    def work() -> tuple[ModuleSummary, Optional[tuple[Span, ...]]]:
        tree = parse_source(data)
        summary, anchors = summarise(tree, path=display, module_name=module, is_package=is_package)
        return summary, (tuple(lean_positions(tree, anchors)) if with_spans else None)

    try:
        return run_with_large_stack(work, deep_recursion=True)
    except ParseFailure as failure:
        return FileError(display, str(failure)), None
    except RecursionError:
        return FileError(display, TOO_DEEP_FOR_PYTHON), None


def locate_bytes(
    data: bytes, display: str, module: str, is_package: bool
) -> Optional[tuple[Span, ...]]:
    """The span of every node id of a file, or None when it no longer parses."""
    try:
        return run_with_large_stack(
            lambda: locate_all(data, path=display, module_name=module, is_package=is_package),
            deep_recursion=True,
        )
    except (ParseFailure, RecursionError):
        return None


def _finish(value: object, task: FileTask) -> bytes:
    blob = encode(value)
    if task.entry is not None:
        write_atomic(Path(task.entry), blob)
    return blob


def summary_task(task: FileTask) -> bytes:
    """Summarise; with ``task.spans_entry``, also cache the spans while the CST is at hand."""
    summary, spans = _summarise(
        task.data, task.display, task.module, task.is_package,
        with_spans=task.spans_entry is not None,
    )
    if spans is not None and task.spans_entry is not None:
        write_atomic(Path(task.spans_entry), encode(dict(enumerate(spans))))
    return _finish(summary, task)


def locate_task(task: FileTask) -> bytes:
    """The spans of ``task.nodes``; with ``task.entry``, merged into that file's cached spans."""
    try:
        spans = run_with_large_stack(
            lambda: locate_nodes(
                task.data,
                path=task.display,
                module_name=task.module,
                is_package=task.is_package,
                nodes=task.nodes,
                statements=task.statements,
            ),
            deep_recursion=True,
        )
    except (ParseFailure, RecursionError):
        return encode(None)
    if task.entry is not None:
        previous = read_entry(Path(task.entry))
        merged = dict(previous) if isinstance(previous, dict) else {}
        merged.update(spans)
        write_atomic(Path(task.entry), encode(merged))
    return encode(spans)
