"""The SQLModel tutorial-shaped app, fixed: each route opens its own session.

`with Session(engine) as session:` inside the route gives the connection back before the route
returns, so validating the response never needs a worker while a connection is held. There is
no session dependency and no `SessionDep` alias any more. The engine, its default pool and the
routes' signatures (minus the session) are unchanged. fastapi-pool-lint reports nothing here.

Objects returned from a closed session are detached: fine here because every column is loaded
(the session is created with `expire_on_commit=False` where a route commits and then returns the
object); a route returning an object with unloaded relationships should return plain data.

The database file goes to $EXAMPLES_DB_DIR (default: the system temp dir).
Run: uvicorn app:app --port 8000   (from this directory)
"""

import os
import tempfile
from pathlib import Path
from typing import Annotated, Optional

from fastapi import FastAPI, HTTPException, Query
from sqlmodel import Field, Session, SQLModel, create_engine, select


class Book(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(index=True)
    author: str
    year: Optional[int] = Field(default=None, index=True)


sqlite_path = (
    Path(os.environ.get("EXAMPLES_DB_DIR", tempfile.gettempdir())) / "sqlmodel_tutorial_fixed.db"
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

app = FastAPI()


@app.post("/books/")
def create_book(book: Book) -> Book:
    with Session(engine, expire_on_commit=False) as session:
        session.add(book)
        session.commit()
        session.refresh(book)
    return book


@app.get("/books/")
def read_books(offset: int = 0, limit: Annotated[int, Query(le=100)] = 100) -> list[Book]:
    with Session(engine) as session:
        return list(session.exec(select(Book).offset(offset).limit(limit)).all())


@app.get("/books/{book_id}")
def read_book(book_id: int) -> Book:
    with Session(engine) as session:
        book = session.get(Book, book_id)
    if book is None:
        raise HTTPException(status_code=404, detail="Book not found")
    return book


@app.delete("/books/{book_id}")
def delete_book(book_id: int):
    with Session(engine) as session:
        book = session.get(Book, book_id)
        if book is None:
            raise HTTPException(status_code=404, detail="Book not found")
        session.delete(book)
        session.commit()
    return {"ok": True}
