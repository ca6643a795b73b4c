"""Sources: which are due for the poll job, saving a read's outcome on the source row (its cursor
and health), and listing them all for a health report.

Each takes ``session=`` and never commits; the poll job commits one source per transaction so a
crash mid-pass re-fetches (the cursor did not move) rather than losing or duplicating posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, selectinload

from models.entities import Customer, Source

_SOURCES = Source.__table__
_UPDATE_SOURCE = update(_SOURCES).where(_SOURCES.c.id == bindparam("source_key"))


@dataclass(frozen=True)
class CursorUpdate:
    """The source's new cursor after a successful read (None fields are stored as None)."""

    url: str | None
    etag: str | None
    last_modified: str | None
    since_id: str | None
    external_user_id: str | None
    extra: Mapping[str, Any]


def pollable_sources(*, session: Session, now: datetime, force: bool = False) -> list[Source]:
    """Enabled sources in the roster whose customer is tracked and that are due at ``now``
    (never checked, or ``next_check_at`` passed); with ``force``, all of them."""
    query = (
        select(Source)
        .join(Customer, Source.customer_id == Customer.id)
        .where(Source.enabled.is_(True), Source.in_roster.is_(True), Customer.tracked.is_(True))
        .options(selectinload(Source.customer))
        .order_by(Source.id)
    )
    if not force:
        query = query.where((Source.next_check_at.is_(None)) | (Source.next_check_at <= now))
    return list(session.scalars(query))


def save_success(
    source_id: int,
    cursor: CursorUpdate,
    *,
    session: Session,
    now: datetime,
    status: str,
    warning: str | None,
    next_check_at: datetime,
    interval_seconds: int | None,
) -> None:
    """Move the cursor and mark the source healthy (``warning`` keeps an ill-formed feed's note)."""
    values: dict[str, Any] = {
        "source_key": source_id,
        "etag": cursor.etag,
        "last_modified": cursor.last_modified,
        "since_id": cursor.since_id,
        "external_user_id": cursor.external_user_id,
        "cursor_extra": dict(cursor.extra) or None,
        "last_polled_at": now,
        "last_status": status,
        "last_error": warning,
        "error_count": 0,
        "next_check_at": next_check_at,
    }
    if cursor.url:
        values["url"] = cursor.url
    if interval_seconds is not None:
        values["check_interval_seconds"] = interval_seconds
    session.execute(_UPDATE_SOURCE, values)


def save_failure(
    source_id: int,
    *,
    session: Session,
    now: datetime,
    status: str,
    message: str,
    next_check_at: datetime,
    count_as_error: bool = True,
    disable: bool = False,
    external_user_id: str | None = None,
) -> None:
    """Record why a read failed and when to try again; the cursor stays where it was, except
    that an ``external_user_id`` resolved before the failure is kept (None: left as it is)."""
    values: dict[str, Any] = {
        "last_polled_at": now,
        "last_status": status,
        "last_error": message,
        "next_check_at": next_check_at,
    }
    if external_user_id:
        values["external_user_id"] = external_user_id
    if count_as_error:
        values["error_count"] = Source.error_count + 1
    if disable:
        values["enabled"] = False
    session.execute(update(Source).where(Source.id == source_id).values(**values))


def all_sources(*, session: Session) -> list[Source]:
    """Every source with its customer and team loaded, in id order (for health listings)."""
    query = select(Source).options(selectinload(Source.customer).selectinload(Customer.team)).order_by(Source.id)
    return list(session.scalars(query))
