"""Benchmark ``fastapi-pool-lint check`` against the libcst parse floor, in one run.

    python benchmarks/run.py                      # generated services of 500, 1000, 2000 modules
    python benchmarks/run.py --sizes 500 --repeat 5
    python benchmarks/run.py --tree path/to/a/real/service

For each tree (a generated one, or a copy of ``--tree`` so that nothing of the original is
touched), with the same number of worker processes everywhere (``--jobs``, default: the CPUs),
every figure is the median wall time of ``--repeat`` whole-process runs, measured in rounds so
that a noisy machine disturbs all of them alike:

- ``floor``: ``benchmarks/floor.py``, libcst ``parse_module`` of every file (``ast``: the same
  with ``ast.parse``, for reference);
- ``cold``: ``check --no-cache``; ``first``: ``check`` on an empty cache (it also writes it);
- ``warm``: ``check`` again, nothing changed;
- ``1 changed``: ``check`` after a code edit (a new function) in one module;
- ``peak RSS``: the largest sum of the resident memory of ``check`` and its workers, sampled
  every 25 ms during the cold and first runs (only there: sampling takes CPU).

Then the ratios (each the median over rounds of the ratio within a round, so that a machine whose
speed drifts between rounds does not skew them), and PASS/FAIL against the targets: cold <= 2.0x floor, warm <=
0.10x cold, one changed <= 0.20x cold, peak RSS <= 500 MB for 2,000 modules, and the largest tree
(4x the smallest) costing <= 4.5x the time of the smallest.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import fastapi_pool_lint  # noqa: E402
from benchmarks.generate import generate  # noqa: E402
from fastapi_pool_lint.cache import CACHE_DIR_NAME  # noqa: E402
from fastapi_pool_lint.discovery import SKIPPED_DIRS  # noqa: E402
from fastapi_pool_lint.parallel import default_jobs  # noqa: E402

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is in the dev extra
    psutil = None

COLD_VS_FLOOR = 2.0
WARM_VS_COLD = 0.10
ONE_CHANGED_VS_COLD = 0.20
RSS_LIMIT_MB = 500.0
RSS_AT_MODULES = 2000
GROWTH_LIMIT = 4.5


@dataclass
class Run:
    wall: float
    cpu: float  # user + system of the process and its workers
    peak_rss_mb: float  # sum over the process tree, sampled
    returncode: int


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


def _only_file_errors(returncode: int, stderr: str) -> bool:
    """Exit 2 because some files of a real tree do not parse (templates, say): a whole run."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    return returncode == 2 and bool(lines) and all(
        ": cannot parse: " in line or ": cannot read: " in line for line in lines
    )


def measure(command: list[str], cwd: Path, *, sample_memory: bool = False) -> Run:
    """Run ``command`` to completion; wall time, CPU time and (``sample_memory``) the peak RSS
    of its process tree, sampled every 25 ms (sampling costs CPU, so only when asked)."""
    # stderr to a file, not a pipe: a chatty command must not block while we wait for it.
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        peak = 0
        tracked = psutil.Process(child.pid) if psutil is not None and sample_memory else None
        while True:
            pid, status, usage = os.wait4(child.pid, 0 if tracked is None else os.WNOHANG)
            if pid:
                break
            if tracked is not None:
                peak = max(peak, _tree_rss(tracked))
            time.sleep(0.025)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if child.returncode not in (0, 1) and not _only_file_errors(child.returncode, stderr):
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{stderr}")
    if psutil is None:  # no psutil: the largest single process, as the kernel counted it
        peak = usage.ru_maxrss * 1024
    return Run(wall, usage.ru_utime + usage.ru_stime, peak / 2**20, child.returncode)


@dataclass
class TreeResult:
    name: str
    modules: int
    lines: int
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def wall(self, mode: str) -> float:
        return statistics.median(r.wall for r in self.runs[mode])

    def cpu(self, mode: str) -> float:
        return statistics.median(r.cpu for r in self.runs[mode])

    def ratio(self, mode: str, base: str) -> float:
        """The median over rounds of ``mode / base`` within each round (robust to drift)."""
        pairs = zip(self.runs[mode], self.runs[base])
        return statistics.median(a.wall / b.wall for a, b in pairs)

    def peak_rss(self) -> float:
        return max(r.peak_rss_mb for mode in ("cold", "first") for r in self.runs[mode])


def count(tree: Path) -> tuple[int, int]:
    modules = lines = 0
    for root, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in files:
            if name.endswith(".py"):
                modules += 1
                with open(os.path.join(root, name), "rb") as handle:
                    lines += handle.read().count(b"\n")
    return modules, lines


def edit_target(tree: Path) -> Path:
    """The module the one-file change edits: the median one by path, deterministically."""
    files: list[Path] = []
    for root, dirs, names in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        files.extend(Path(root, n) for n in sorted(names) if n.endswith(".py"))
    candidates = [f for f in files if f.name != "__init__.py"] or files
    chosen: Path = sorted(candidates)[len(candidates) // 2]
    return chosen


def bench_tree(name: str, tree: Path, jobs: int, repeat: int, log: Callable[[str], None]) -> TreeResult:
    modules, lines = count(tree)
    result = TreeResult(name, modules, lines)
    python = sys.executable
    floor = [python, str(HERE / "floor.py"), str(tree), "--jobs", str(jobs)]
    check = [python, "-m", "fastapi_pool_lint", "check", "--jobs", str(jobs), "-q", str(tree)]
    cache = tree / CACHE_DIR_NAME
    target = edit_target(tree)
    original = target.read_bytes()
    edits = 0

    def edit() -> None:
        nonlocal edits
        edits += 1
        addition = (
            f"\n\ndef _benchmark_edit_{edits}(value):\n"
            f"    return len(str(value)) + {edits}\n"
        )
        target.write_bytes(original + addition.encode())

    def clean() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    steps: list[tuple[str, Callable[[], None], list[str]]] = [
        ("floor", lambda: None, [*floor, "--parser", "libcst"]),
        ("ast", lambda: None, [*floor, "--parser", "ast"]),
        ("cold", lambda: None, [*check, "--no-cache"]),
        ("first", clean, check),
        ("warm", lambda: None, check),
        ("changed", edit, check),
    ]
    for mode in ("floor", "cold"):  # warm-up: imports and files in the page cache
        measure(next(c for m, _, c in steps if m == mode), tree)
    try:
        for round_ in range(repeat):
            for mode, prepare, command in steps:
                prepare()
                run = measure(command, tree, sample_memory=mode in ("cold", "first"))
                result.runs.setdefault(mode, []).append(run)
            log(
                f"  {name} round {round_ + 1}/{repeat}: "
                + ", ".join(f"{m} {result.runs[m][-1].wall:.2f}s" for m, _, _ in steps)
            )
    finally:
        target.write_bytes(original)
        clean()
    return result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: list[TreeResult], jobs: int) -> tuple[str, bool]:
    lines = []
    header = (
        "| tree | modules | lines | floor libcst | floor ast | cold | first (writes cache) "
        "| warm | 1 changed | peak RSS |"
    )
    lines += [header, "|" + "---|" * 10]
    for r in results:
        lines.append(
            f"| {r.name} | {r.modules:,} | {r.lines:,} | {r.wall('floor'):.2f} s | "
            f"{r.wall('ast'):.2f} s | {r.wall('cold'):.2f} s | {r.wall('first'):.2f} s | "
            f"{r.wall('warm'):.2f} s | {r.wall('changed'):.2f} s | {r.peak_rss():.0f} MB |"
        )
    lines += ["", "CPU time (user + system, whole process tree, median):", ""]
    lines += ["| tree | floor libcst | cold | first | warm | 1 changed |", "|" + "---|" * 6]
    for r in results:
        lines.append(
            f"| {r.name} | {r.cpu('floor'):.2f} s | {r.cpu('cold'):.2f} s | "
            f"{r.cpu('first'):.2f} s | {r.cpu('warm'):.2f} s | {r.cpu('changed'):.2f} s |"
        )
    lines += ["", "| check | tree | ratio | target | verdict |", "|---|---|---|---|---|"]
    for r in results:
        lines.append(
            f"| cold / floor in CPU time, for reference | {r.name} | "
            f"{r.cpu('cold') / r.cpu('floor'):.2f}x | | |"
        )
    all_ok = True

    def row(what: str, tree: str, value: float, target: str, ok: bool, unit: str = "x") -> None:
        nonlocal all_ok
        all_ok = all_ok and ok
        shown = f"{value:.2f}x" if unit == "x" else f"{value:.0f}{unit}"
        lines.append(f"| {what} | {tree} | {shown} | {target} | {verdict(ok)} |")

    for r in results:
        cold = r.ratio("cold", "floor")
        row("cold / floor", r.name, cold, f"<= {COLD_VS_FLOOR}x", cold <= COLD_VS_FLOOR)
        first = r.ratio("first", "floor")
        lines.append(f"| first (writes the cache) / floor, for reference | {r.name} | {first:.2f}x | | |")
        warm = r.ratio("warm", "cold")
        row("warm / cold", r.name, warm, f"<= {WARM_VS_COLD}x", warm <= WARM_VS_COLD)
        changed = r.ratio("changed", "cold")
        row("1 changed / cold", r.name, changed, f"<= {ONE_CHANGED_VS_COLD}x",
            changed <= ONE_CHANGED_VS_COLD)
        if r.modules >= RSS_AT_MODULES:
            row("peak RSS", r.name, r.peak_rss(), f"<= {RSS_LIMIT_MB:.0f} MB",
                r.peak_rss() <= RSS_LIMIT_MB, " MB")
    if len(results) > 1:
        small, large = results[0], results[-1]
        size = large.modules / small.modules
        growth = large.wall("cold") / small.wall("cold")
        floor_growth = large.wall("floor") / small.wall("floor")
        row(f"cold growth ({size:.1f}x modules)", f"{large.name} / {small.name}", growth,
            f"<= {GROWTH_LIMIT}x", growth <= GROWTH_LIMIT)
        lines.append(f"| floor growth, for reference | {large.name} / {small.name} | "
                     f"{floor_growth:.2f}x | | |")
    cpu = platform.processor() or platform.machine()
    lines += [
        "",
        f"{jobs} worker processes; Python {platform.python_version()}; {cpu}; "
        f"{os.cpu_count()} CPUs; median of the rounds.",
    ]
    return "\n".join(lines), all_ok


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="500,1000,2000", help="generated tree sizes")
    parser.add_argument("--tree", type=Path, help="benchmark a copy of this tree instead")
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="where trees are written (default: a temp dir)")
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    # Bytecode as an installed package has it (pip compiles at install time; an editable
    # checkout under PYTHONDONTWRITEBYTECODE would otherwise recompile every module per run).
    package = Path(fastapi_pool_lint.__file__).parent
    compileall.compile_dir(str(package), quiet=1)
    workdir = Path(tempfile.mkdtemp(prefix="fpl-bench-", dir=args.workdir))
    results = []
    try:
        if args.tree is not None:
            source = args.tree.resolve()
            if not source.is_dir():
                parser.error(f"{args.tree}: not a directory")
            tree = workdir / source.name
            shutil.copytree(source, tree, symlinks=True,
                            ignore=shutil.ignore_patterns(*SKIPPED_DIRS, CACHE_DIR_NAME))
            log(f"benchmarking a copy of {source}")
            results.append(bench_tree(source.name, tree, args.jobs, args.repeat, log))
        else:
            for size in (int(s) for s in args.sizes.split(",")):
                tree = workdir / f"svc{size}"
                generate(tree, size, args.seed)
                log(f"generated {size} modules in {tree}")
                results.append(bench_tree(f"{size}", tree, args.jobs, args.repeat, log))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text, ok = report(results, args.jobs)
    print(text)
    print(f"\nOverall: {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
