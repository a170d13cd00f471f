"""Write or check ``docs/rules/CODE.md``: each page is ``ruledocs.render_markdown(rule)``.

    python -m fastapi_pool_lint.docsgen            # write the pages into docs/rules
    python -m fastapi_pool_lint.docsgen --check    # exit 1 if a page is missing or stale
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from .ruledocs import DOCS_DIR, render_markdown
from .rules import ALL_RULES, Rule


def _header(rule: Rule) -> str:
    module = type(rule).__module__
    return (
        f"<!-- Generated from {module} by `python -m fastapi_pool_lint.docsgen`. "
        "Edit the rule's RuleDoc, not this file. -->\n\n"
    )


def expected_pages() -> dict[str, str]:
    """File name -> content of every rule page: the terminal text of ``rule CODE``."""
    return {f"{rule.code}.md": _header(rule) + render_markdown(rule) for rule in ALL_RULES}


def stale_pages(directory: Path) -> list[str]:
    """Pages that are missing, differ from the code, or belong to no rule."""
    expected = expected_pages()
    problems = []
    for name, content in expected.items():
        page = directory / name
        if not page.is_file():
            problems.append(f"{page}: missing")
        elif page.read_text(encoding="utf-8") != content:
            problems.append(f"{page}: out of date")
    if directory.is_dir():
        for page in sorted(directory.glob("*.md")):
            if page.name not in expected:
                problems.append(f"{page}: no rule has this code")
    return problems


def write_pages(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in expected_pages().items():
        page = directory / name
        if not page.is_file() or page.read_text(encoding="utf-8") != content:
            page.write_text(content, encoding="utf-8", newline="\n")
            written.append(page)
    return written


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastapi_pool_lint.docsgen")
    parser.add_argument("directory", nargs="?", default=DOCS_DIR, type=Path)
    parser.add_argument("--check", action="store_true", help="report stale pages, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_pages(args.directory)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python -m fastapi_pool_lint.docsgen", file=sys.stderr)
        return 1 if problems else 0
    for page in write_pages(args.directory):
        print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
