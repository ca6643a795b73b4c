"""Small SQL helpers every store module shares: inserting a row once under a unique key,
dialect-aware ON CONFLICT inserts, and IN lists cut to a size every backend accepts."""

from __future__ import annotations

from typing import Callable, Iterator, Sequence, TypeVar

from sqlalchemy import ColumnElement, Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

#: Most values in one IN list or one multi-row statement: far under every backend's limit on
#: bound parameters, and large enough that a round trip per chunk costs nothing noticeable.
CHUNK = 500

Row = TypeVar("Row")
Value = TypeVar("Value")


def insert_once(row: Row, *, session: Session, existing: Callable[[], Row | None]) -> tuple[Row, bool]:
    """Add ``row`` unless a row already holds its unique key; return the row that holds the key and
    whether it is the one just added.

    ``existing`` looks the key up. It is asked first (the common case: a retry finds its first
    copy), and again when the insert loses a race to a concurrent writer, whose row is then
    returned. The insert runs in a savepoint, so losing the race leaves the caller's transaction
    usable.
    """
    found = existing()
    if found is not None:
        return found, False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = existing()
        if found is None:  # the constraint that failed is not the key we looked up
            raise
        return found, False
    return row, True


def chunked(values: Sequence[Value], size: int = CHUNK) -> Iterator[Sequence[Value]]:
    """``values`` in slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def per_chunk(query: Select, column: ColumnElement[int], ids: list[int]) -> list[Select]:
    """``query`` restricted to ``ids``: index probes a chunk at a time for a few ids, or, beyond one
    chunk's worth, the query as it is (one sequential scan beats thousands of probes; the caller
    keeps only the rows it asked for)."""
    if len(ids) > CHUNK:
        return [query]
    return [query.where(column.in_(chunk)) for chunk in chunked(ids)]


def dialect_insert(session: Session):
    """The INSERT construct with ON CONFLICT support for the backend in use (SQLite or PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"strongtie stores on SQLite or PostgreSQL, not {name}")
