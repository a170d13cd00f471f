"""Fixtures for the runtime proof: servers that are always stopped, and an old-FastAPI venv."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest

from .harness import Server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
VENVS = ROOT / ".runtime-venvs"  # gitignored; reused while the requirements file is unchanged
OLD_REQUIREMENTS = EXAMPLES / "original_report" / "requirements.txt"

SUMMARIES: list[str] = []  # one line per measured run, printed at the end of the session

StartServer = Callable[..., Server]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARIES:
        terminalreporter.section("runtime proof: measured")
        for line in SUMMARIES:
            terminalreporter.write_line(line)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[StartServer]:
    """``serve(example, python=...)`` starts ``examples/<example>`` under uvicorn and returns
    the running server; every server started this way is stopped (SIGTERM, then SIGKILL) when
    the test ends, whatever happened in it."""
    servers: list[Server] = []

    def start(example: str, python: str = sys.executable) -> Server:
        workdir = tmp_path / f"{example}-{len(servers)}"
        workdir.mkdir()
        server = Server(
            app_dir=EXAMPLES / example,
            python=python,
            log_path=workdir / "server.log",
            env={"EXAMPLES_DB_DIR": str(workdir)},
        )
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.fixture(scope="session")
def fastapi_081_python() -> str:
    """An interpreter with the stack pinned in ``examples/original_report/requirements.txt``
    (FastAPI 0.81.0, the last release that ran dependency teardown in the shared threadpool).
    Built once under ``.runtime-venvs/`` and reused; skipped with pip's reason if it cannot be
    installed here."""
    digest = hashlib.sha256(OLD_REQUIREMENTS.read_bytes()).hexdigest()[:12]
    venv = VENVS / f"original_report-{digest}"
    python = _venv_python(venv)
    stamp = venv / ".installed"
    if stamp.is_file() and python.is_file():
        return str(python)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(OLD_REQUIREMENTS),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if install.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        pytest.skip(
            f"cannot install {OLD_REQUIREMENTS.relative_to(ROOT)} into a venv "
            f"(pip exit {install.returncode}): {install.stderr.strip()[-800:]}"
        )
    stamp.write_text(digest + "\n", encoding="utf-8")
    return str(python)
