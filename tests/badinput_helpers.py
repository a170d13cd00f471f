"""A project with one finding next to the bad input, the front doors run on it as users do, and
snapshots of the tree to show that nothing was written."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

from .frontdoor_helpers import BIN, run

# The finding every bad-input project carries next to the bad file: FPL004 at 2:10, safely
# fixable (``fix`` adds ``pool_timeout=30``).
ENGINE = "from sqlalchemy import create_engine\nengine = create_engine('postgresql://h/db')\n"
ENGINE_FINDING = ("engine.py", 2, 10, "FPL004")
LINT = str(BIN / "fastapi-pool-lint")

Snapshot = dict[str, tuple[str, Any]]


def project(tmp_path: Path, name: str = "proj") -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    (root / "engine.py").write_text(ENGINE)
    return root


def snapshot(root: Path) -> Snapshot:
    """Every entry under ``root`` (links not followed): bytes and mode of files, link targets,
    the kind of anything else. The analysis cache is left out (``--no-cache`` runs write none)."""
    out: Snapshot = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory, name)
            key = path.relative_to(root).as_posix()
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                out[key] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                out[key] = ("file", (path.read_bytes(), stat.S_IMODE(info.st_mode)))
            else:
                out[key] = ("other", stat.S_IFMT(info.st_mode))
    return out


def lint(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([LINT, *args], root)


def check_json(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[tuple[str, int, int, str]]]:
    """``check --format json`` (no cache: nothing may be written) and its findings."""
    proc = lint(root, "check", "--no-cache", "--format", "json", *args)
    findings = [(f["path"], f["line"], f["column"], f["code"]) for f in json.loads(proc.stdout or "[]")]
    return proc, findings


def assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr


def assert_refused(
    root: Path, path: str, message: str, *args: str, finding: tuple[str, int, int, str] = ENGINE_FINDING
) -> None:
    """``check`` reports ``path: message`` on stderr, still reports the other file's finding,
    exits 2, prints no traceback and writes nothing."""
    before = snapshot(root)
    proc, findings = check_json(root, *args)
    assert_no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert f"{path}: {message}" in proc.stderr.splitlines(), proc.stderr
    assert finding in findings
    assert snapshot(root) == before


def assert_fix_leaves_it(root: Path, path: str, message: str, *args: str) -> None:
    """``fix`` reports the same problem, exits 2, fixes the other file and writes nothing else."""
    before = snapshot(root)
    proc = lint(root, "fix", *args)
    assert_no_traceback(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{path}: {message}" in proc.stderr.splitlines(), proc.stderr
    after = snapshot(root)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed == {"engine.py"}
    assert b"pool_timeout=30" in (root / "engine.py").read_bytes()
