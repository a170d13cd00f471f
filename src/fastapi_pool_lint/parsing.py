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
from functools import partial
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar, cast

import libcst as cst

from .nesting import MAX_CHAIN, MAX_LEVELS, MAX_LIGHT_CHAIN, WORST_CASE_STACK, find_too_deep

T = TypeVar("T")

# Twice what the deepest accepted input was measured to need, in whole MiB.
PARSE_STACK_SIZE = (2 * WORST_CASE_STACK + (1 << 20) - 1) & ~((1 << 20) - 1)
# Enough for the recursive walks over the deepest tree :mod:`.nesting` lets through (about
# four frames per level), measured to fit in :data:`PARSE_STACK_SIZE` on Python 3.9 and 3.11.
DEEP_RECURSION_LIMIT = 4 * (MAX_LEVELS * 3 + MAX_CHAIN + MAX_LIGHT_CHAIN + 200) + 1_000
_SOURCE_LINE_LIMIT = 80
# A PEP 263 encoding declaration (the pattern ``tokenize`` uses).
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


TOO_DEEP_FOR_PYTHON = "too deeply nested to analyse (Python's recursion limit)"


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
    """One function to run on the parse thread, and its outcome."""

    def __init__(self, function: Callable[[], Any], recursion_limit: int) -> None:
        self.function = function
        self.recursion_limit = recursion_limit
        self.done = threading.Event()
        self.value: Any = None
        self.error: Optional[BaseException] = None


class _ParseThread:
    """One long-lived thread with a :data:`PARSE_STACK_SIZE` stack, per process.

    Starting a thread per file costs about 10% of a parse (measured on 200 generated modules:
    fresh stack pages fault in again for every file); a thread that stays keeps them. A forked
    worker starts its own (threads do not survive ``fork``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: Optional[threading.Thread] = None
        self._pid = -1

    def is_current(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def is_alive(self) -> bool:
        """Whether this process has its parse thread running."""
        thread = self._thread
        return thread is not None and self._pid == os.getpid() and thread.is_alive()

    def _started(self) -> bool:
        with self._lock:
            if self.is_alive():
                return True
            try:
                previous = threading.stack_size(PARSE_STACK_SIZE)
            except (ValueError, RuntimeError):
                return False
            try:
                self._jobs = queue.SimpleQueue()
                thread = threading.Thread(
                    target=self._serve, args=(self._jobs,), name="fastapi-pool-lint-parse",
                    daemon=True,
                )
                thread.start()
            except RuntimeError:  # cannot start a thread (resource limits)
                return False
            finally:
                threading.stack_size(previous)
            self._thread, self._pid = thread, os.getpid()
            return True

    @staticmethod
    def _serve(jobs: queue.SimpleQueue[_Job]) -> None:
        while True:
            job = jobs.get()
            previous = sys.getrecursionlimit()
            try:
                if job.recursion_limit > previous:
                    sys.setrecursionlimit(job.recursion_limit)
                job.value = job.function()
            except BaseException as error:  # handed to the calling thread
                job.error = error
            finally:
                if sys.getrecursionlimit() != previous:
                    sys.setrecursionlimit(previous)
                job.done.set()

    def run(self, function: Callable[[], T], recursion_limit: int) -> Optional[_Job]:
        """Run ``function`` there; None when no such thread can be had."""
        if not self._started():
            return None
        job = _Job(function, recursion_limit)
        self._jobs.put(job)
        job.done.wait()
        return job


_PARSE_THREAD = _ParseThread()


def _forget_parse_thread() -> None:
    """In a forked child: the parent's thread did not come along, nor may its lock be free."""
    global _PARSE_THREAD
    _PARSE_THREAD = _ParseThread()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parse_thread)


def run_with_large_stack(function: Callable[[], T], *, deep_recursion: bool = False) -> T:
    """``function()`` on a thread with a :data:`PARSE_STACK_SIZE` stack (in this thread if no
    such thread can be had); its exception, if any, is raised here.

    ``deep_recursion``: Python's recursion limit is raised to :data:`DEEP_RECURSION_LIMIT`
    meanwhile, for recursive walks over the trees of deeply nested files (the summary, spans),
    which :mod:`.nesting` lets through up to limits made for libcst's native parser.
    """
    limit = DEEP_RECURSION_LIMIT if deep_recursion else 0
    if _PARSE_THREAD.is_current():
        if limit > sys.getrecursionlimit():
            previous = sys.getrecursionlimit()
            sys.setrecursionlimit(limit)
            try:
                return function()
            finally:
                sys.setrecursionlimit(previous)
        return function()
    job = _PARSE_THREAD.run(function, limit)
    if job is None:
        return function()
    if job.error is not None:
        raise job.error
    return cast(T, job.value)


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
        raise ParseFailure(TOO_DEEP_FOR_PYTHON) from None
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
    message = _first_line(error.msg)
    lines = text.splitlines()
    if 1 <= line <= len(lines) and lines[line - 1][column - 1 : column] == "`":
        message += " (backquotes are Python 2's repr(): this looks like a Python 2 file)"
    return f"syntax error at {line}:{column}: {message}" + _source_line(text, line)


def _syntax_error(text: str, error: cst.ParserSyntaxError) -> str:
    unsupported = _unsupported_literal(text)
    if unsupported is not None:
        return unsupported
    verdict = _python_verdict(_t_strings_as_f_strings(text))
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
    unsupported = _unsupported_literal(text)
    if unsupported is not None:
        return unsupported
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


# --------------------------------------------------------------------------- newer syntax

# A name that, written right before a string, makes it a t-string (PEP 750, Python 3.14): the
# tokenizers of older Pythons see a name and a string.
_T_PREFIX = re.compile(r"[tT][rR]?|[rR][tT]")
_LETTERS = re.compile(r"[A-Za-z]*")
# (start, end, prefix) of one string literal; a run of them is one implicit concatenation.
_Literal = tuple[tuple[int, int], tuple[int, int], str]


def _string_runs(text: str) -> list[list[_Literal]]:
    """The string literals of ``text``, grouped into implicit concatenations (as far as this
    Python's tokenizer gets)."""
    runs: list[list[_Literal]] = []
    current: list[_Literal] = []
    pending: Optional[tokenize.TokenInfo] = None  # a name that may be a t-string prefix
    depth = 0  # inside an f-string (t-string) split into tokens (Python 3.12+)

    def flush() -> None:
        if current:
            runs.append(current.copy())
            current.clear()

    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = tokenize.tok_name[token.type]
            if depth:
                depth += kind.endswith("STRING_START") - kind.endswith("STRING_END")
                if not depth:
                    current[-1] = (current[-1][0], token.end, current[-1][2])
                continue
            if token.type in (tokenize.NL, tokenize.COMMENT):
                continue
            if pending is not None:
                name, pending = pending, None
                if token.type == tokenize.STRING and name.end == token.start:
                    current.append((name.start, token.end, name.string + _prefix(token.string)))
                    continue
                flush()
            if token.type == tokenize.NAME and _T_PREFIX.fullmatch(token.string):
                pending = token
            elif kind.endswith("STRING_START"):
                current.append((token.start, token.end, _prefix(token.string)))
                depth = 1
            elif token.type == tokenize.STRING:
                current.append((token.start, token.end, _prefix(token.string)))
            else:
                flush()
    except (tokenize.TokenError, SyntaxError):  # the parse error itself: keep what was found
        pass
    flush()
    return runs


def _t_strings_as_f_strings(text: str) -> str:
    """``text`` with each t-string made an f-string (same length), for a Python older than
    3.14 to judge the rest: it would stop at the first t-string, libcst's error is elsewhere."""
    if sys.version_info >= (3, 14):
        return text
    lines = text.splitlines(keepends=True)
    for run in _string_runs(text):
        for (line, column), _, prefix in run:
            at = prefix.lower().find("t")
            if at >= 0:
                source = lines[line - 1]
                lines[line - 1] = source[: column + at] + "f" + source[column + at + 1 :]
    return "".join(lines)


def _prefix(literal: str) -> str:
    match = _LETTERS.match(literal)
    return match.group() if match else ""


def _unsupported_literal(text: str) -> Optional[str]:
    """The first t-string (PEP 750, Python 3.14) libcst cannot parse, named, with where."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    for run in _string_runs(text):
        prefixes = [prefix.lower() for _, _, prefix in run]
        if not any("t" in prefix for prefix in prefixes):
            continue
        (first, column), (last, end) = run[0][0], run[-1][1]
        literal = f"({text[starts[first - 1] + column : starts[last - 1] + end]})"
        try:
            run_with_large_stack(partial(cst.parse_expression, literal))
            continue
        except Exception:  # what libcst fails on: name it
            pass
        if not all("t" in prefix for prefix in prefixes):
            return (
                f"syntax error at {first}:{column + 1}: a t-string concatenated with another "
                "kind of string literal (PEP 750 forbids it)" + _source_line(text, first)
            )
        if len(run) > 1:
            what = "the implicit concatenation of t-strings (PEP 750, Python 3.14)"
        else:
            what = f"the t-string prefix {run[0][2]!r} (PEP 750, Python 3.14)"
        return (
            f"libcst {_libcst_version()} cannot parse {what} at {first}:{column + 1}"
            + _source_line(text, first)
        )
    return None
