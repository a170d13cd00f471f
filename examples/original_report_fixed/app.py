"""The original report's app, fixed: the session is opened where it is used, with a timeout.

The endpoint opens the session with a context manager, so the connection goes back to the pool
inside the same worker thread, before FastAPI needs another thread for this request; and the
pool gives up after 30 s (`pool_timeout=30`) instead of waiting forever. fastapi-pool-lint
reports nothing here.

The database file goes to $EXAMPLES_DB_DIR (default: the system temp dir).
Run: uvicorn app:app --port 8000   (from this directory)
"""

import os
import tempfile
import time
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

DB_PATH = (
    Path(os.environ.get("EXAMPLES_DB_DIR", tempfile.gettempdir())) / "original_report_fixed.db"
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


@app.get("/")
def index():
    with SessionLocal() as db:
        db.execute(text("select 1"))
        time.sleep(0.05)
    return {"hello": "world"}
