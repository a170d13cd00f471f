"""Calls evaluated in an earlier run are reused only while they still hold.

A run with the cache reuses the evaluated calls of every module that neither changed nor read a
module that changed (``model/callgraph.py``); whatever the edits, its result must be exactly the
result of a run without the cache on the same files.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_pool_lint.cache import Cache
from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.model.callgraph import reusable
from fastapi_pool_lint.pipeline import CheckResult, run_check
from fastapi_pool_lint.settings_loader import discover_settings

from .conftest import FIXTURES


def _check(root: Path, cache: bool) -> CheckResult:
    settings, _ = discover_settings(root)
    return run_check([root], settings, root, jobs=1, cache=cache)


def _fresh_and_cached(root: Path) -> CheckResult:
    cached = _check(root, cache=True)
    assert cached == _check(root, cache=False)
    return cached


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


_ROUTER = """\
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app import helpers
from app.db import get_db

router = APIRouter()


@router.get("/items")
async def list_items(db: Session = Depends(get_db)):
    return helpers.load(db)
"""

_DB = """\
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("postgresql://db/app", pool_timeout=5)
SessionLocal = sessionmaker(bind=engine)


async def get_db():
    async with SessionLocal() as session:
        yield session
"""

_BLOCKING = """\
def load(db):
    return db.query(object).all()
"""

_OFFLOADED = """\
from app.workers import load
"""

_WORKERS = """\
def load(db):
    return []
"""


# A router whose async endpoint calls ``helpers.load(db)`` with a sync session.
_SERVICE = {
    "app/__init__.py": "",
    "app/db.py": _DB,
    "app/router.py": _ROUTER,
    "app/helpers.py": _BLOCKING,
}


def test_a_module_that_read_a_changed_module_is_evaluated_again(tmp_path: Path) -> None:
    """The router's call ``helpers.load(db)`` resolves through helpers.py: when helpers.py
    starts re-exporting another ``load``, the router's calls must not be taken from the cache."""
    root = tmp_path / "svc"
    _write(
        root,
        {
            **_SERVICE,
            "app/workers.py": _WORKERS,
            "app/unrelated.py": "def ping():\n    return len('x')\n",
        },
    )
    first = _fresh_and_cached(root)
    assert [f.code for f in first.findings] == ["FPL002"]

    (root / "app/helpers.py").write_text(_OFFLOADED)
    second = _fresh_and_cached(root)
    assert second.findings == [], "helpers.load is now workers.load, which does not block"
    # Only the modules that read helpers.py (and helpers.py itself) were evaluated again.
    assert second.stats.calls_reused == second.stats.files - 2

    (root / "app/helpers.py").write_text(_BLOCKING)
    third = _fresh_and_cached(root)
    assert third == first


def test_calls_of_modules_that_read_everything_are_never_reused(tmp_path: Path) -> None:
    """``request.state.x`` collects what every module assigns: such a module reads them all."""
    root = tmp_path / "svc"
    _write(
        root,
        {
            "app/__init__.py": "",
            "app/state.py": (
                "from fastapi import Request\n\n"
                "def current(request: Request):\n    return request.state.db.query(1)\n"
            ),
            "app/other.py": "def ping():\n    return len('x')\n",
        },
    )
    _fresh_and_cached(root)
    (root / "app/other.py").write_text("def ping():\n    return len('y')\n")
    again = _fresh_and_cached(root)
    assert again.stats.calls_reused <= again.stats.files - 2


def test_changing_the_layout_evaluates_every_module_again(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    _write(root, _SERVICE)
    _fresh_and_cached(root)
    # A new module can change what an import resolves to (``app.workers`` did not exist).
    _write(root, {"app/workers.py": _WORKERS})
    again = _fresh_and_cached(root)
    assert again.stats.calls_reused == 0


def test_reusable_follows_what_each_module_read() -> None:
    previous = {
        "a.py": ("ka", frozenset({"a.py", "b.py"})),
        "b.py": ("kb", frozenset({"b.py"})),
        "c.py": ("kc", None),  # read every module
        "d.py": ("kd", frozenset({"d.py", "gone.py"})),
    }
    now = {"a.py": "ka", "b.py": "kb", "c.py": "kc", "d.py": "kd"}
    # d.py read a module that exists neither then nor now: nothing it read has changed.
    assert reusable(previous, now) == {"a.py", "b.py", "d.py"}
    assert reusable(previous, {**now, "b.py": "kb2"}) == {"d.py"}
    assert reusable(previous, {**now, "a.py": "ka2"}) == {"b.py", "d.py"}


def test_a_corrupt_calls_entry_is_ignored_and_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    shutil.copytree(FIXTURES / "projects" / "fpl002_helper_chain", root)
    first = _check(root, cache=True)
    store = Cache(root)
    entries = sorted((store.base / "calls").rglob("*"))
    entries = [e for e in entries if e.is_file()]
    assert len(entries) == 1
    entries[0].write_bytes(entries[0].read_bytes()[:-7] + b"garbage")
    for result in (store.base / "results").rglob("*"):
        if result.is_file():
            result.unlink()
    again = _check(root, cache=True)
    assert again == first and again.stats.calls_reused == 0
    assert store.get("calls", entries[0].name) is not None, "rebuilt"


# --------------------------------------------------------------------------- random edits

# Four modules each define ``make`` in one of these ways, and ``app/engines.py`` calls every
# module's ``make`` with a database URL: which of those calls (and of the wrappers' own calls)
# create an engine without a pool timeout (FPL004) depends on how the names resolve across the
# modules, and is read from the evaluated calls; calls reused after they stopped holding show.
_MODULES = 4


def _variant(kind: str, other: int) -> str:
    if kind == "engine":
        return "from sqlalchemy import create_engine\n\nmake = create_engine\n"
    if kind == "plain":
        return "def make(url):\n    return url\n"
    if kind == "reexport":
        return f"from app.m{other} import make\n"
    if kind == "alias":
        return f"from app import m{other}\n\nmake = m{other}.make\n"
    if kind == "wrapper":
        return f"from app import m{other}\n\n\ndef make(url):\n    return m{other}.make(url)\n"
    return "make = None\n"


_KINDS = ["engine", "plain", "reexport", "alias", "wrapper", "none"]
_ASSIGNMENT = st.tuples(
    st.integers(min_value=0, max_value=_MODULES - 1),
    st.sampled_from(_KINDS),
    st.integers(min_value=0, max_value=_MODULES - 1),
)
_ENGINES = "from app import {names}\n\n{calls}".format(
    names=", ".join(f"m{i}" for i in range(_MODULES)),
    calls="".join(f"engine_{i} = m{i}.make('postgresql://db/{i}')\n" for i in range(_MODULES)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.lists(_ASSIGNMENT, min_size=_MODULES, max_size=_MODULES),
    edits=st.lists(_ASSIGNMENT, min_size=1, max_size=5),
)
def test_cached_runs_match_uncached_runs_after_any_edits(
    start: list[tuple[int, str, int]], edits: list[tuple[int, str, int]]
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "svc"
        files = {"app/__init__.py": "", "app/engines.py": _ENGINES}
        for i in range(_MODULES):
            files[f"app/m{i}.py"] = _variant("plain", 0)
        for module, kind, other in start:
            files[f"app/m{module}.py"] = _variant(kind, other)
        _write(root, files)
        _fresh_and_cached(root)
        for module, kind, other in edits:
            _write(root, {f"app/m{module}.py": _variant(kind, other)})
            _fresh_and_cached(root)


def test_session_factories_are_part_of_the_calls_key(tmp_path: Path) -> None:
    """``session-factories`` changes what calls evaluate to: part of the calls' key."""
    root = tmp_path / "svc"
    _write(
        root,
        {
            "app/__init__.py": "",
            "app/db.py": "def make_session():\n    return object()\n",
            "app/router.py": (
                "from fastapi import APIRouter\nfrom app.db import make_session\n"
                "router = APIRouter()\n\n@router.get('/')\nasync def index():\n"
                "    db = make_session()\n    return db.query(1).all()\n"
            ),
        },
    )
    plain = run_check([root], Settings(), root, cache=True)
    configured = Settings(session_factories=frozenset({"app.db.make_session"}))
    with_factory = run_check([root], configured, root, cache=True)
    assert with_factory == run_check([root], configured, root)
    assert with_factory.stats.calls_reused == 0
    assert plain.findings == [] and [f.code for f in with_factory.findings] == ["FPL002"]


def test_stored_calls_of_the_wrong_shape_are_evaluated_again(tmp_path: Path) -> None:
    """An entry with a valid digest but malformed contents (planted, or from a buggy build)
    costs a re-evaluation, never a wrong answer or a crash."""
    from fastapi_pool_lint.cache import dumps, encode, loads

    root = tmp_path / "svc"
    shutil.copytree(FIXTURES / "projects" / "fpl002_helper_chain", root)
    expected = _check(root, cache=False)
    _check(root, cache=True)
    store = Cache(root)
    (entry,) = [e for e in (store.base / "calls").rglob("*") if e.is_file()]
    state = store.get("calls", entry.name)
    assert isinstance(state, dict)
    forged = {}
    for module, (key, reads, blob) in state.items():
        callees, targets = loads(blob)  # type: ignore[misc]
        bad = tuple(tuple((("not", "a", "pair"),) for _ in scope) for scope in targets)
        forged[module] = (key, reads, dumps((callees, bad)))
    entry.write_bytes(encode(forged))
    for result in (store.base / "results").rglob("*"):
        if result.is_file():
            result.unlink()
    again = _check(root, cache=True)
    assert again == expected
