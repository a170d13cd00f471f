"""The program's entry point (console script and ``python -m``).

Importing the command line takes a moment (libcst, click, the rules): a SIGINT or SIGTERM then
ends the program quietly with exit code 128 + the signal (nothing has been read or written
yet) instead of a KeyboardInterrupt traceback. :func:`.cli.main` then installs its own
handlers, which stop a running command where it is so that its cleanups run.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from types import FrameType
from typing import Optional


def _early_stop(signum: int, frame: Optional[FrameType]) -> None:
    what = "terminated" if signum == getattr(signal, "SIGTERM", None) else "interrupted"
    sys.stderr.write(f"fastapi-pool-lint: {what}\n")
    raise SystemExit(128 + signum)


def main() -> None:
    for name in ("SIGINT", "SIGTERM"):
        with contextlib.suppress(ValueError, OSError, AttributeError):
            signal.signal(getattr(signal, name), _early_stop)
    from .cli import main as run

    run()
