"""The model accessors the fixes ask: session generators, their lifecycle, injection paths..."""

from __future__ import annotations

import textwrap
from pathlib import Path

from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.discovery import discover
from fastapi_pool_lint.model.analysis import ProjectAnalysis
from fastapi_pool_lint.model.sessions import (
    TransactionCalls,
    generator_lifecycle,
    session_generator,
)
from fastapi_pool_lint.model.values import FunctionRef
from fastapi_pool_lint.pipeline import build_project, summarise_file

PRELUDE = """\
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://app@db/app")
SessionLocal = sessionmaker(bind=engine)
app = FastAPI()
"""


def analyse(tmp_path: Path, files: dict[str, str]) -> ProjectAnalysis:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    root, sources = discover([tmp_path], tmp_path)
    project, errors = build_project(sources, [summarise_file(s) for s in sources])
    assert not errors
    return ProjectAnalysis(project, root, Settings())


def test_session_generator_and_lifecycle(tmp_path: Path) -> None:
    analysis = analyse(
        tmp_path,
        {
            "app.py": PRELUDE
            + """
def committing():
    db = SessionLocal()
    try:
        yield db
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()


def with_block():
    with SessionLocal.begin() as db:
        yield db


def direct():
    yield Session(engine)


def logging_too():
    with SessionLocal() as db:
        print("open")
        yield db


async def not_sync():
    with SessionLocal() as db:
        yield db


def not_a_session():
    yield 1
"""
        },
    )
    evaluator = analysis.evaluator
    project = analysis.project

    def ref(name: str) -> FunctionRef:
        return FunctionRef("app.py", name)

    assert session_generator(evaluator, ref("committing")) is not None
    assert session_generator(evaluator, ref("not_sync")) is None
    assert session_generator(evaluator, ref("not_a_session")) is None

    committing = generator_lifecycle(project, ref("committing"))
    assert committing is not None
    assert (committing.variable, committing.via) == ("db", "assign")
    assert committing.commits and committing.rolls_back and committing.closes
    assert committing.other_calls == ()

    with_block = generator_lifecycle(project, ref("with_block"))
    assert with_block is not None
    assert with_block.via == "with" and with_block.closes and not with_block.commits

    direct = generator_lifecycle(project, ref("direct"))
    assert direct is not None
    assert (direct.variable, direct.via, direct.closes) == (None, "yield", False)

    logging_too = generator_lifecycle(project, ref("logging_too"))
    assert logging_too is not None
    assert len(logging_too.other_calls) == 1


def test_transaction_calls_follow_helpers(tmp_path: Path) -> None:
    analysis = analyse(
        tmp_path,
        {
            "app.py": PRELUDE
            + """
def save(db):
    db.add(1)
    db.commit()


def route_with_helper(db: Session):
    save(db)


def route_reading(db: Session):
    return db.get(dict, 1)
"""
        },
    )
    calls = TransactionCalls(analysis.evaluator)
    assert calls.first(FunctionRef("app.py", "route_with_helper")) == "Session.commit()"
    assert calls.first(FunctionRef("app.py", "route_reading")) is None


def test_injection_paths_overrides_and_decorators(tmp_path: Path) -> None:
    analysis = analyse(
        tmp_path,
        {
            "app.py": PRELUDE
            + """
import functools


def get_db():
    with SessionLocal() as db:
        yield db


def current_user(db: Session = Depends(get_db)):
    return db


router = APIRouter(dependencies=[Depends(get_db)])


@app.get("/direct")
def direct(db: Session = Depends(get_db)):
    return 1


@app.get("/shared")
def shared(user=Depends(current_user), db: Session = Depends(get_db)):
    return 1


@router.get("/listed")
def listed():
    return 1


@app.get("/wrapped")
@functools.lru_cache
def wrapped():
    return 1


app.include_router(router)
""",
            "test_app.py": """
from app import app, get_db

app.dependency_overrides[get_db] = lambda: None
""",
        },
    )
    fastapi = analysis.fastapi
    get_db = FunctionRef("app.py", "get_db")

    def paths(endpoint: str) -> list[tuple[str, object, object]]:
        (route,) = fastapi.routes_of(FunctionRef("app.py", endpoint))
        return [
            (p.kind, p.param.name if p.param else None, p.via.key if p.via else None)
            for p in fastapi.injection_paths(route, get_db)
        ]

    assert paths("direct") == [("parameter", "db", None)]
    assert paths("shared") == [("dependency", "user", "current_user"), ("parameter", "db", None)]
    assert paths("listed") == [("router dependencies", None, "get_db")]
    assert fastapi.override_modules[get_db] == ["test_app.py"]
    assert fastapi.only_route_decorators(FunctionRef("app.py", "direct"))
    assert not fastapi.only_route_decorators(FunctionRef("app.py", "wrapped"))


def test_class_dependencies_of_a_class_based_view(tmp_path: Path) -> None:
    analysis = analyse(
        tmp_path,
        {
            "app.py": PRELUDE
            + """
def get_db():
    with SessionLocal() as db:
        yield db


class Base:
    db: Session = Depends(get_db)


class Views(Base):
    user = Depends(lambda: None)

    async def list_items(self):
        return self.db.execute("select 1")


async def plain():
    return 1
"""
        },
    )
    fastapi = analysis.fastapi
    assert fastapi.class_dependencies(FunctionRef("app.py", "Views.list_items")) == [
        FunctionRef("app.py", "get_db")
    ]
    assert fastapi.class_dependencies(FunctionRef("app.py", "plain")) == []
