"""An `async def` route that uses a sync Session and awaits while it holds the connection.

The session comes from the usual sync `get_db` generator. `db.execute` runs on the event loop
thread; the route then awaits (a call to another service, simulated with `asyncio.sleep`) with
the connection still checked out. Once 4 requests hold the 4 connections, the 5th request's
`db.execute` waits for a connection *on the event loop thread*: the loop stops, so the 4 holders
never resume to give their connections back, and the whole process, `/openapi.json` included,
answers nothing. A finite `pool_timeout` (30 s here) does not bring it back: measured, not one of
150 requests got an answer, not even a 500, in 75 s, because each waiting request blocks the
loop again. The threadpool plays no part, so no FastAPI version avoids it (measured on 0.165).

fastapi-pool-lint reports FPL002 on `db.execute` and FPL001 on `get_db`.
The database file goes to $EXAMPLES_DB_DIR (default: the system temp dir).
Run: uvicorn app:app --port 8000   (from this directory)
"""

import asyncio
import os
import tempfile
from pathlib import Path

from fastapi import Depends, FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

DB_PATH = Path(os.environ.get("EXAMPLES_DB_DIR", tempfile.gettempdir())) / "async_route.db"

engine = create_engine(
    f"sqlite:///{DB_PATH}",
    connect_args={"check_same_thread": False},
    poolclass=QueuePool,
    pool_size=4,
    max_overflow=0,
    pool_timeout=30,
)
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)

app = FastAPI()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.get("/")
async def index(db: Session = Depends(get_db)):
    value = db.execute(text("select 1")).scalar_one()
    await asyncio.sleep(0.05)  # e.g. a call to another service, connection still checked out
    return {"value": value}
