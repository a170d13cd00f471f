"""Start an example app under uvicorn, load it with concurrent requests, stop it whatever happens.

Used by the runtime tests and by ``python -m tests.runtime.measure`` (the numbers in
``examples/README.md``). Only 127.0.0.1 is ever contacted; every loop is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional

import httpx

VERSIONED = (
    "fastapi",
    "starlette",
    "pydantic",
    "anyio",
    "sqlalchemy",
    "sqlmodel",
    "aiosqlite",
    "uvicorn",
)
# Served by FastAPI itself from an async route: needs neither the pool nor the threadpool.
READY_PATH = "/openapi.json"


class ServerError(RuntimeError):
    """The server could not be started (its log is in the message)."""


def installed_versions(python: str) -> str:
    """``name==version`` of the packages in ``VERSIONED`` that ``python`` has."""
    code = (
        "import importlib.metadata as m\n"
        f"for name in {VERSIONED!r}:\n"
        "    try: print(f'{name}=={m.version(name)}', end=' ')\n"
        "    except m.PackageNotFoundError: pass\n"
    )
    result = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """One uvicorn process serving ``app:app`` from ``app_dir``."""

    app_dir: Path
    python: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: Optional[subprocess.Popen[bytes]] = None
    _log: Optional[IO[bytes]] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 30.0) -> None:
        self.port = free_port()
        self._log = self.log_path.open("wb")
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        env.pop("PYTHONPATH", None)  # the app imports what its interpreter has, nothing else
        # The server runs in app_dir: a relative interpreter path must not be read from there
        # (abspath, not resolve: a venv's python is a symlink that must stay one).
        python = os.path.abspath(self.python) if os.sep in self.python else self.python
        self.process = subprocess.Popen(
            [
                python,
                "-m",
                "uvicorn",
                "app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=self.app_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,  # a file, never a pipe: a pipe nobody reads can block the server
            stderr=subprocess.STDOUT,
        )
        self._wait_ready(ready_timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ServerError(f"uvicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                response = httpx.get(self.url + READY_PATH, timeout=1.0)
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            if response.status_code == 200:
                return
            time.sleep(0.1)
        raise ServerError(f"uvicorn not ready after {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 2.0) -> Optional[int]:
        """SIGTERM, then SIGKILL if it is still there after ``grace`` s (a hung uvicorn ignores
        SIGTERM: it waits for its in-flight requests). Only the PID this object started."""
        process, self.process = self.process, None
        try:
            if process is None:
                return None
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=30)
            return process.returncode
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None


@dataclass(frozen=True)
class LoadResult:
    """Outcome of one burst of concurrent requests."""

    requests: int
    ok: int
    failed: int
    hung: int
    wall: float
    failures: dict[str, int]

    def summary(self) -> str:
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(self.failures.items()))
        return (
            f"{self.ok} ok / {self.failed} failed / {self.hung} hung of {self.requests} "
            f"in {self.wall:.1f} s" + (f" ({detail})" if detail else "")
        )


async def _one(client: httpx.AsyncClient, url: str, timeout: float) -> str:
    """'ok', 'hung', or a short reason for the failure."""
    try:
        response = await asyncio.wait_for(client.get(url), timeout)
    except asyncio.TimeoutError:
        return "hung"
    except httpx.HTTPError as error:
        return type(error).__name__
    return "ok" if response.status_code < 400 else f"HTTP {response.status_code}"


async def _burst(url: str, requests: int, timeout: float) -> LoadResult:
    limits = httpx.Limits(max_connections=requests, max_keepalive_connections=requests)
    # httpx's own phase timeouts are looser than ours: the deadline is asyncio.wait_for's.
    async with httpx.AsyncClient(limits=limits, timeout=timeout + 5) as client:
        start = time.monotonic()
        outcomes = await asyncio.gather(*(_one(client, url, timeout) for _ in range(requests)))
        wall = time.monotonic() - start
    counts = Counter(outcomes)
    ok, hung = counts.pop("ok", 0), counts.pop("hung", 0)
    return LoadResult(requests, ok, sum(counts.values()), hung, wall, dict(counts))


def load(url: str, requests: int, timeout: float) -> LoadResult:
    """Send ``requests`` GETs to ``url`` at once; each one that has not answered after
    ``timeout`` s counts as hung."""
    return asyncio.run(_burst(url, requests, timeout))


def probe(url: str, timeout: float) -> str:
    """One GET: 'ok', 'hung' or the failure."""

    async def once() -> str:
        async with httpx.AsyncClient(timeout=timeout + 5) as client:
            return await _one(client, url, timeout)

    return asyncio.run(once())
