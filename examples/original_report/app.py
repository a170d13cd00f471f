"""The app from the original report (FastAPI issue #3205), made runnable on current libraries.

A sync generator dependency hands a Session to sync endpoints; the pool has 4 connections and
waits forever for one (`pool_timeout=None`). Under ~100 concurrent requests the process stops
answering for good. fastapi-pool-lint reports FPL001 on `get_db` and FPL003 on the engine.

Run: uvicorn app:app --port 8000   (from this directory)
"""

import time

from fastapi import Depends, FastAPI, Request
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

engine = create_engine(
    "sqlite:///./original_report.db",
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
    # Some blocking work while the connection is checked out.
    db.execute(text("select 1"))
    time.sleep(1)
    return {"hello": "world"}
