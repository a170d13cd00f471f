"""A sync route with a response model that gets its session from a sync generator dependency.

This is the shape of FastAPI's own SQL examples before SQLModel: `get_db` yields a Session, the
route is a plain `def` and declares what it returns (here with a return annotation; an explicit
`response_model=` behaves the same). On current FastAPI the response is validated in the
threadpool *after* the route returns but *before* the session is closed, so each request needs a
second worker while still holding its connection. Under ~150 concurrent requests all 40 workers
wait for one of the 4 connections and the 4 requests holding them wait for a worker: nothing is
served until `pool_timeout` runs out, and then the waiting requests fail with 500s and the cycle
starts again. The timeout here is a finite 30 s on purpose: FPL001 is not an FPL003 problem.

fastapi-pool-lint reports FPL001 on `get_db`.
The database file goes to $EXAMPLES_DB_DIR (default: the system temp dir).
Run: uvicorn app:app --port 8000   (from this directory)
"""

import os
import tempfile
import time
from pathlib import Path

from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

DB_PATH = Path(os.environ.get("EXAMPLES_DB_DIR", tempfile.gettempdir())) / "response_model.db"

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


class Item(BaseModel):
    id: int
    name: str


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.get("/items/{item_id}")
def read_item(item_id: int, db: Session = Depends(get_db)) -> Item:
    row = db.execute(text("select :id, 'widget'"), {"id": item_id}).one()
    time.sleep(0.05)  # some blocking work while the connection is checked out
    return Item(id=row[0], name=row[1])
