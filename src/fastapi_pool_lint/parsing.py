"""Read and parse one file with libcst, turning every failure into a one-line reason.

Before libcst sees a file, it is decoded as Python would (BOM, PEP 263 cookie, else UTF-8) and
checked for NUL bytes and for nesting deep enough to overflow libcst's native parser (see
:mod:`.nesting`); the parse itself runs on a thread with a stack large enough for whatever that
check lets through, so no input can crash the process. A reason names the position and quotes
the source line. For a syntax error, the running Python's own parser gives the message when it
rejects the file too (its messages are the ones people know); when it accepts what libcst
rejects, the reason says so, and names the node libcst failed on.
"""

from __future__ import annotations

import ast
import codecs
import io
import os
import queue
import re
import sys
import threading
import tokenize
import warnings
from types import TracebackType
from typing import Callable, Optional, TypeVar

import libcst as cst

from .nesting import WORST_CASE_STACK, find_too_deep

T = TypeVar("T")

# Twice what the deepest accepted input was measured to need, in whole MiB.
PARSE_STACK_SIZE = (2 * WORST_CASE_STACK + (1 << 20) - 1) & ~((1 << 20) - 1)
_SOURCE_LINE_LIMIT = 80
# A PEP 263 encoding declaration (the pattern ``tokenize`` uses).
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


class ParseFailure(Exception):
    """The file cannot be analysed; ``str(self)`` says why in one line."""


def _libcst_version() -> str:
    try:
        from libcst._version import __version__

        return str(__version__)
    except ImportError:  # pragma: no cover
        return "?"


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"


def _source_line(text: str, line: int) -> str:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    source = lines[line - 1].strip()
    if len(source) > _SOURCE_LINE_LIMIT:
        source = source[: _SOURCE_LINE_LIMIT - 3] + "..."
    return f" (source: {source})" if source else ""


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset].splitlines(keepends=True)
    if not before or before[-1].endswith(("\n", "\r")):
        return len(before) + 1, 1
    return len(before), len(before[-1]) + 1


# --------------------------------------------------------------------------- decoding


def decode_source(data: bytes) -> str:
    """The text of ``data`` as Python reads it; ParseFailure (with where) when it cannot."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise ParseFailure(f"cannot decode source: {_encoding_problem(data, str(error))}") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise ParseFailure(
            f"cannot decode source: {_undecodable(data, error.start, encoding)}"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _declaration(data: bytes) -> Optional[tuple[int, str]]:
    """The PEP 263 declaration in the first two lines: its line and encoding."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    for number, line in enumerate(data.splitlines()[:2], start=1):
        match = _COOKIE.match(line)
        if match is not None:
            return number, match.group(1).decode("ascii")
        if line.strip() and not line.lstrip().startswith(b"#"):
            break
    return None


def _undecodable(data: bytes, start: int, encoding: str) -> str:
    line = data.count(b"\n", 0, start) + 1
    line_start = data.rfind(b"\n", 0, start) + 1
    column = len(data[line_start:start].decode(encoding, errors="replace")) + 1
    byte = data[start : start + 1].hex()
    declared = _declaration(data)
    if declared is None:
        return (
            f"byte 0x{byte} at {line}:{column} is not valid UTF-8, and there is no encoding "
            "declaration (PEP 263)"
        )
    return (
        f"byte 0x{byte} at {line}:{column} is not valid {declared[1]}, the encoding declared "
        f"on line {declared[0]}"
    )


def _encoding_problem(data: bytes, message: str) -> str:
    """Why ``tokenize.detect_encoding`` refused the first two lines, with where."""
    declared = _declaration(data)
    if message.startswith("invalid or missing encoding declaration"):
        offset = 0
        for line in data.splitlines(keepends=True)[:2]:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                return _undecodable(data, offset + error.start, "utf-8")
            offset += len(line)
    if declared is not None and data.startswith(codecs.BOM_UTF8):
        return (
            f"the file starts with a UTF-8 byte order mark but line {declared[0]} declares "
            f"{declared[1]}"
        )
    if declared is not None and message.startswith("unknown encoding"):
        return f"unknown encoding {declared[1]!r} declared on line {declared[0]}"
    return _first_line(message)


# --------------------------------------------------------------------------- the parse thread


class _Job:
    """One call handed to the parse thread; ``done`` is released once it has run."""

    __slots__ = ("done", "failure", "function", "outcome")

    def __init__(self, function: Callable[[], object]) -> None:
        self.function = function
        self.outcome: object = None
        self.failure: Optional[BaseException] = None
        self.done = threading.Lock()
        self.done.acquire()

    def run(self) -> None:
        try:
            self.outcome = self.function()
        except BaseException as error:  # handed to the calling thread
            self.failure = error
        finally:
            self.function = None  # type: ignore[assignment]  # drop what the call held
            self.done.release()


class _ParseThread:
    """A daemon thread with a :data:`PARSE_STACK_SIZE` stack that runs jobs one at a time.

    One thread per process, reused for every parse: a fresh thread per parse costs its stack
    anew each time (a 75 MiB stack is beyond glibc's cache of thread stacks, so every parse
    faulted in about 330 fresh pages: +20 % on libcst's parse time; measured on 500 modules).
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        previous = threading.stack_size(PARSE_STACK_SIZE)  # ValueError/RuntimeError: unsupported
        try:
            self.thread = threading.Thread(
                target=self._serve, name="fastapi-pool-lint-parse", daemon=True
            )
            self.thread.start()  # RuntimeError: cannot start a thread (resource limits)
        finally:
            threading.stack_size(previous)

    def _serve(self) -> None:
        while True:
            self.jobs.get().run()


_parse_thread: Optional[_ParseThread] = None
_parse_thread_lock = threading.Lock()


def _the_parse_thread() -> Optional[_ParseThread]:
    """This process's parse thread (a forked child starts its own), or None when none can be."""
    global _parse_thread
    with _parse_thread_lock:
        current = _parse_thread
        if current is None or current.pid != os.getpid():
            try:
                current = _ParseThread()
            except (ValueError, RuntimeError):
                return None
            _parse_thread = current
        return current


def _forget_parse_thread() -> None:
    """In a forked child: the parent's thread did not come along (nor may its lock be free)."""
    global _parse_thread, _parse_thread_lock
    _parse_thread = None
    _parse_thread_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parse_thread)


def run_with_large_stack(function: Callable[[], T]) -> T:
    """``function()`` on a thread with a :data:`PARSE_STACK_SIZE` stack (in this thread if no
    such thread can be started); its exception, if any, is raised here."""
    worker = _the_parse_thread()
    if worker is None or threading.current_thread() is worker.thread:
        return function()
    job = _Job(function)
    worker.jobs.put(job)
    job.done.acquire()
    if job.failure is not None:
        raise job.failure
    return job.outcome  # type: ignore[return-value]


# --------------------------------------------------------------------------- parsing


def parse_source(data: bytes) -> cst.Module:
    """Parse ``data`` (encoding taken from a BOM or PEP 263 cookie, else UTF-8)."""
    text = decode_source(data)
    nul = text.find("\0")
    if nul >= 0:
        line, column = _position(text, nul)
        raise ParseFailure(f"source contains a NUL byte at {line}:{column} (a binary file?)")
    deep = find_too_deep(text)
    if deep is not None:
        raise ParseFailure(
            f"too deeply nested to analyse: {deep.reason} at {deep.line}:{deep.column}"
            + _source_line(text, deep.line)
        )
    try:
        return run_with_large_stack(lambda: cst.parse_module(data))
    except cst.ParserSyntaxError as error:
        raise ParseFailure(_syntax_error(text, error)) from None
    except RecursionError:
        raise ParseFailure("too deeply nested to analyse (Python's recursion limit)") from None
    except MemoryError:
        raise ParseFailure("out of memory while parsing") from None
    except Exception as error:  # libcst fails on a few constructs with other exceptions
        raise ParseFailure(_internal_error(text, error)) from None


def _python_verdict(text: str) -> Optional[SyntaxError]:
    """The running Python's own syntax error for ``text``, or None when it parses it."""

    def parse() -> Optional[SyntaxError]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes and the like
            try:
                compile(text, "<source>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
            except SyntaxError as error:
                return error
        return None

    try:
        return run_with_large_stack(parse)
    except Exception:  # RecursionError, MemoryError, ValueError: no verdict
        return None


def _python_name() -> str:
    return f"Python {sys.version_info[0]}.{sys.version_info[1]}"


def _from_python(text: str, error: SyntaxError) -> str:
    line = error.lineno or 1
    column = error.offset or 1
    return f"syntax error at {line}:{column}: {_first_line(error.msg)}" + _source_line(text, line)


def _syntax_error(text: str, error: cst.ParserSyntaxError) -> str:
    verdict = _python_verdict(text)
    if verdict is not None:
        return _from_python(text, verdict)
    line, column = _libcst_position(error)
    return (
        f"libcst {_libcst_version()} cannot parse this file, though {_python_name()} can: "
        f"{_libcst_message(error)} at {line}:{column}" + _source_line(text, line)
    )


def _libcst_position(error: cst.ParserSyntaxError) -> tuple[int, int]:
    """Where the parser gave up (its message says, 0-based column), else the error's start."""
    message = error.message
    marker = "error at "
    if marker in message:
        place = message.split(marker, 1)[1].split(":", 2)
        if len(place) >= 2 and place[0].isdigit() and place[1].isdigit():
            return int(place[0]), int(place[1]) + 1
    return error.raw_line, error.raw_column + 1


def _libcst_message(error: cst.ParserSyntaxError) -> str:
    message = _first_line(error.message)
    for prefix in ("parser error: ", "tokenizer error: "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    if message.startswith("error at ") and ": " in message:
        message = message.split(": ", 1)[1]
    return message


def _internal_error(text: str, error: Exception) -> str:
    """libcst raised something other than a syntax error: a construct it does not support."""
    reason = f"libcst {_libcst_version()} cannot parse this file"
    detail = f"{type(error).__name__}: {_first_line(str(error))}"
    place: Optional[int] = None
    node = _failing_node(error.__traceback__)
    if node is not None:
        name, code = node
        offset = text.find(code) if code else -1
        if offset >= 0:
            line, column = _position(text, offset)
            place = line
            reason += f": it fails on a {name} node at {line}:{column} ({detail})"
        else:
            reason += f": it fails on a {name} node ({detail})"
    else:
        reason += f" ({detail})"
    verdict = _python_verdict(text)
    if verdict is None:
        reason += f"; {_python_name()} parses it"
    else:
        line, column = verdict.lineno or 1, verdict.offset or 1
        place = place or line
        reason += f"; {_python_name()} rejects it too: {_first_line(verdict.msg)} at {line}:{column}"
    return reason + (_source_line(text, place) if place else "")


def _failing_node(trace: Optional[TracebackType]) -> Optional[tuple[str, str]]:
    """The innermost CST node being built when libcst failed: its type and its code."""
    found: Optional[cst.CSTNode] = None
    while trace is not None:
        candidate = trace.tb_frame.f_locals.get("self")
        if isinstance(candidate, cst.CSTNode):
            found = candidate
        trace = trace.tb_next
    if found is None:
        return None
    try:
        code = cst.Module(body=()).code_for_node(found).strip()
    except Exception:  # the node is the broken one: its code may not render
        code = ""
    return type(found).__name__, code
