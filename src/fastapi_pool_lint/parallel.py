"""Run per-file work in worker processes: ``--jobs N``, default the CPUs this process may use.

Work items go to a ``ProcessPoolExecutor`` in chunks (fewer round trips than one item per
message, small enough to keep both workers busy to the end). On Linux the workers are forked,
so they start with the parent's imports instead of importing libcst again; elsewhere the
platform's default start method is used. When worker processes cannot be had (no semaphores in
a sandbox, a worker killed), the remaining items run in this process: slower, same results.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Optional, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items a pool costs more than it saves (fork, pipes, pickling).
MIN_PARALLEL_ITEMS = 8


def default_jobs() -> int:
    """The number of CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def chunk_size(items: int, jobs: int) -> int:
    """About eight chunks per worker, at most 32 items each."""
    return max(1, min(32, items // (jobs * 8)))


class WorkerPool:
    """A lazily started process pool, shared by the phases of one run."""

    def __init__(self, jobs: int, initializer: Optional[Callable[[], None]] = None) -> None:
        self.jobs = max(1, jobs)
        self.initializer = initializer
        self._executor: Optional[ProcessPoolExecutor] = None
        self._failed = False

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _start(self) -> Optional[ProcessPoolExecutor]:
        if self._executor is None and not self._failed:
            try:
                context = (
                    multiprocessing.get_context("fork") if sys.platform == "linux" else None
                )
                self._executor = ProcessPoolExecutor(
                    max_workers=self.jobs, mp_context=context, initializer=self.initializer
                )
            except (OSError, ImportError, NotImplementedError, ValueError):
                self._failed = True
        return self._executor

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """``fn`` over ``items``, results in order; in worker processes when that pays."""
        if self.jobs == 1 or len(items) < MIN_PARALLEL_ITEMS:
            yield from map(fn, items)
            return
        executor = self._start()
        if executor is None:
            yield from map(fn, items)
            return
        done = 0
        try:
            for result in executor.map(fn, items, chunksize=chunk_size(len(items), self.jobs)):
                done += 1
                yield result
        except BrokenProcessPool:
            self._failed = True
            self.close()
            yield from map(fn, items[done:])
