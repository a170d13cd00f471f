"""The parse floor: read and parse every Python file of a tree, in N worker processes.

``python benchmarks/floor.py TREE --jobs 2 --parser libcst`` is the least any libcst-based tool
must do: walk the tree (skipping the directories ``check`` skips), read each file and run
``libcst.parse_module`` on it, in the same number of worker processes as ``check --jobs``, with
the same start method and chunking. ``--parser ast`` does the same with ``ast.parse`` (CPython's
C parser) for reference. Nothing is kept: each tree is dropped once parsed.
"""

from __future__ import annotations

import argparse
import ast
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from fastapi_pool_lint.discovery import SKIPPED_DIRS
from fastapi_pool_lint.parallel import chunk_size


def python_files(tree: Path) -> list[str]:
    out: list[str] = []
    for root, dirs, files in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        out.extend(os.path.join(root, name) for name in sorted(files) if name.endswith(".py"))
    return out


def parse_libcst(path: str) -> int:
    import libcst

    with open(path, "rb") as handle:
        data = handle.read()
    try:
        libcst.parse_module(data)
    except Exception:
        return 0
    return 1


def parse_ast(path: str) -> int:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        ast.parse(data)
    except (SyntaxError, ValueError):
        return 0
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Parse every Python file of a tree.")
    parser.add_argument("tree", type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--parser", choices=("libcst", "ast"), default="libcst")
    args = parser.parse_args(argv)
    files = python_files(args.tree)
    work = parse_libcst if args.parser == "libcst" else parse_ast
    if args.parser == "libcst":
        import libcst  # noqa: F401  (imported once, before the workers fork, as check does)
    if args.jobs <= 1:
        parsed = sum(map(work, files))
    else:
        context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
            parsed = sum(pool.map(work, files, chunksize=chunk_size(len(files), args.jobs)))
    print(f"{parsed}/{len(files)} files parsed with {args.parser}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
