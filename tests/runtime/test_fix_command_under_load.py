"""Runtime proof of the fix command: each flagged example, after ``fastapi-pool-lint fix
--unsafe-fixes`` (run on a copy, nothing edited by hand), serves every request of the burst that
freezes it (see ``test_examples_under_load.py`` for the flagged runs and the load). For the
async route the fix leaves FPL001 (an async route is not rewritten) and moves the blocking call
to the threadpool (FPL002): that alone keeps the event loop free."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest

from ..fixhelpers import invoke
from .conftest import EXAMPLES, SUMMARIES
from .harness import READY_PATH, Server, installed_versions, load, probe

pytestmark = [
    pytest.mark.runtime,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals stop the servers"),
]

FLAGGED = ("original_report", "response_model", "async_route", "sqlmodel_tutorial")
REQUESTS = 150
TIMEOUT = 6.0
PROBE_TIMEOUT = 1.5


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flagged examples, copied and fixed by ``fix --unsafe-fixes``."""
    root = tmp_path_factory.mktemp("fixed-examples")
    for example in FLAGGED:
        shutil.copytree(EXAMPLES / example, root / example)
    result = invoke(["fix", "--unsafe-fixes", "."], root)
    report = result.stdout
    assert "Fixed 5 of 6 findings in 4 files; 1 left." in report, report
    assert "left: 42:1 FPL001 No automatic fix: route `index`: the route is async" in report
    return root


@pytest.fixture
def serve_fixed(fixed: Path, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(example: str, python: str = sys.executable) -> Server:
        workdir = tmp_path / f"{example}-{len(servers)}"
        workdir.mkdir()
        server = Server(fixed / example, python, workdir / "server.log", {"EXAMPLES_DB_DIR": str(workdir)})
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def serves_everything(
    serve_fixed: Callable[..., Server], example: str, route: str, python: str = sys.executable
) -> None:
    server = serve_fixed(example, python=python)
    result = load(server.url + route, REQUESTS, TIMEOUT)
    route_after = probe(server.url + route, PROBE_TIMEOUT)
    loop_after = probe(server.url + READY_PATH, PROBE_TIMEOUT)
    SUMMARIES.append(
        f"{example} after `fix --unsafe-fixes`: {result.summary()}; then {route} {route_after}, "
        f"{READY_PATH} {loop_after}  [{installed_versions(python)}]"
    )
    assert result.ok == REQUESTS, result.summary()
    assert (route_after, loop_after) == ("ok", "ok")


def test_fixed_original_report_on_fastapi_081(
    serve_fixed: Callable[..., Server], fastapi_081_python: str
) -> None:
    serves_everything(serve_fixed, "original_report", "/", python=fastapi_081_python)


def test_fixed_original_report(serve_fixed: Callable[..., Server]) -> None:
    serves_everything(serve_fixed, "original_report", "/")


def test_fixed_response_model_route(serve_fixed: Callable[..., Server]) -> None:
    serves_everything(serve_fixed, "response_model", "/items/1")


def test_fixed_async_route(serve_fixed: Callable[..., Server]) -> None:
    serves_everything(serve_fixed, "async_route", "/")


def test_fixed_sqlmodel_tutorial(serve_fixed: Callable[..., Server]) -> None:
    serves_everything(serve_fixed, "sqlmodel_tutorial", "/books/")
