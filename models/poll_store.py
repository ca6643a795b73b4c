"""Store functions of the poll job: which sources are due, saving a read, metered API usage.

Each takes ``session=`` and never commits; the poll job commits one source per transaction so a
crash mid-pass re-fetches (the cursor did not move) rather than losing or duplicating posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from models.entities import ApiUsage, Customer, Post, Source


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


def store_posts(source: Source, records: Iterable[PostLike], *, session: Session, fetched_at: datetime) -> int:
    """Insert the records the source does not have yet; return how many were new."""
    fresh: dict[str, PostLike] = {}
    for record in records:
        fresh.setdefault(record.external_id, record)
    if not fresh:
        return 0
    known: set[str] = set()
    ids = list(fresh)
    for start in range(0, len(ids), 500):  # stay under every backend's bound-parameter limit
        chunk = ids[start : start + 500]
        known.update(session.scalars(select(Post.external_id).where(Post.source_id == source.id, Post.external_id.in_(chunk))))
    new = [record for key, record in fresh.items() if key not in known]
    session.add_all(
        Post(
            source_id=source.id,
            customer_id=source.customer_id,
            external_id=record.external_id,
            url=record.url,
            title=record.title,
            text=record.text,
            author=record.author,
            published_at=record.published_at,
            fetched_at=fetched_at,
        )
        for record in new
    )
    session.flush()
    return len(new)


def save_success(
    source: Source,
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
    source.url = cursor.url or source.url
    source.etag = cursor.etag
    source.last_modified = cursor.last_modified
    source.since_id = cursor.since_id
    source.external_user_id = cursor.external_user_id
    source.cursor_extra = dict(cursor.extra) or None
    source.last_polled_at = now
    source.last_status = status
    source.last_error = warning
    source.error_count = 0
    source.next_check_at = next_check_at
    if interval_seconds is not None:
        source.check_interval_seconds = interval_seconds
    session.flush()


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
) -> None:
    """Record why a read failed and when to try again; the cursor stays where it was."""
    values: dict[str, Any] = {
        "last_polled_at": now,
        "last_status": status,
        "last_error": message,
        "next_check_at": next_check_at,
    }
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
