"""The worker pool: results in order, and the same results when processes cannot be had."""

from __future__ import annotations

import concurrent.futures
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from fastapi_pool_lint.parallel import WorkerPool, chunk_size, default_jobs

MARKER_ENV = "FPL_TEST_CRASH_MARKER"


def square(value: int) -> int:
    return value * value


def crash_once(value: int) -> int:
    """Kill the worker process the first time item 5 is seen (never in the test process)."""
    marker = Path(os.environ[MARKER_ENV])
    if value == 5 and not marker.exists() and os.getpid() != int(os.environ["FPL_TEST_PARENT"]):
        marker.write_text("crashed")
        os._exit(1)
    return value * value


def test_results_in_order() -> None:
    with WorkerPool(2) as pool:
        assert list(pool.map(square, list(range(100)))) == [i * i for i in range(100)]


def test_small_batches_and_one_job_stay_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("no pool expected")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refuse)
    with WorkerPool(2) as pool:
        assert list(pool.map(square, [1, 2, 3])) == [1, 4, 9]
    with WorkerPool(1) as pool:
        assert list(pool.map(square, list(range(50)))) == [i * i for i in range(50)]


def test_no_worker_processes_falls_back_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(*args: object, **kwargs: object) -> ProcessPoolExecutor:
        raise OSError("no semaphores here")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", unavailable)
    with WorkerPool(2) as pool:
        assert list(pool.map(square, list(range(40)))) == [i * i for i in range(40)]


def test_a_killed_worker_does_not_lose_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MARKER_ENV, str(tmp_path / "marker"))
    monkeypatch.setenv("FPL_TEST_PARENT", str(os.getpid()))
    with WorkerPool(2) as pool:
        assert list(pool.map(crash_once, list(range(40)))) == [i * i for i in range(40)]
    assert (tmp_path / "marker").exists(), "the worker really crashed"


def test_sizes() -> None:
    assert default_jobs() >= 1
    assert chunk_size(1, 2) == 1
    assert chunk_size(500, 2) == 31
    assert chunk_size(100_000, 2) == 32
