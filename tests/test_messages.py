"""Finding messages name the hazard and a rewrite that applies to where the finding is."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .conftest import check_path

HEADER = '''
from fastapi import Depends, FastAPI, WebSocket
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://db/app", pool_timeout=10)
SessionLocal = sessionmaker(bind=engine)
app = FastAPI()


def get_db():
    with SessionLocal() as db:
        yield db
'''


def _messages(tmp_path: Path, body: str, code: str) -> list[str]:
    (tmp_path / "main.py").write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    result = check_path(tmp_path)
    return [finding.message for finding in result.findings if finding.code == code]


def test_route_that_never_awaits_is_told_to_become_def(tmp_path: Path) -> None:
    (message,) = _messages(
        tmp_path,
        '''
        @app.get("/items")
        async def items(db: Session = Depends(get_db)) -> None:
            db.execute("select 1")
        ''',
        "FPL002",
    )
    assert "route `items` (runs on every request)" in message
    assert "declare `items` with `def`" in message


def test_websocket_route_is_never_told_to_become_def(tmp_path: Path) -> None:
    """FastAPI awaits a websocket endpoint: a plain ``def`` there would fail at the first
    connection, so the rewrite offered is the async session or the threadpool."""
    (message,) = _messages(
        tmp_path,
        '''
        @app.websocket("/ws")
        async def ws(websocket: WebSocket, db: Session = Depends(get_db)) -> None:
            db.execute("select 1")
        ''',
        "FPL002",
    )
    assert "websocket route `ws`" in message
    assert "with `def`" not in message
    assert "AsyncSession" in message and "run_in_threadpool" in message


def test_route_that_awaits_is_told_to_offload_or_go_async(tmp_path: Path) -> None:
    (message,) = _messages(
        tmp_path,
        '''
        import asyncio

        @app.get("/items")
        async def items(db: Session = Depends(get_db)) -> None:
            db.execute("select 1")
            await asyncio.sleep(0)
        ''',
        "FPL002",
    )
    assert "with `def`" not in message
    assert "run_in_threadpool" in message


def test_helper_chain_is_named(tmp_path: Path) -> None:
    (message,) = _messages(
        tmp_path,
        '''
        def first_user(db: Session):
            return _load(db)

        def _load(db: Session):
            return db.query(int).first()

        @app.get("/user")
        async def user(db: Session = Depends(get_db)):
            return first_user(db)
        ''',
        "FPL002",
    )
    assert "`first_user -> _load -> Session.query(...).first()`" in message


def test_generator_dependency_names_the_deadlock_and_the_rewrite(tmp_path: Path) -> None:
    (message,) = _messages(
        tmp_path,
        '''
        @app.get("/items", response_model=list[int])
        def items(db: Session = Depends(get_db)):
            return []
        ''',
        "FPL001",
    )
    assert "deadlock" in message
    assert "`with SessionLocal() as db:`" in message
