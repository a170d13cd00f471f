"""Measure example apps by hand: ``python -m tests.runtime.measure [options] EXAMPLE...``.

Starts each example (a directory under ``examples/``) with uvicorn on 127.0.0.1, sends one burst
of concurrent requests, then one probe of the route and one of ``/openapi.json`` (which needs
neither the pool nor the threadpool: if it hangs too, the event loop itself is stuck), and
prints the outcome with the versions that served it. The server is killed afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .harness import READY_PATH, Server, ServerError, installed_versions, load, probe

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def measure(example: str, python: str, requests: int, timeout: float, route: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(
            EXAMPLES / example, python, Path(tmp) / "server.log", {"EXAMPLES_DB_DIR": tmp}
        )
        try:
            server.start()
            result = load(server.url + route, requests, timeout)
            after = probe(server.url + route, 2.0)
            loop = probe(server.url + READY_PATH, 2.0)
        finally:
            server.stop()
    return (
        f"{example}: {result.summary()}; then {route}: {after}, {READY_PATH}: {loop}\n"
        f"    on {installed_versions(python)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("examples", nargs="+")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs uvicorn")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    parser.add_argument("--route", default="/")
    args = parser.parse_args()
    for example in args.examples:
        try:
            line = measure(example, args.python, args.requests, args.timeout, args.route)
        except ServerError as error:
            line = f"{example}: {error}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
