"""The response-model app, fixed: the route opens its session with a context manager.

The connection goes back to the pool before the route returns, so response validation never
needs a worker while a connection is held. The session parameter and the dependency are gone.
fastapi-pool-lint reports nothing here.

The database file goes to $EXAMPLES_DB_DIR (default: the system temp dir).
Run: uvicorn app:app --port 8000   (from this directory)
"""

import os
import tempfile
import time
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

DB_PATH = (
    Path(os.environ.get("EXAMPLES_DB_DIR", tempfile.gettempdir())) / "response_model_fixed.db"
)

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


@app.get("/items/{item_id}")
def read_item(item_id: int) -> Item:
    with SessionLocal() as db:
        row = db.execute(text("select :id, 'widget'"), {"id": item_id}).one()
        time.sleep(0.05)  # some blocking work while the connection is checked out
    return Item(id=row[0], name=row[1])
