"""A SQLModel app shaped like FastAPI's SQL tutorial, on SQLAlchemy's default pool.

`get_session` is a sync generator (`with Session(engine) as session: yield session`), routes
take it through the `SessionDep` alias and are plain `def`s with return annotations, which
FastAPI turns into response models. The engine is the tutorial's: a SQLite file with SQLAlchemy's
default pool (QueuePool, 5 connections + 10 overflow, 30 s timeout). Under ~150 concurrent reads
the 40 threadpool workers all wait for a connection while the 15 requests holding one wait for a
worker to validate their response: the service stops answering until the 30 s pool timeout
fails the waiting requests, and then it happens again.

fastapi-pool-lint reports FPL001 on `get_session`.
The database file goes to $EXAMPLES_DB_DIR (default: the system temp dir).
Run: uvicorn app:app --port 8000   (from this directory)
"""

import os
import tempfile
from pathlib import Path
from typing import Annotated, Optional

from fastapi import Depends, FastAPI, HTTPException, Query
from sqlmodel import Field, Session, SQLModel, create_engine, select


class Book(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(index=True)
    author: str
    year: Optional[int] = Field(default=None, index=True)


sqlite_path = (
    Path(os.environ.get("EXAMPLES_DB_DIR", tempfile.gettempdir())) / "sqlmodel_tutorial.db"
)
sqlite_url = f"sqlite:///{sqlite_path}"
engine = create_engine(sqlite_url, connect_args={"check_same_thread": False})


def create_db_and_tables():
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        if session.exec(select(Book)).first() is None:
            session.add(Book(title="The Pool", author="A. Writer", year=2021))
            session.commit()


create_db_and_tables()  # at import, before uvicorn serves anything


def get_session():
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

app = FastAPI()


@app.post("/books/")
def create_book(book: Book, session: SessionDep) -> Book:
    session.add(book)
    session.commit()
    session.refresh(book)
    return book


@app.get("/books/")
def read_books(
    session: SessionDep,
    offset: int = 0,
    limit: Annotated[int, Query(le=100)] = 100,
) -> list[Book]:
    return list(session.exec(select(Book).offset(offset).limit(limit)).all())


@app.get("/books/{book_id}")
def read_book(book_id: int, session: SessionDep) -> Book:
    book = session.get(Book, book_id)
    if book is None:
        raise HTTPException(status_code=404, detail="Book not found")
    return book


@app.delete("/books/{book_id}")
def delete_book(book_id: int, session: SessionDep):
    book = session.get(Book, book_id)
    if book is None:
        raise HTTPException(status_code=404, detail="Book not found")
    session.delete(book)
    session.commit()
    return {"ok": True}
