"""Dependency edges and session values the project model must know."""

from __future__ import annotations

from pathlib import Path

from .helpers import analyse

PROJECT = {
    "app/db.py": '''
        from contextlib import contextmanager

        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        engine = create_engine("sqlite://")

        def make_factory():
            return sessionmaker(bind=engine)

        SessionLocal = make_factory()

        @contextmanager
        def session_scope():
            with SessionLocal() as session:
                yield session
    ''',
    "app/deps.py": '''
        from functools import cached_property

        from fastapi import Depends
        from sqlalchemy.orm import Session

        from .db import SessionLocal

        def get_db():
            with SessionLocal() as db:
                yield db

        class Pagination:
            def __init__(self, page: int = 1, db: Session = Depends(get_db)) -> None:
                self.db = db

        class RoleChecker:
            def __init__(self, role: str) -> None:
                self.role = role

            def __call__(self, db: Session = Depends(get_db)):
                return db

        admin_only = RoleChecker("admin")

        def make_loader(model):
            def load(db: Session = Depends(get_db)):
                return model

            return load

        class Repo:
            def __init__(self, db):
                self.db = db

            def first(self):
                return self.db.query(object).first()

        class Service:
            def __init__(self, db: Session = Depends(get_db)) -> None:
                self.db = db

            @cached_property
            def repo(self):
                return Repo(self.db)
    ''',
    "app/main.py": '''
        from typing import Annotated

        from fastapi import Depends, FastAPI

        from app.db import session_scope
        from app.deps import Pagination, Service, admin_only, make_loader

        app = FastAPI()

        @app.get("/page")
        def page(pagination: Pagination = Depends()):
            return {}

        @app.get("/admin")
        def admin(db=Depends(admin_only)):
            return {}

        @app.get("/loaded")
        def loaded(item=Depends(make_loader(dict))):
            return {}

        @app.get("/service")
        async def service(svc: Annotated[Service, Depends()]):
            return svc.repo.first()

        @app.get("/scoped")
        async def scoped():
            with session_scope() as session:
                return session.get(dict, 1)
    ''',
}


def test_every_dependency_shape_reaches_the_generator(tmp_path: Path) -> None:
    analysis = analyse(tmp_path, PROJECT)
    project = analysis.project
    reached = {}
    for route in analysis.fastapi.routes:
        names = {project.short_name(ref) for ref in analysis.fastapi.route_dependencies(route)}
        reached[project.short_name(route.endpoint)] = names
    assert "get_db" in reached["page"] and "Pagination.__init__" in reached["page"]
    assert "get_db" in reached["admin"] and "RoleChecker.__call__" in reached["admin"]
    assert "get_db" in reached["loaded"] and "make_loader.load" in reached["loaded"]
    assert "get_db" in reached["service"] and "Service.__init__" in reached["service"]
    assert reached["scoped"] == set()


def test_session_values_flow_through_wrappers(tmp_path: Path) -> None:
    analysis = analyse(tmp_path, PROJECT)
    chains = {
        (analysis.project.short_name(b.coroutine), b.chain_text)
        for b in analysis.blocking.blocking_calls()
    }
    assert chains == {
        ("service", "svc.repo.first -> Session.query(...).first()"),
        ("scoped", "Session.get()"),
    }
