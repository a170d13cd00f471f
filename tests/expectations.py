"""Inline expectations: ``# expect: FPL001`` (or ``FPL001, FPL004``) on the line of a finding."""

from __future__ import annotations

import re
from pathlib import Path

EXPECT = re.compile(r"#\s*expect:\s*(FPL\d{3}(?:\s*,\s*FPL\d{3})*)")

Expected = set[tuple[str, int, str]]


def expected_in(root: Path) -> Expected:
    """(path relative to ``root``, line, code) for every expectation under ``root``."""
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    base = root.parent if root.is_file() else root
    out: Expected = set()
    for path in files:
        rel = path.relative_to(base).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                for code in match.group(1).split(","):
                    out.add((rel, number, code.strip()))
    return out
