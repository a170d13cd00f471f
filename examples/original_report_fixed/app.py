"""The original report's app, fixed: the session is opened where it is used, with a timeout.

The endpoint opens the session with a context manager, so the connection goes back to the pool
before FastAPI does anything else with the request; the pool fails fast (`pool_timeout=30`)
instead of waiting forever. fastapi-pool-lint reports nothing here.

Run: uvicorn app:app --port 8000   (from this directory)
"""

import time

from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

engine = create_engine(
    "sqlite:///./original_report_fixed.db",
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
        time.sleep(1)
    return {"hello": "world"}
