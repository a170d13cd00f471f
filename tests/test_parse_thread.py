"""The parse thread: one per process, reused, with the large stack, and sound across forks."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading

import pytest

from fastapi_pool_lint import parsing
from fastapi_pool_lint.parsing import parse_source, run_with_large_stack


def _thread_ident() -> int:
    return threading.get_ident()


def test_calls_run_on_one_reused_thread_other_than_the_callers() -> None:
    first = run_with_large_stack(_thread_ident)
    second = run_with_large_stack(_thread_ident)
    assert first == second
    assert first != threading.get_ident()


def test_the_reused_thread_has_the_large_stack() -> None:
    # 3,000 nested brackets overflow libcst's native parser on an 8 MiB stack (a segmentation
    # fault, hence the child process), not on the parse thread's; twice: the reused thread too.
    program = (
        "import libcst\n"
        "from fastapi_pool_lint.parsing import run_with_large_stack\n"
        "source = 'x = ' + '(' * 3000 + '1' + ')' * 3000 + '\\n'\n"
        "for _ in range(2):\n"
        "    assert run_with_large_stack(lambda: libcst.parse_module(source)).code == source\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def test_exceptions_reach_the_caller_and_the_thread_survives() -> None:
    def fail() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        run_with_large_stack(fail)
    assert run_with_large_stack(lambda: 42) == 42


def test_a_nested_call_runs_in_place() -> None:
    outer = run_with_large_stack(lambda: (threading.get_ident(), run_with_large_stack(_thread_ident)))
    assert outer[0] == outer[1]


def test_calls_from_several_threads_each_get_their_own_answer() -> None:
    answers: dict[int, object] = {}

    def ask(n: int) -> None:
        answers[n] = run_with_large_stack(lambda: parse_source(f"x = {n}\n".encode()).code)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {n: f"x = {n}\n" for n in range(8)}


def _child(queue: multiprocessing.Queue[object]) -> None:
    queue.put((run_with_large_stack(_thread_ident), parse_source(b"y = 1\n").code))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_starts_its_own_thread() -> None:
    run_with_large_stack(_thread_ident)  # the parent's thread exists before the fork
    assert parsing._PARSE_THREAD.is_alive()
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[object] = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    answer = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert isinstance(answer, tuple) and isinstance(answer[0], int)
    assert answer[1] == "y = 1\n"
