"""Sources: which are due for the poll job, saving a read's outcome on the source row (its cursor
and health), and listing them all for a health report.

Each takes ``session=`` and never commits; the poll job commits one source per transaction so a
crash mid-pass re-fetches (the cursor did not move) rather than losing or duplicating posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Collection, Mapping, Sequence

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, selectinload

from models.entities import Customer, Source
from models.store import clean

_SOURCES = Source.__table__
_SUCCESS_COLUMNS = ("etag", "last_modified", "since_id", "external_user_id", "cursor_extra", "last_polled_at",
                    "last_status", "last_error", "error_count", "next_check_at")
# One statement for every successful read, so a pass saves many in one round trip: a URL that
# did not move and an interval left as it is are passed as NULL and keep the stored values.
_SAVE_SUCCESS = (
    update(_SOURCES)
    .where(_SOURCES.c.id == bindparam("source_key"))
    .values({
        **{name: bindparam(f"new_{name}") for name in _SUCCESS_COLUMNS},
        "url": func.coalesce(bindparam("moved_to"), _SOURCES.c.url),
        "check_interval_seconds": func.coalesce(bindparam("new_interval"), _SOURCES.c.check_interval_seconds),
    })
)


@dataclass(frozen=True)
class CursorUpdate:
    """The source's new cursor after a successful read (None fields are stored as None)."""

    url: str | None
    etag: str | None
    last_modified: str | None
    since_id: str | None
    external_user_id: str | None
    extra: Mapping[str, Any]


def pollable_sources(*, session: Session, now: datetime, force: bool = False,
                     ids: Collection[int] | None = None) -> list[Source]:
    """Enabled sources in the roster whose customer is tracked and that are due at ``now``
    (never checked, or ``next_check_at`` passed); with ``force``, all of them; with ``ids``, only
    those of these."""
    query = (
        select(Source)
        .join(Customer, Source.customer_id == Customer.id)
        .where(Source.enabled.is_(True), Source.in_roster.is_(True), Customer.tracked.is_(True))
        .options(selectinload(Source.customer))
        .order_by(Source.id)
    )
    if not force:
        query = query.where((Source.next_check_at.is_(None)) | (Source.next_check_at <= now))
    if ids is not None:
        query = query.where(Source.id.in_(list(ids)))
    return list(session.scalars(query))


@dataclass(frozen=True)
class ReadSuccess:
    """A successful read of one source, to save on its row: the new cursor and its health."""

    source_id: int
    cursor: CursorUpdate
    now: datetime
    status: str
    warning: str | None
    next_check_at: datetime
    interval_seconds: int | None


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
    """Move the cursor and mark the source healthy (``warning`` keeps an ill-formed feed's note);
    see :func:`save_successes`."""
    save_successes([ReadSuccess(source_id, cursor, now, status, warning, next_check_at, interval_seconds)], session=session)


def save_successes(reads: Sequence[ReadSuccess], *, session: Session) -> None:
    """Move each read source's cursor and mark it healthy, all in one statement.

    What the source sent is made storable first (see :mod:`models.store.clean`): a validator or
    id that does not fit is dropped (the next read is then unconditional), a new URL that does
    not fit leaves the stored one."""
    rows = [_success_values(read) for read in reads]
    if rows:
        session.execute(_SAVE_SUCCESS, rows)


def _success_values(read: ReadSuccess) -> dict[str, Any]:
    cursor = read.cursor
    return {
        "source_key": read.source_id,
        "new_etag": clean.token(cursor.etag, clean.ETAG_LIMIT),
        "new_last_modified": clean.token(cursor.last_modified, clean.LAST_MODIFIED_LIMIT),
        "new_since_id": clean.token(cursor.since_id, clean.SINCE_ID_LIMIT),
        "new_external_user_id": clean.token(cursor.external_user_id, clean.EXTERNAL_USER_ID_LIMIT),
        "new_cursor_extra": clean.json_value(dict(cursor.extra)) or None,
        "new_last_polled_at": read.now,
        "new_last_status": clean.prose(read.status, clean.STATUS_LIMIT),
        "new_last_error": clean.prose(read.warning, clean.ERROR_LIMIT),
        "new_error_count": 0,
        "new_next_check_at": read.next_check_at,
        "moved_to": clean.url(cursor.url) or None,
        "new_interval": read.interval_seconds,
    }


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
    that an ``external_user_id`` resolved before the failure is kept (None: left as it is).
    The message is made storable as every text from a source is (:mod:`models.store.clean`)."""
    values: dict[str, Any] = {
        "last_polled_at": now,
        "last_status": clean.prose(status, clean.STATUS_LIMIT),
        "last_error": clean.prose(message, clean.ERROR_LIMIT),
        "next_check_at": next_check_at,
    }
    resolved = clean.token(external_user_id, clean.EXTERNAL_USER_ID_LIMIT)
    if resolved:
        values["external_user_id"] = resolved
    if count_as_error:
        values["error_count"] = Source.error_count + 1
    if disable:
        values["enabled"] = False
    session.execute(update(Source).where(Source.id == source_id).values(**values))


def all_sources(*, session: Session) -> list[Source]:
    """Every source with its customer and team loaded, in id order (for health listings)."""
    query = select(Source).options(selectinload(Source.customer).selectinload(Customer.team)).order_by(Source.id)
    return list(session.scalars(query))
