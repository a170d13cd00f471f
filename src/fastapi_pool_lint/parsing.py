"""Read and parse one file with libcst, turning every failure into a one-line reason."""

from __future__ import annotations

import sys

import libcst as cst


class ParseFailure(Exception):
    """The file cannot be analysed; ``str(self)`` says why in one line."""


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"


def parse_source(data: bytes) -> cst.Module:
    """Parse ``data`` (encoding taken from a BOM or PEP 263 cookie, else UTF-8)."""
    if b"\x00" in data:
        raise ParseFailure("source contains a NUL byte")
    limit = sys.getrecursionlimit()
    try:
        return cst.parse_module(data)
    except cst.ParserSyntaxError as error:
        raise ParseFailure(
            f"syntax error at {error.raw_line}:{error.raw_column + 1}: {_first_line(error.message)}"
        ) from None
    except (UnicodeDecodeError, LookupError) as error:
        raise ParseFailure(f"cannot decode source: {_first_line(str(error))}") from None
    except RecursionError:
        raise ParseFailure(f"nesting too deep to analyse (Python recursion limit {limit})") from None
    except MemoryError:
        raise ParseFailure("out of memory while parsing") from None
    except Exception as error:  # libcst raises a few other types on malformed input
        raise ParseFailure(f"{type(error).__name__}: {_first_line(str(error))}") from None
