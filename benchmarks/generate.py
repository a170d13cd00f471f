"""Generate a synthetic FastAPI + SQLAlchemy service of any size, deterministically from a seed.

The tree looks like a layered service: ``svc/core`` (settings), ``svc/db`` (engines, session
factories, shared dependencies), ``svc/main.py`` (the app, including every router), and one
package per domain under ``svc/domains/`` with ``models``, ``schemas``, ``repository`` (CRUD
functions and a repository class), ``service`` (business logic calling the repository),
``deps``, ``router`` and ``utils`` modules. Pure ``svc/lib/`` helper modules fill the tree up to
the exact module count asked for.

Domains differ in style, drawn from the seed: a sync generator session dependency of their own
(FPL001) or the shared one, sync or async routes, async routes that reach the database through
``service -> repository`` helper chains or a repository object (FPL002) next to near-misses that
hand the same work to the threadpool, async domains on ``AsyncSession``, and a few analytics
engines with (FPL003) or without (FPL004) a bad ``pool_timeout``. Every line where the linter
should report carries an ``# expect: FPL00X`` marker, so the tree doubles as a large fixture.

Usage: ``python benchmarks/generate.py OUT_DIR --modules 500 --seed 1``
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

WORDS = (
    "account", "address", "alert", "asset", "audit", "basket", "batch", "billing", "booking",
    "branch", "budget", "campaign", "carrier", "catalog", "channel", "claim", "client", "comment",
    "contract", "coupon", "course", "customer", "delivery", "device", "discount", "document",
    "driver", "enrollment", "event", "expense", "feedback", "fleet", "grant", "incident",
    "invoice", "item", "journal", "lead", "ledger", "lesson", "license", "listing", "loan",
    "member", "message", "meter", "note", "offer", "order", "package", "partner", "patient",
    "payment", "payout", "permit", "plan", "policy", "portfolio", "price", "product", "profile",
    "project", "quote", "rate", "receipt", "refund", "region", "report", "request", "reservation",
    "review", "route", "sample", "schedule", "seat", "segment", "sensor", "shipment", "shop",
    "site", "skill", "slot", "station", "stock", "subscription", "supplier", "survey", "task",
    "team", "tenant", "ticket", "token", "transfer", "trip", "unit", "vehicle", "vendor",
    "visit", "voucher", "wallet", "warehouse", "webhook", "workflow", "zone",
)
FIELD_TYPES = (
    ("String(120)", "str", '"sample"'),
    ("String(255)", "str", '"text"'),
    ("Integer", "int", "0"),
    ("Boolean", "bool", "False"),
    ("Numeric(12, 2)", "float", "0.0"),
    ("DateTime", "datetime", "None"),
)
FIELD_NAMES = (
    "name", "title", "code", "status", "amount", "quantity", "reference", "label", "notes",
    "priority", "category", "currency", "external_id", "score", "owner_email", "region_code",
    "is_active", "is_archived", "created_by", "updated_by", "due_at", "closed_at",
)
DOMAIN_MODULES = ("__init__", "models", "schemas", "repository", "service", "deps", "router",
                  "utils")
CORE_MODULES = 9  # see ``_core``


@dataclass
class Entity:
    cls: str  # "Invoice"
    table: str  # "invoice"
    fields: list[tuple[str, str, str, str]]  # (name, column type, python type, example)


@dataclass
class Domain:
    name: str  # "d007_invoice"
    entities: list[Entity]
    dependency: str  # "own_sync_gen", "shared", "async", "context"
    blocking_routes: int  # async routes reaching the database through helpers (FPL002)
    direct_blocking: bool  # an async route calling the session directly (FPL002)
    repo_class_blocking: bool  # an async route using a repository object (FPL002)
    engine: str  # "", "implicit" (FPL004), "none" (FPL003), "explicit", "nullpool"
    modules: tuple[str, ...] = field(default=DOMAIN_MODULES)


def _entity(rng: random.Random, word: str) -> Entity:
    cls = "".join(part.capitalize() for part in word.split("_"))
    names = rng.sample(FIELD_NAMES, rng.randint(6, 12))
    fields = []
    for name in names:
        column, py, example = rng.choice(FIELD_TYPES)
        fields.append((name, column, py, example))
    return Entity(cls, word, fields)


_FIRST_ENGINES = ("none", "implicit", "explicit", "nullpool")


def _domain(rng: random.Random, index: int) -> Domain:
    base = rng.choice(WORDS)
    words = [base] + [f"{base}_{w}" for w in rng.sample(WORDS, rng.randint(2, 4))]
    dependency = rng.choices(
        ("own_sync_gen", "shared", "async", "context"), weights=(25, 40, 20, 15)
    )[0]
    sync = dependency in ("own_sync_gen", "shared")
    blocking_routes = rng.choice((0, 0, 1, 1, 2)) if sync else 0
    engine = rng.choices(
        ("", "implicit", "none", "explicit", "nullpool"), weights=(80, 7, 3, 6, 4)
    )[0]
    if index < len(_FIRST_ENGINES):  # every tree has each kind of engine at least once
        engine = _FIRST_ENGINES[index]
    return Domain(
        name=f"d{index:03d}_{base}",
        entities=[_entity(rng, w) for w in words],
        dependency=dependency,
        blocking_routes=blocking_routes,
        direct_blocking=sync and rng.random() < 0.2,
        repo_class_blocking=sync and rng.random() < 0.25,
        engine=engine,
    )


# --------------------------------------------------------------------------- core modules


def _core(domains: list[Domain]) -> dict[str, str]:
    imports = "\n".join(
        f"from svc.domains.{d.name} import router as {d.name}_router" for d in domains
    )
    includes = "\n".join(
        f'app.include_router({d.name}_router.router, prefix="/{d.name}", tags=["{d.name}"])'
        for d in domains
    )
    return {
        "svc/__init__.py": '"""A synthetic FastAPI service."""\n\n__version__ = "1.0.0"\n',
        "svc/core/__init__.py": "",
        "svc/core/config.py": _CONFIG,
        "svc/db/__init__.py": "",
        "svc/db/base.py": _BASE,
        "svc/db/engine.py": _ENGINE,
        "svc/db/session.py": _SESSION,
        "svc/domains/__init__.py": "",
        "svc/main.py": _MAIN.format(imports=imports, includes=includes),
    }


_CONFIG = '''"""Settings read from the environment."""
import os
from dataclasses import dataclass, field


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    DATABASE_URL: str = os.environ.get("DATABASE_URL", "postgresql+psycopg://app@db/app")
    ASYNC_DATABASE_URL: str = os.environ.get(
        "ASYNC_DATABASE_URL", "postgresql+asyncpg://app@db/app"
    )
    ANALYTICS_URL: str = os.environ.get("ANALYTICS_URL", "postgresql+psycopg://ro@replica/app")
    POOL_SIZE: int = int(os.environ.get("POOL_SIZE", "10"))
    MAX_OVERFLOW: int = int(os.environ.get("MAX_OVERFLOW", "5"))
    POOL_TIMEOUT: float = float(os.environ.get("POOL_TIMEOUT", "10"))
    DEBUG: bool = _flag("DEBUG")
    ALLOWED_HOSTS: tuple = field(default_factory=lambda: ("localhost",))
    PAGE_SIZE: int = 50


settings = Settings()
'''

_BASE = '''"""The declarative base shared by every model."""
from datetime import datetime

from sqlalchemy import DateTime, Integer, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
'''

_ENGINE = '''"""The service's engines: pooled, with explicit limits."""
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine

from svc.core.config import settings

engine = create_engine(
    settings.DATABASE_URL,
    pool_size=settings.POOL_SIZE,
    max_overflow=settings.MAX_OVERFLOW,
    pool_timeout=settings.POOL_TIMEOUT,
    pool_pre_ping=True,
)
async_engine = create_async_engine(
    settings.ASYNC_DATABASE_URL,
    pool_size=settings.POOL_SIZE,
    pool_timeout=settings.POOL_TIMEOUT,
)
'''

_SESSION = '''"""Session factories and the shared session dependencies."""
from contextlib import contextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from svc.db.engine import async_engine, engine

SessionLocal = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)
AsyncSessionLocal = async_sessionmaker(async_engine, expire_on_commit=False)


def get_session():  # expect: FPL001
    with SessionLocal() as session:
        yield session


async def get_async_session():
    async with AsyncSessionLocal() as session:
        yield session


@contextmanager
def session_scope():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def get_script_session():
    with SessionLocal() as session:
        yield session


def new_session() -> Session:
    return SessionLocal()


def new_async_session() -> AsyncSession:
    return AsyncSessionLocal()
'''

_MAIN = '''"""The application: every domain router under its own prefix."""
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from svc.core.config import settings
{imports}

app = FastAPI(title="svc", debug=settings.DEBUG)
app.add_middleware(CORSMiddleware, allow_origins=list(settings.ALLOWED_HOSTS))
{includes}


@app.get("/health")
async def health():
    return {{"status": "ok"}}
'''

# --------------------------------------------------------------------------- domain modules


def _models(d: Domain) -> str:
    out = [
        f'"""Tables of the {d.name} domain."""',
        "from datetime import datetime",
        "from typing import Optional",
        "",
        "from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, Numeric, String",
        "from sqlalchemy.orm import Mapped, mapped_column, relationship",
        "",
        "from svc.db.base import Base, TimestampMixin",
    ]
    parent = d.entities[0]
    for i, e in enumerate(d.entities):
        out += ["", "", f"class {e.cls}(TimestampMixin, Base):", f'    __tablename__ = "{d.name}_{e.table}"', ""]
        for name, column, py, _ in e.fields:
            out.append(f"    {name}: Mapped[Optional[{py}]] = mapped_column({column}, nullable=True)")
        if i:
            out.append(
                f"    {parent.table}_id: Mapped[int] = mapped_column("
                f'ForeignKey("{d.name}_{parent.table}.id"), index=True)'
            )
            out.append(f'    {parent.table}: Mapped["{parent.cls}"] = relationship()')
        out += ["", "    def __repr__(self) -> str:", f'        return f"<{e.cls} {{self.id}}>"']
    return "\n".join(out) + "\n"


def _schemas(d: Domain) -> str:
    out = [
        f'"""Request and response bodies of the {d.name} domain."""',
        "from datetime import datetime",
        "from typing import Optional",
        "",
        "from pydantic import BaseModel, ConfigDict, Field, field_validator",
    ]
    for e in d.entities:
        out += ["", "", f"class {e.cls}Base(BaseModel):"]
        for name, _, py, _ in e.fields:
            out.append(f"    {name}: Optional[{py}] = None")
        first = e.fields[0][0]
        out += [
            "",
            f'    @field_validator("{first}")',
            "    @classmethod",
            f"    def check_{first}(cls, value):",
            "        if isinstance(value, str) and not value.strip():",
            f'            raise ValueError("{first} must not be blank")',
            "        return value",
            "",
            "",
            f"class {e.cls}Create({e.cls}Base):",
            "    pass",
            "",
            "",
            f"class {e.cls}Update({e.cls}Base):",
            "    version: int = Field(default=0, ge=0)",
            "",
            "",
            f"class {e.cls}Read({e.cls}Base):",
            "    model_config = ConfigDict(from_attributes=True)",
            "",
            "    id: int",
            "    created_at: Optional[datetime] = None",
        ]
    return "\n".join(out) + "\n"


def _repository(d: Domain) -> str:
    asynchronous = d.dependency == "async"
    out = [f'"""Data access for the {d.name} domain."""']
    if asynchronous:
        out += ["from sqlalchemy import func, select", "from sqlalchemy.ext.asyncio import AsyncSession"]
    else:
        out += ["from sqlalchemy import func, select", "from sqlalchemy.orm import Session"]
    out += ["", f"from svc.domains.{d.name} import models, schemas"]
    for e in d.entities:
        t, c = e.table, e.cls
        if asynchronous:
            out += [
                "", "",
                f"async def get_{t}(db: AsyncSession, {t}_id: int):",
                f"    return await db.get(models.{c}, {t}_id)",
                "", "",
                f"async def list_{t}(db: AsyncSession, skip: int = 0, limit: int = 100):",
                f"    result = await db.execute(select(models.{c}).offset(skip).limit(limit))",
                "    return result.scalars().all()",
                "", "",
                f"async def create_{t}(db: AsyncSession, data: schemas.{c}Create):",
                f"    row = models.{c}(**data.model_dump())",
                "    db.add(row)",
                "    await db.commit()",
                "    await db.refresh(row)",
                "    return row",
                "", "",
                f"async def count_{t}(db: AsyncSession) -> int:",
                f"    result = await db.execute(select(func.count()).select_from(models.{c}))",
                "    return result.scalar_one()",
            ]
        else:
            out += [
                "", "",
                f"def get_{t}(db: Session, {t}_id: int):",
                f"    return db.get(models.{c}, {t}_id)",
                "", "",
                f"def list_{t}(db, skip: int = 0, limit: int = 100):",
                f"    return db.query(models.{c}).offset(skip).limit(limit).all()",
                "", "",
                f"def create_{t}(db: Session, data: schemas.{c}Create):",
                f"    row = models.{c}(**data.model_dump())",
                "    db.add(row)",
                "    db.commit()",
                "    db.refresh(row)",
                "    return row",
                "", "",
                f"def count_{t}(db: Session) -> int:",
                f"    return db.scalar(select(func.count()).select_from(models.{c}))",
            ]
    main = d.entities[0]
    session = "AsyncSession" if asynchronous else "Session"
    prefix = "async " if asynchronous else ""
    awaited = "await " if asynchronous else ""
    out += [
        "", "",
        f"class {main.cls}Repository:",
        f"    def __init__(self, db: {session}):",
        "        self.db = db",
        "",
        f"    {prefix}def get(self, {main.table}_id: int):",
        f"        return {awaited}self.db.get(models.{main.cls}, {main.table}_id)",
        "",
        f"    {prefix}def delete(self, row) -> None:",
        f"        {awaited}self.db.delete(row)",
        f"        {awaited}self.db.commit()",
    ]
    return "\n".join(out) + "\n"


def _service(d: Domain, rng: random.Random) -> str:
    asynchronous = d.dependency == "async"
    out = [
        f'"""Business rules of the {d.name} domain."""',
        "from decimal import Decimal",
        "",
        f"from svc.domains.{d.name} import repository, schemas, utils",
    ]
    for e in d.entities:
        t, c = e.table, e.cls
        if asynchronous:
            out += [
                "", "",
                f"async def fetch_{t}(db, {t}_id: int):",
                f"    row = await repository.get_{t}(db, {t}_id)",
                "    if row is None:",
                f'        raise LookupError("{t} not found")',
                "    return row",
                "", "",
                f"async def page_of_{t}(db, page: int, size: int):",
                f"    rows = await repository.list_{t}(db, skip=page * size, limit=size)",
                f"    return [utils.present_{t}(row) for row in rows]",
            ]
        else:
            out += [
                "", "",
                f"def fetch_{t}(db, {t}_id: int):",
                f"    row = repository.get_{t}(db, {t}_id)",
                "    if row is None:",
                f'        raise LookupError("{t} not found")',
                "    return row",
                "", "",
                f"def page_of_{t}(db, page: int, size: int):",
                f"    rows = repository.list_{t}(db, skip=page * size, limit=size)",
                f"    return [utils.present_{t}(row) for row in rows]",
                "", "",
                f"def register_{t}(db, data: schemas.{c}Create):",
                f"    utils.validate_{t}(data.model_dump())",
                f"    return repository.create_{t}(db, data)",
            ]
        out += [
            "", "",
            f"def price_{t}(quantity: int, unit: Decimal, discount: Decimal = Decimal(0)) -> Decimal:",
            "    if quantity < 0:",
            '        raise ValueError("quantity must be positive")',
            "    gross = unit * quantity",
            f"    if gross > Decimal({rng.randint(100, 10000)}):",
            "        discount = max(discount, Decimal(\"0.05\"))",
            "    return (gross * (1 - discount)).quantize(Decimal(\"0.01\"))",
        ]
    return "\n".join(out) + "\n"


def _deps(d: Domain) -> str:
    out = [f'"""Dependencies of the {d.name} domain."""', "from typing import Optional", ""]
    out += ["from fastapi import Depends, Header, HTTPException, Query"]
    if d.dependency == "own_sync_gen":
        out += [
            "", "from svc.db.session import SessionLocal",
            "", "",
            "def get_db():  # expect: FPL001",
            "    db = SessionLocal()",
            "    try:",
            "        yield db",
            "    finally:",
            "        db.close()",
        ]
    elif d.dependency == "shared":
        out += ["", "from svc.db.session import get_session as get_db"]
    elif d.dependency == "async":
        out += ["", "from svc.db.session import get_async_session as get_db"]
    else:  # context: the session is opened in the route; this generator is never injected
        out += [
            "", "from svc.db.session import SessionLocal",
            "", "",
            "def session_for_scripts():",
            "    with SessionLocal() as db:",
            "        yield db",
        ]
    out += [
        "", "",
        "class Pagination:",
        "    def __init__(self, page: int = Query(0, ge=0), size: int = Query(50, le=500)):",
        "        self.page = page",
        "        self.size = size",
        "", "",
        "def current_tenant(x_tenant: Optional[str] = Header(default=None)) -> str:",
        "    if not x_tenant:",
        '        raise HTTPException(status_code=400, detail="missing tenant")',
        "    return x_tenant.lower()",
        "", "",
        "def require_admin(tenant: str = Depends(current_tenant)) -> str:",
        '    if tenant.startswith("guest"):',
        '        raise HTTPException(status_code=403, detail="forbidden")',
        "    return tenant",
    ]
    return "\n".join(out) + "\n"


def _router(d: Domain, rng: random.Random) -> str:
    out = [
        f'"""HTTP routes of the {d.name} domain."""',
        "from fastapi import APIRouter, Depends, HTTPException",
        "from fastapi.concurrency import run_in_threadpool",
    ]
    if d.dependency == "async":
        out += ["from sqlalchemy.ext.asyncio import AsyncSession"]
    else:
        out += ["from sqlalchemy.orm import Session"]
    if d.dependency == "context":
        out += ["", "from svc.db.session import SessionLocal"]
    out += [
        "",
        f"from svc.domains.{d.name} import repository, schemas, service, utils",
        f"from svc.domains.{d.name}.deps import Pagination, current_tenant"
        + (", get_db" if d.dependency != "context" else ""),
        "",
        "router = APIRouter()",
    ]
    blocking_left = d.blocking_routes
    for i, e in enumerate(d.entities):
        t, c = e.table, e.cls
        if d.dependency == "async":
            out += [
                "", "",
                f'@router.get("/{t}/{{{t}_id}}", response_model=schemas.{c}Read)',
                f"async def read_{t}({t}_id: int, db: AsyncSession = Depends(get_db)):",
                f"    return await service.fetch_{t}(db, {t}_id)",
                "", "",
                f'@router.get("/{t}/", response_model=list[schemas.{c}Read])',
                f"async def list_{t}(page: Pagination = Depends(), db: AsyncSession = Depends(get_db)):",
                f"    return await service.page_of_{t}(db, page.page, page.size)",
                "", "",
                f'@router.post("/{t}/", status_code=201)',
                f"async def create_{t}(body: schemas.{c}Create, db: AsyncSession = Depends(get_db)):",
                f"    row = await repository.create_{t}(db, body)",
                f"    return utils.present_{t}(row)",
            ]
            continue
        if d.dependency == "context":
            out += [
                "", "",
                f'@router.get("/{t}/{{{t}_id}}", response_model=schemas.{c}Read)',
                f"def read_{t}({t}_id: int, tenant: str = Depends(current_tenant)):",
                "    with SessionLocal() as db:",
                f"        row = service.fetch_{t}(db, {t}_id)",
                f"        return schemas.{c}Read.model_validate(row)",
                "", "",
                f'@router.get("/{t}/", response_model=list[schemas.{c}Read])',
                f"def list_{t}(page: Pagination = Depends()):",
                "    with SessionLocal() as db:",
                f"        return service.page_of_{t}(db, page.page, page.size)",
                "", "",
                f'@router.get("/{t}/export")',
                f"async def export_{t}(page: Pagination = Depends()):",
                "    def work():",
                "        with SessionLocal() as db:",
                f"            return service.page_of_{t}(db, page.page, page.size)",
                "",
                "    return await run_in_threadpool(work)",
            ]
            continue
        out += [
            "", "",
            f'@router.get("/{t}/{{{t}_id}}", response_model=schemas.{c}Read)',
            f"def read_{t}({t}_id: int, db: Session = Depends(get_db)):",
            "    try:",
            f"        return service.fetch_{t}(db, {t}_id)",
            "    except LookupError as error:",
            "        raise HTTPException(status_code=404, detail=str(error)) from None",
        ]
        if blocking_left > 0:
            blocking_left -= 1
            out += [
                "", "",
                f'@router.get("/{t}/", response_model=list[schemas.{c}Read])',
                f"async def list_{t}(page: Pagination = Depends(), db: Session = Depends(get_db)):",
                f"    rows = service.page_of_{t}(db, page.page, page.size)  # expect: FPL002",
                "    return rows",
            ]
        else:
            out += [
                "", "",
                f'@router.get("/{t}/", response_model=list[schemas.{c}Read])',
                f"async def list_{t}(page: Pagination = Depends(), db: Session = Depends(get_db)):",
                f"    return await run_in_threadpool(service.page_of_{t}, db, page.page, page.size)",
            ]
        out += [
            "", "",
            f'@router.post("/{t}/", status_code=201)',
            f"def create_{t}(body: schemas.{c}Create, db: Session = Depends(get_db)):",
            f"    return utils.present_{t}(service.register_{t}(db, body))",
            "", "",
            f'@router.get("/{t}/quote")',
            f"async def quote_{t}(quantity: int, unit: float):",
            f"    return {{\"total\": str(service.price_{t}(quantity, utils.as_decimal(unit)))}}",
        ]
        if i == 0 and d.direct_blocking:
            out += [
                "", "",
                f'@router.delete("/{t}/{{{t}_id}}", status_code=204)',
                f"async def delete_{t}({t}_id: int, db: Session = Depends(get_db)):",
                f"    row = db.get(schemas.{c}Read, {t}_id)  # expect: FPL002",
                "    if row is None:",
                "        raise HTTPException(status_code=404)",
                "    db.delete(row)",
                "    db.commit()  # expect: FPL002",
            ]
        if i == 0 and d.repo_class_blocking:
            out += [
                "", "",
                f'@router.get("/{t}/{{{t}_id}}/raw")',
                f"async def raw_{t}({t}_id: int, db: Session = Depends(get_db)):",
                f"    repo = repository.{c}Repository(db)",
                f"    return repo.get({t}_id)  # expect: FPL002",
            ]
    return "\n".join(out) + "\n"


def _utils(d: Domain, rng: random.Random) -> str:
    out = [
        f'"""Helpers of the {d.name} domain: presentation and validation, no I/O."""',
        "import re",
        "from decimal import Decimal",
        "from typing import Any",
    ]
    if d.engine:
        out += [
            "",
            "from sqlalchemy import create_engine",
            "from sqlalchemy.pool import NullPool",
            "",
            "from svc.core.config import settings",
        ]
    out += ["", f'_CODE = re.compile(r"^[A-Z]{{{rng.randint(2, 4)}}}-[0-9]+$")']
    if d.engine == "implicit":
        out += ["", "analytics_engine = create_engine(settings.ANALYTICS_URL, pool_size=5)  # expect: FPL004"]
    elif d.engine == "none":
        out += ["", "analytics_engine = create_engine(  # expect: FPL003",
                "    settings.ANALYTICS_URL, pool_size=5, pool_timeout=None", ")"]
    elif d.engine == "explicit":
        out += ["", "analytics_engine = create_engine(settings.ANALYTICS_URL, pool_timeout=5)"]
    elif d.engine == "nullpool":
        out += ["", "analytics_engine = create_engine(settings.ANALYTICS_URL, poolclass=NullPool)"]
    out += [
        "", "",
        "def as_decimal(value: float) -> Decimal:",
        "    return Decimal(str(value)).quantize(Decimal(\"0.01\"))",
    ]
    for e in d.entities:
        t = e.table
        names = [f[0] for f in e.fields]
        out += [
            "", "",
            f"def present_{t}(row: Any) -> dict:",
            f'    """The public view of a {t} row."""',
            "    out = {",
        ]
        out += [f'        "{n}": getattr(row, "{n}", None),' for n in names]
        out += [
            "    }",
            "    return {key: value for key, value in out.items() if value is not None}",
            "", "",
            f"def validate_{t}(data: dict) -> None:",
            "    errors = []",
        ]
        for n, _, py, _ in e.fields[:4]:
            if py == "str":
                out += [f'    if data.get("{n}") and len(data["{n}"]) > 120:',
                        f'        errors.append("{n} is too long")']
            elif py in ("int", "float"):
                out += [f'    if data.get("{n}") is not None and data["{n}"] < 0:',
                        f'        errors.append("{n} must not be negative")']
            else:
                out += [f'    if "{n}" in data and data["{n}"] is None:',
                        f'        errors.append("{n} is required")']
        out += [
            '    code = data.get("code")',
            "    if code and not _CODE.match(str(code)):",
            '        errors.append("code has the wrong shape")',
            "    if errors:",
            '        raise ValueError("; ".join(errors))',
        ]
    return "\n".join(out) + "\n"


def _lib(index: int, rng: random.Random) -> str:
    """A pure helper module (text, dates, retry policies) to fill the tree."""
    n = rng.randint(4, 9)
    out = [
        f'"""Shared helpers, part {index}."""',
        "import hashlib",
        "import time",
        "from collections.abc import Callable, Iterable",
        "from datetime import datetime, timedelta, timezone",
        "from typing import Optional, TypeVar",
        "",
        'T = TypeVar("T")',
    ]
    for k in range(n):
        kind = rng.randrange(4)
        if kind == 0:
            out += [
                "", "",
                f"def slug_{k}(text: str, limit: int = {rng.randint(20, 80)}) -> str:",
                "    cleaned = \"\".join(ch.lower() if ch.isalnum() else \"-\" for ch in text)",
                "    while \"--\" in cleaned:",
                "        cleaned = cleaned.replace(\"--\", \"-\")",
                "    return cleaned.strip(\"-\")[:limit]",
            ]
        elif kind == 1:
            out += [
                "", "",
                f"def retry_{k}(fn: Callable[[], T], attempts: int = {rng.randint(2, 6)}, delay: float = 0.1) -> T:",
                "    last: Optional[BaseException] = None",
                "    for attempt in range(attempts):",
                "        try:",
                "            return fn()",
                "        except (ConnectionError, TimeoutError) as error:",
                "            last = error",
                "            time.sleep(delay * (2 ** attempt))",
                "    assert last is not None",
                "    raise last",
            ]
        elif kind == 2:
            out += [
                "", "",
                f"def window_{k}(now: Optional[datetime] = None, days: int = {rng.randint(1, 30)}) -> tuple:",
                "    now = now or datetime.now(timezone.utc)",
                "    start = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0)",
                "    return start, now",
            ]
        else:
            out += [
                "", "",
                f"class Digest{k}:",
                f'    """Stable digests of records, salted per use ({k})."""',
                "",
                f'    def __init__(self, salt: str = "{rng.choice(WORDS)}") -> None:',
                "        self.salt = salt.encode()",
                "",
                "    def of(self, parts: Iterable[str]) -> str:",
                "        h = hashlib.sha256(self.salt)",
                "        for part in parts:",
                "            h.update(part.encode())",
                "            h.update(b\"\\x00\")",
                "        return h.hexdigest()",
            ]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- tree


PYPROJECT = """[project]
name = "svc"
version = "1.0.0"
requires-python = ">=3.9"
dependencies = [
    "fastapi>=0.110",
    "sqlalchemy>=2.0",
    "pydantic>=2",
]
"""


def project_files(modules: int, seed: int) -> dict[str, str]:
    """Relative path -> source of a project with exactly ``modules`` Python modules."""
    if modules < CORE_MODULES + len(DOMAIN_MODULES):
        raise ValueError(f"at least {CORE_MODULES + len(DOMAIN_MODULES)} modules")
    rng = random.Random(seed)
    domains: list[Domain] = []
    while CORE_MODULES + (len(domains) + 1) * len(DOMAIN_MODULES) <= modules:
        domains.append(_domain(rng, len(domains)))
    files = _core(domains)
    for d in domains:
        base = f"svc/domains/{d.name}"
        files[f"{base}/__init__.py"] = f'"""The {d.name} domain."""\n'
        files[f"{base}/models.py"] = _models(d)
        files[f"{base}/schemas.py"] = _schemas(d)
        files[f"{base}/repository.py"] = _repository(d)
        files[f"{base}/service.py"] = _service(d, rng)
        files[f"{base}/deps.py"] = _deps(d)
        files[f"{base}/router.py"] = _router(d, rng)
        files[f"{base}/utils.py"] = _utils(d, rng)
    lib = 0
    while len(files) < modules:
        if lib == 0:
            files["svc/lib/__init__.py"] = ""
        else:
            files[f"svc/lib/helpers_{lib:03d}.py"] = _lib(lib, rng)
        lib += 1
    files["pyproject.toml"] = PYPROJECT
    return files


def generate(out: Path, modules: int, seed: int = 1) -> list[Path]:
    """Write the project into ``out`` (replacing what was there); return the Python files."""
    if out.exists():
        shutil.rmtree(out)
    written = []
    for rel, text in sorted(project_files(modules, seed).items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if path.suffix == ".py":
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path)
    parser.add_argument("--modules", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    files = generate(args.out, args.modules, args.seed)
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files)
    print(f"{len(files)} modules, {lines} lines in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
