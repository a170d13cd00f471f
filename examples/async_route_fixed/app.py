"""The async-route app, fixed with SQLAlchemy's asyncio extension (aiosqlite driver).

The route stays `async def` and still awaits while it holds the connection, but now waiting for
a connection is itself an `await`: the 5th request yields to the event loop instead of blocking
it, the 4 holders resume and give their connections back. The session is opened with
`async with` in the route, so the connection is returned before the response is built. (The
other honest fix, a plain `def` route opening a sync session with `with SessionLocal() as db:`,
works too, but it cannot await.) fastapi-pool-lint reports nothing here.

The database file goes to $EXAMPLES_DB_DIR (default: the system temp dir).
Run: uvicorn app:app --port 8000   (from this directory)
"""

import asyncio
import os
import tempfile
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

DB_PATH = Path(os.environ.get("EXAMPLES_DB_DIR", tempfile.gettempdir())) / "async_route_fixed.db"

engine = create_async_engine(
    f"sqlite+aiosqlite:///{DB_PATH}",
    pool_size=4,
    max_overflow=0,
    pool_timeout=30,
)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)

app = FastAPI()


@app.get("/")
async def index():
    async with SessionLocal() as db:
        value = (await db.execute(text("select 1"))).scalar_one()
        await asyncio.sleep(0.05)  # e.g. a call to another service, connection still checked out
    return {"value": value}
