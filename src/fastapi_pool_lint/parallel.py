"""Run per-file work in worker processes: ``--jobs N``, default the CPUs this process may use.

Work items go to a ``ProcessPoolExecutor`` in chunks (fewer round trips than one item per
message, small enough to keep both workers busy to the end). On Linux the workers are forked,
so they start with the parent's imports instead of importing libcst again; elsewhere the
platform's default start method is used. When worker processes cannot be had (no semaphores in
a sandbox, a worker killed), the remaining items run in this process: slower, same results.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Callable, Optional, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

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
            # Imported here: a run answered from the cache never starts a pool.
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

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

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], *, minimum: int = 0
    ) -> Iterator[R]:
        """``fn`` over ``items``, results in order.

        With at least ``minimum`` items (default :data:`MIN_PARALLEL_ITEMS`) and more than one
        job, the work is handed to the workers at once, before the first result is asked for,
        so the caller can do other work meanwhile; otherwise it runs here, as results are read.
        """
        minimum = minimum or MIN_PARALLEL_ITEMS
        if self.jobs > 1 and items and len(items) >= minimum:
            executor = self._start()
            if executor is not None:
                from concurrent.futures.process import BrokenProcessPool

                try:
                    results = executor.map(
                        fn, items, chunksize=chunk_size(len(items), self.jobs)
                    )
                except BrokenProcessPool:
                    self._broken()
                else:
                    return self._collect(fn, items, results)
        return map(fn, items)

    def _broken(self) -> None:
        self._failed = True
        self.close()

    def _collect(
        self, fn: Callable[[T], R], items: Sequence[T], results: Iterable[R]
    ) -> Iterator[R]:
        from concurrent.futures.process import BrokenProcessPool

        done = 0
        try:
            for result in results:
                done += 1
                yield result
        except BrokenProcessPool:  # a worker died (killed, out of memory): finish here
            self._broken()
            yield from map(fn, items[done:])
