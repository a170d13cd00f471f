"""Runtime proof: each flagged example stops answering under load; its fix serves every request.

Every app runs under uvicorn on 127.0.0.1, first answers a light load (``POOL_SIZE`` requests:
the apps work), then gets one burst of ``REQUESTS`` concurrent GETs; a request that has not
answered after ``TIMEOUT`` s counts as hung. Then one more request to the route tells whether
the service still answers, and one to ``/openapi.json`` (an async FastAPI route that needs
neither the pool nor the threadpool) tells a threadpool deadlock (it answers) from a frozen
event loop (it hangs too). The flagged runs stay short: a hang is seen as timeouts, not waited
out. Servers are stopped by the ``serve`` fixture whatever happens.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from .conftest import SUMMARIES, StartServer
from .harness import READY_PATH, LoadResult, installed_versions, load, probe

pytestmark = [
    pytest.mark.runtime,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals stop the servers"),
]

REQUESTS = 150  # > 40 threadpool workers + the pool's connections, like the report's 100 users
TIMEOUT = 6.0  # per request; the fixed apps answer all 150 in about 2 s here
PROBE_TIMEOUT = 1.5
POOL_SIZE = 4  # pool_size=4, max_overflow=0 in every example with an explicit pool


@dataclass(frozen=True)
class Run:
    load: LoadResult
    route_after: str  # 'ok', 'hung' or a failure: the route, right after the burst
    loop_after: str  # the same for /openapi.json


def run(serve: StartServer, example: str, route: str, python: str = sys.executable) -> Run:
    server = serve(example, python=python)
    # A light load first: every app works, the flagged ones only break under concurrency.
    light = load(server.url + route, POOL_SIZE, TIMEOUT)
    assert light.ok == POOL_SIZE, f"{example} fails without load: {light.summary()}"
    result = load(server.url + route, REQUESTS, TIMEOUT)
    outcome = Run(
        result,
        probe(server.url + route, PROBE_TIMEOUT),
        probe(server.url + READY_PATH, PROBE_TIMEOUT),
    )
    SUMMARIES.append(
        f"{example}: {result.summary()}; then {route} {outcome.route_after}, "
        f"{READY_PATH} {outcome.loop_after}  [{installed_versions(python)}]"
    )
    return outcome


def assert_stops_answering(outcome: Run) -> None:
    # A few requests get through before the deadlock closes (up to the pool's size: 4 to 8 of
    # 150 for the original report on 0.81, 0 to 16 for the 15-connection SQLModel app); then
    # nothing is answered, not even a single request sent after the burst.
    result = outcome.load
    assert result.hung + result.failed >= REQUESTS * 3 // 4, result.summary()
    assert outcome.route_after != "ok", "the route answered again right after the burst"


def assert_serves_everything(outcome: Run) -> None:
    result = outcome.load
    assert result.ok == REQUESTS, result.summary()
    assert outcome.route_after == "ok"


# -- the original report (FastAPI issue #3205): FPL001 + FPL003 ------------------------------


def test_original_report_deadlocks_on_fastapi_081(
    serve: StartServer, fastapi_081_python: str
) -> None:
    outcome = run(serve, "original_report", "/", python=fastapi_081_python)
    assert_stops_answering(outcome)
    assert outcome.load.failed == 0  # pool_timeout=None: nothing ever gives up
    assert outcome.loop_after == "ok"  # the threadpool is stuck, not the event loop


def test_original_report_fixed_serves_everything_on_fastapi_081(
    serve: StartServer, fastapi_081_python: str
) -> None:
    assert_serves_everything(run(serve, "original_report_fixed", "/", python=fastapi_081_python))


def test_original_report_survives_on_current_fastapi(serve: StartServer) -> None:
    # FastAPI >= 0.82 runs a sync dependency's teardown outside the shared limiter: this exact
    # app (no response model) gets through, throttled by the 4 connections.
    assert_serves_everything(run(serve, "original_report", "/"))


def test_original_report_fixed_serves_everything_on_current_fastapi(serve: StartServer) -> None:
    assert_serves_everything(run(serve, "original_report_fixed", "/"))


# -- a sync route with a response model, current FastAPI: FPL001 -----------------------------


def test_response_model_route_deadlocks(serve: StartServer) -> None:
    outcome = run(serve, "response_model", "/items/1")
    assert_stops_answering(outcome)
    assert outcome.loop_after == "ok"  # the threadpool is stuck, not the event loop


def test_response_model_route_fixed_serves_everything(serve: StartServer) -> None:
    assert_serves_everything(run(serve, "response_model_fixed", "/items/1"))


# -- an async route with a sync session that awaits while holding it: FPL002 (+ FPL001) ------


def test_async_route_freezes_the_event_loop(serve: StartServer) -> None:
    outcome = run(serve, "async_route", "/")
    assert_stops_answering(outcome)
    assert outcome.loop_after == "hung"  # nothing at all is answered: the loop is blocked


def test_async_route_fixed_serves_everything(serve: StartServer) -> None:
    assert_serves_everything(run(serve, "async_route_fixed", "/"))


# -- SQLModel, FastAPI's SQL tutorial shape, SQLAlchemy's default pool: FPL001 ---------------


def test_sqlmodel_tutorial_deadlocks(serve: StartServer) -> None:
    outcome = run(serve, "sqlmodel_tutorial", "/books/")
    assert_stops_answering(outcome)
    assert outcome.loop_after == "ok"


def test_sqlmodel_tutorial_fixed_serves_everything(serve: StartServer) -> None:
    assert_serves_everything(run(serve, "sqlmodel_tutorial_fixed", "/books/"))
