"""Store functions of the poll job: which sources are due, saving a read, metered API usage.

Each takes ``session=`` and never commits; the poll job commits one source per transaction so a
crash mid-pass re-fetches (the cursor did not move) rather than losing or duplicating posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, Protocol

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload

from models.entities import ApiUsage, Customer, Post, Source

# Table-level (Core) statements, built once: the ORM's bulk-statement machinery (session
# synchronisation, per-call statement building) cost more than the database work itself, and a
# pass stores results for thousands of sources from a single thread.
_POSTS = Post.__table__
_SOURCES = Source.__table__
_INSERT_POSTS = insert(_POSTS)
_UPDATE_SOURCE = update(_SOURCES).where(_SOURCES.c.id == bindparam("source_key"))
_KNOWN_IDS = select(_POSTS.c.external_id).where(
    _POSTS.c.source_id == bindparam("source_key"), _POSTS.c.external_id.in_(bindparam("external_ids", expanding=True))
)


class PostLike(Protocol):
    """What a post to store must offer (a connector's Record has exactly these attributes)."""

    external_id: str
    url: str | None
    title: str
    text: str
    published_at: datetime | None
    author: str | None


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


def store_posts(source_id: int, customer_id: int, records: Iterable[PostLike], *, session: Session, fetched_at: datetime) -> int:
    """Insert the records the source does not have yet; return how many were new.

    Core statements rather than ORM objects: a pass stores thousands of posts and the poller's
    throughput is bounded by the statements its single storing thread issues.
    """
    fresh: dict[str, PostLike] = {}
    for record in records:
        fresh.setdefault(record.external_id, record)
    if not fresh:
        return 0
    known: set[str] = set()
    ids = list(fresh)
    for start in range(0, len(ids), 500):  # stay under every backend's bound-parameter limit
        chunk = ids[start : start + 500]
        known.update(session.scalars(_KNOWN_IDS, {"source_key": source_id, "external_ids": chunk}))
    rows = [
        {
            "source_id": source_id,
            "customer_id": customer_id,
            "external_id": record.external_id,
            "url": record.url,
            "title": record.title,
            "text": record.text,
            "author": record.author,
            "published_at": record.published_at,
            "fetched_at": fetched_at,
        }
        for key, record in fresh.items()
        if key not in known
    ]
    if rows:
        session.execute(_INSERT_POSTS, rows)
    return len(rows)


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


def api_units(provider: str, period: str, *, session: Session) -> int:
    """Units of a metered API used in ``period`` (``YYYY-MM``)."""
    return session.scalar(select(ApiUsage.units).where(ApiUsage.provider == provider, ApiUsage.period == period)) or 0


def add_api_units(provider: str, period: str, units: int, *, session: Session) -> None:
    """Count ``units`` more against ``provider`` in ``period`` (row created on first use)."""
    if units <= 0:
        return
    changed = session.execute(
        update(ApiUsage).where(ApiUsage.provider == provider, ApiUsage.period == period).values(units=ApiUsage.units + units)
    ).rowcount
    if not changed:
        session.add(ApiUsage(provider=provider, period=period, units=units))
        session.flush()
