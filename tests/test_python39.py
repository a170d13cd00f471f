"""The tool runs on the oldest supported Python (3.9) and finds exactly what it finds here."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def _python39() -> str | None:
    candidates = [shutil.which("python3.9") or ""]
    candidates += glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9"))
    candidates += glob.glob("/usr/bin/python3.9")
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "--version"], capture_output=True).returncode == 0:
            return candidate
    return None


PYTHON39 = _python39()


@pytest.fixture(scope="module")
def linter39(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert PYTHON39 is not None
    venv = tmp_path_factory.mktemp("py39") / "venv"
    subprocess.run([PYTHON39, "-m", "venv", str(venv)], check=True, timeout=300)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if install.returncode != 0:
        pytest.skip(f"cannot install on Python 3.9 here: {install.stderr[-300:]}")
    return venv / "bin" / "fastapi-pool-lint"


def _findings(command: list[str], target: Path) -> set[tuple[str, int, str, str]]:
    result = subprocess.run(
        [*command, "check", "--no-cache", "--format", "json", "."], cwd=target, capture_output=True, text=True, timeout=300
    )
    assert result.returncode in (0, 1), result.stderr
    return {(f["path"], f["line"], f["code"], f["message"]) for f in json.loads(result.stdout)}


@pytest.mark.skipif(PYTHON39 is None, reason="no Python 3.9 interpreter on this machine")
@pytest.mark.parametrize(
    "target",
    [FIXTURES / "single", *sorted(p for p in (FIXTURES / "projects").iterdir() if p.is_dir())],
    ids=lambda p: p.name,
)
def test_same_findings_on_python39(linter39: Path, target: Path) -> None:
    here = _findings([sys.executable, "-m", "fastapi_pool_lint"], target)
    assert _findings([str(linter39)], target) == here
