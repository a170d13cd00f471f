"""Suppressions: inline ``# noqa``, file-level ``# flake8: noqa``, ``per-file-ignores``.

The inline comment follows flake8 exactly, so the CLI and the flake8 plugin agree:

- ``# noqa`` (any case) anywhere on the line turns off every code; ``# noqa: FPL002,FPL004``
  (or ``# noqa:FPL002 FPL004``) turns off those codes and codes they prefix. A ``# noqa:`` whose
  code list cannot be read counts as a bare ``# noqa``, as in flake8.
- "The line" is the line the finding is reported on, joined with the lines a multi-line token
  (a triple-quoted string) spans: flake8 maps lines this way, so a comment after a string that
  spans several lines covers all of them, while a call split over lines needs the comment on its
  first line (where findings are reported).
- A line starting with ``# flake8: noqa`` turns off the whole file.

``per-file-ignores`` patterns use gitignore syntax relative to the configuration file's directory.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Optional

import pathspec

from .config import Settings
from .findings import Finding

INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_SEPARATORS = re.compile(r"[,\s]")
_ANY_NOQA = re.compile("noqa", re.IGNORECASE)  # what both patterns above require


def decode(data: bytes) -> str:
    """Source text with its declared encoding (BOM or PEP 263 cookie), else UTF-8, lossily."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        text = data.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def logical_lines(lines: Sequence[str]) -> dict[int, str]:
    """For each 1-based line, the text the ``noqa`` search reads: the lines from one line break
    token (``NL``/``NEWLINE``) to the next, as flake8 groups them.

    Lines that cannot be tokenized map to nothing; callers then fall back to the physical line.
    """
    out: dict[int, str] = {}
    first, last = None, -1
    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first = token.start[0] if first is None else min(first, token.start[0])
            last = max(last, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[first - 1 : last])
                out.update(dict.fromkeys(range(first, last + 1), joined))
                first, last = None, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return out


def noqa_codes(text: str) -> Optional[frozenset[str]]:
    """``None`` without a ``# noqa``; an empty set for a bare one; else the listed codes."""
    match = INLINE.search(text)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return frozenset()
    return frozenset(item.strip() for item in _SEPARATORS.split(codes) if item.strip())


def suppressed_by(codes: Optional[frozenset[str]], code: str) -> bool:
    if codes is None:
        return False
    return not codes or code in codes or code.startswith(tuple(codes))


class SourceComments:
    """The ``noqa`` comments of one file."""

    def __init__(self, text: str) -> None:
        # Both comment forms contain "noqa" (any case): without it, nothing is suppressed, and
        # the file need not be split or tokenized (most files with findings have none).
        self.any_noqa = _ANY_NOQA.search(text) is not None
        self.lines = text.splitlines(keepends=True) if self.any_noqa else []
        self.file_noqa = any(FILE.match(line) for line in self.lines)
        self._logical: Optional[dict[int, str]] = None

    def line_text(self, number: int) -> str:
        if self._logical is None:
            self._logical = logical_lines(self.lines)
        text = self._logical.get(number)
        if text is None and 1 <= number <= len(self.lines):
            text = self.lines[number - 1]
        return text or ""

    def suppresses(self, code: str, line: int) -> bool:
        if not self.any_noqa:
            return False
        return self.file_noqa or suppressed_by(noqa_codes(self.line_text(line)), code)


@lru_cache(maxsize=512)
def _spec(pattern: str) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])


def relative_to_base(path: Path, base: Optional[Path]) -> Optional[str]:
    """``path`` relative to ``base`` in posix form; ``None`` when it is not under it."""
    if base is None:
        return None
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            return None


def matches(pattern: str, relative: str, is_dir: bool = False) -> bool:
    return _spec(pattern).match_file(relative + ("/" if is_dir else ""))


def per_file_ignored(settings: Settings, path: Path, code: str) -> bool:
    """Whether a ``per-file-ignores`` entry turns ``code`` off for ``path`` (absolute)."""
    if not settings.per_file_ignores:
        return False
    relative = relative_to_base(path, settings.base)
    if relative is None:
        return False
    return any(
        suppressed_by(entry.codes, code) and matches(entry.pattern, relative)
        for entry in settings.per_file_ignores
    )


def excluded(settings: Settings, path: Path, is_dir: bool) -> bool:
    """Whether ``extend-exclude`` removes ``path`` (absolute) from the project."""
    if not settings.extend_exclude:
        return False
    relative = relative_to_base(path, settings.base)
    if relative is None or relative == ".":
        return False
    return any(matches(pattern, relative, is_dir) for pattern in settings.extend_exclude)


def filter_findings(
    findings: Iterable[Finding],
    paths: dict[str, Path],
    settings: Settings,
    *,
    honour_noqa: bool = True,
) -> list[Finding]:
    """Drop suppressed findings; ``paths`` maps a finding's display path to the file."""
    comments: dict[str, Optional[SourceComments]] = {}
    kept = []
    for finding in findings:
        display = finding.location.path
        path = paths.get(display)
        if path is not None and per_file_ignored(settings, path, finding.code):
            continue
        if honour_noqa and path is not None:
            if display not in comments:
                try:
                    comments[display] = SourceComments(decode(path.read_bytes()))
                except OSError:
                    comments[display] = None
            source = comments[display]
            span = finding.location.span
            if source is not None and source.suppresses(finding.code, span.line if span else 1):
                continue
        kept.append(finding)
    return kept
