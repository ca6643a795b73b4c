"""Small SQL helpers every store module shares: dialect-aware inserts and IN-list chunks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from sqlalchemy import (
    ColumnElement,
    Select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    pass


IN_LIST = 5000


SCAN_ABOVE = 500  # customers; beyond this one table scan beats an index probe per customer


def per_chunk(query: Select, column: ColumnElement[int], ids: list[int]) -> list[Select]:
    """For many customers one sequential scan (filtered by the caller), else index probes per chunk."""
    if len(ids) > SCAN_ABOVE:
        return [query]
    return [query.where(column.in_(ids[i:i + SCAN_ABOVE])) for i in range(0, len(ids), SCAN_ABOVE)]


def dialect_insert(session: Session):
    """The INSERT construct with ON CONFLICT support for the backend in use (SQLite or PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"strongtie stores scores on SQLite or PostgreSQL, not {name}")


def in_chunks(values: list[int]) -> Iterator[list[int]]:
    """Slices of at most IN_LIST ids: every backend accepts an IN list that long."""
    for start in range(0, len(values), IN_LIST):
        yield values[start:start + IN_LIST]
