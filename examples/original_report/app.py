"""The app from the original report (FastAPI issue #3205), made runnable on current libraries.

A sync generator dependency hands a Session to a sync endpoint; the pool has 4 connections and
waits forever for one (`pool_timeout=None`). On FastAPI < 0.82 about 100 concurrent requests
leave the process answering nothing, for good: every threadpool worker waits for a connection
and the 4 sessions holding one wait for a worker to run their teardown. FastAPI 0.82 gave that
teardown its own limiter, so this exact app survives there (slowly); add a response model and it
deadlocks again (see ../response_model). fastapi-pool-lint reports FPL001 on `get_db` and
FPL003 on the engine.

The database file goes to $EXAMPLES_DB_DIR (default: the system temp dir).
Run: uvicorn app:app --port 8000   (from this directory)
"""

import os
import tempfile
import time
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

DB_PATH = Path(os.environ.get("EXAMPLES_DB_DIR", tempfile.gettempdir())) / "original_report.db"

engine = create_engine(
    f"sqlite:///{DB_PATH}",
    connect_args={"check_same_thread": False},
    poolclass=QueuePool,
    pool_size=4,
    max_overflow=0,
    pool_timeout=None,  # wait forever for a connection
)
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)

app = FastAPI()


def get_db(request: Request):
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.get("/")
def index(db: Session = Depends(get_db)):
    # Some blocking work while the connection is checked out (the report slept 1 s; 0.05 s
    # keeps the runtime test short and deadlocks all the same).
    db.execute(text("select 1"))
    time.sleep(0.05)
    return {"hello": "world"}
