"""Interactions: recording one (once per dedupe key), listing them (all, a team's, a customer's latest),
and loading them for the model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Iterator

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    String,
    cast,
    delete,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, selectinload

from config.vocabulary import DEFAULT_DIRECTIONS, DIRECTIONS, INTERACTION_KINDS, INTERACTION_ORIGINS, NOT_CONTACT
from models.entities import Customer, Interaction
from models.store.snapshots import forget_snapshots_since
from models.store.errors import StoreError, UnknownNameError
from models.store.sql import chunked, insert_once, per_chunk
from models.timeline import MICROSECONDS_PER_DAY, Replayable


def check_kind(kind: str) -> str:
    """The interaction kind in canonical form, or an error listing the closest kinds."""
    kind = kind.strip().lower()
    if kind not in INTERACTION_KINDS:
        raise UnknownNameError("interaction kind", kind, list(INTERACTION_KINDS), list_all=True)
    return kind


def check_direction(direction: str | None, kind: str) -> str:
    """inbound, outbound or mutual in canonical form, or an error listing them; when none is given
    (None or blank), the default of ``kind`` (``config.vocabulary.DEFAULT_DIRECTIONS``)."""
    if direction is None or not direction.strip():
        return DEFAULT_DIRECTIONS[check_kind(kind)]
    direction = direction.strip().lower()
    if direction not in DIRECTIONS:
        raise UnknownNameError("direction", direction, list(DIRECTIONS))
    return direction


#: The longest member id ``by_user`` and ``logged_by`` hold (the columns' width).
MEMBER_ID_LENGTH = 40


def check_text(value: str, *, what: str) -> str:
    """Free text a person gave (a note): refused if it holds a NUL character, which PostgreSQL
    cannot store in text and no person means to type."""
    if "\x00" in value:
        raise StoreError(f"the {what} contains a NUL character (byte 0); remove it")
    return value


def check_member_id(value: str | None, *, what: str = "member") -> str | None:
    """A Slack member id as stored in ``by_user``: at most :data:`MEMBER_ID_LENGTH` characters."""
    if value is not None and (len(value) > MEMBER_ID_LENGTH or "\x00" in value):
        raise StoreError(f"the {what} {value[:MEMBER_ID_LENGTH]!r}… is not a Slack user id "
                         f"(at most {MEMBER_ID_LENGTH} characters)")
    return value


@dataclass(frozen=True)
class Logged:
    """The interaction a log call stored, or found already stored under its dedupe key."""

    interaction: Interaction
    created: bool  # False when the dedupe key had already been recorded


def check_origin(origin: str) -> str:
    """``origin`` when it is one of :data:`config.vocabulary.INTERACTION_ORIGINS` (a programming
    error otherwise: no user types an origin)."""
    if origin not in INTERACTION_ORIGINS:
        raise ValueError(f"unknown interaction origin {origin!r}; one of {', '.join(INTERACTION_ORIGINS)}")
    return origin


def log_interaction(
    customer: Customer,
    kind: str,
    *,
    session: Session,
    occurred_at: datetime,
    direction: str | None = None,
    note: str = "",
    by_user: str | None = None,
    origin: str = "cli",
    dedupe_key: str | None = None,
    batch: str | None = None,
    logged_by: str | None = None,
    now: datetime | None = None,
) -> Logged:
    """Record one interaction; with a ``dedupe_key`` a repeat returns the first record instead.

    Without a ``direction`` the kind's default applies (a meeting is mutual, an email outbound, a
    purchase inbound: ``config.vocabulary.DEFAULT_DIRECTIONS``). ``batch`` names the import it
    came with; ``logged_by`` the Slack member who recorded it in Slack (what ``/tie undo`` takes
    back); ``now`` when it was recorded (default: the clock)."""
    if occurred_at.tzinfo is None:
        raise StoreError("the interaction time needs a time zone (e.g. 2026-11-03T10:00:00+00:00)")
    kind = check_kind(kind)
    direction = check_direction(direction, kind)
    interaction = Interaction(
        customer_id=customer.id,
        kind=kind,
        direction=direction,
        note=check_text(note, what="note"),
        occurred_at=occurred_at,
        by_user=check_member_id(by_user),
        origin=check_origin(origin),
        dedupe_key=dedupe_key,
        batch=batch,
        logged_by=check_member_id(logged_by),
        **({"created_at": now} if now is not None else {}),
    )
    if dedupe_key is None:
        session.add(interaction)
        session.flush()
        return Logged(interaction, created=True)
    row, created = insert_once(interaction, session=session, existing=lambda: session.scalar(
        select(Interaction).where(Interaction.dedupe_key == dedupe_key)))
    return Logged(row, created=created)


def interactions_for(
    customer_ids: list[int] | None = None, *, session: Session, team_id: int | None = None,
    until: datetime | None = None,
) -> list[Interaction]:
    """Interactions in time order, each with its customer loaded; optionally of some customers or
    one team's customers only, and up to ``until``."""
    query = select(Interaction).options(selectinload(Interaction.customer)).order_by(Interaction.occurred_at, Interaction.id)
    if customer_ids is not None:
        query = query.where(Interaction.customer_id.in_(customer_ids))
    if team_id is not None:
        query = query.join(Customer, Customer.id == Interaction.customer_id).where(Customer.team_id == team_id)
    if until is not None:
        query = query.where(Interaction.occurred_at <= until)
    return list(session.scalars(query))


def latest_interactions(customer_id: int, *, session: Session, limit: int) -> list[Interaction]:
    """A customer's ``limit`` most recent interactions, newest first."""
    query = (
        select(Interaction)
        .where(Interaction.customer_id == customer_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def last_logged_by(slack_user: str, *, session: Session, since: datetime, team_ids: Iterable[int]) -> Interaction | None:
    """The latest interaction ``slack_user`` recorded in Slack (``logged_by``) after ``since`` with
    a customer of one of ``team_ids`` (the teams they act for now), with its customer loaded; None
    when there is none."""
    query = (
        select(Interaction)
        .join(Customer, Interaction.customer_id == Customer.id)
        .options(selectinload(Interaction.customer))
        .where(Interaction.logged_by == slack_user, Interaction.created_at > since,
               Customer.team_id.in_(list(team_ids)))
        .order_by(Interaction.created_at.desc(), Interaction.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def logged_between(customer_id: int, kind: str, *, session: Session, since: datetime, until: datetime) -> bool:
    """Whether a ``kind`` interaction with the customer is stored with a time in ``[since, until)``
    (by anyone: the customer belongs to one team)."""
    query = select(Interaction.id).where(
        Interaction.customer_id == customer_id, Interaction.kind == kind,
        Interaction.occurred_at >= since, Interaction.occurred_at < until,
    ).limit(1)
    return session.scalar(query) is not None


def interactions_by_id(ids: Iterable[int], *, session: Session) -> list[Interaction]:
    """The stored interactions among ``ids`` (those that exist), in id order."""
    wanted = sorted(set(ids))
    found: list[Interaction] = []
    for chunk in chunked(wanted):
        found += session.scalars(select(Interaction).where(Interaction.id.in_(chunk)))
    return sorted(found, key=lambda i: i.id)


def interactions_in_batch(batch: str, *, session: Session) -> list[Interaction]:
    """The interactions an import stored under ``batch``, in id order."""
    return list(session.scalars(select(Interaction).where(Interaction.batch == batch).order_by(Interaction.id)))


def delete_interactions(ids: Iterable[int], *, session: Session) -> int:
    """Remove these interactions; returns how many rows went."""
    removed = 0
    for chunk in chunked(sorted(set(ids))):
        removed += session.execute(delete(Interaction).where(Interaction.id.in_(chunk))).rowcount or 0
    session.expire_all()  # objects loaded before now must not outlive their rows
    return removed


def remove_interactions(found: Iterable[Interaction], *, session: Session) -> tuple[int, set[int]]:
    """Delete these interactions and the snapshots their customers took since the earliest of them
    (what the scorer said then counted them); returns how many rows went and whose they were, for
    the caller to rescore. What ``/tie undo`` and ``interactions delete`` both do."""
    rows = list(found)
    if not rows:
        return 0, set()
    customers = {i.customer_id for i in rows}
    earliest = min(i.occurred_at for i in rows)
    removed = delete_interactions([i.id for i in rows], session=session)
    forget_snapshots_since(sorted(customers), session=session, since=earliest)
    return removed, customers


def share_counts(customer_ids: list[int], *, session: Session, since: datetime, until: datetime) -> dict[int, int]:
    """Customer id -> how many times the team shared their posts in ``(since, until]``."""
    if not customer_ids:
        return {}
    query = (
        select(Interaction.customer_id, func.count())
        .where(
            Interaction.customer_id.in_(customer_ids),
            Interaction.kind == "share",
            Interaction.occurred_at > since,
            Interaction.occurred_at <= until,
        )
        .group_by(Interaction.customer_id)
    )
    return {customer_id: count for customer_id, count in session.execute(query)}


_FETCH_ROWS = 10_000  # rows per fetchmany(): row-at-a-time fetching costs a second per million


_NAIVE_EPOCH = datetime(1970, 1, 1)


_MICROSECOND = timedelta(microseconds=1)


_SHARED_STRINGS = {name: name for name in (*INTERACTION_KINDS, *DIRECTIONS)}


def load_touches(customer_ids: Iterable[int], *, session: Session, until: datetime) -> dict[int, Replayable]:
    """Customer id -> its interactions up to ``until`` (notes left out), in the form
    :func:`models.scoring.assess.assess` replays: ``(t, kind, direction, at)`` with ``at`` in
    microseconds since the epoch and ``t`` the same in days (see :class:`Replayable`).

    Built for a million rows in a couple of seconds and a small footprint: a streamed Core query
    of only the needed columns (no ORM objects, no per-row TypeDecorator), exact integer times,
    kind and direction strings shared, and for many customers one sequential scan filtered here
    rather than an index probe per customer.
    """
    ids = list(customer_ids)
    grouped = {customer_id: Replayable() for customer_id in ids}
    sqlite_text = session.get_bind().dialect.name == "sqlite"
    stamp = _sqlite_epoch_microseconds() if sqlite_text else _epoch_microseconds()
    base = select(Interaction.customer_id, stamp, Interaction.kind, Interaction.direction)
    if not sqlite_text:  # on SQLite, comparing the text column costs more than filtering here
        base = base.where(Interaction.occurred_at <= until)
    limit = (until.astimezone(timezone.utc).replace(tzinfo=None) - _NAIVE_EPOCH) // _MICROSECOND
    shared = _SHARED_STRINGS  # the CHECK constraints admit only these kinds and directions
    ours = grouped.get  # None for a customer not asked about (one table scan serves many)
    connection = session.connection()
    for query in per_chunk(base, Interaction.customer_id, ids):
        for rows in _plain_rows(connection, query):
            for customer_id, at, kind, direction in rows:
                events = ours(customer_id)
                if events is None or kind in NOT_CONTACT or at > limit:
                    continue
                events.append((at / MICROSECONDS_PER_DAY, shared[kind], shared[direction], at))
    return grouped


def _plain_rows(connection: Connection, query: Select) -> Iterator[list[tuple]]:
    """The rows of ``query`` as the driver's plain tuples, :data:`_FETCH_ROWS` at a time, in the
    session's transaction: a million SQLAlchemy rows would cost a third of the load. Only for
    queries whose columns need no result processing (integers and plain strings)."""
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    arguments = [params[name] for name in compiled.positiontup] if compiled.positional else params
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), arguments)
        while rows := cursor.fetchmany(_FETCH_ROWS):
            yield rows
    finally:
        cursor.close()


def _sqlite_epoch_microseconds() -> ColumnElement[int]:
    """``occurred_at`` as exact integer microseconds since the Unix epoch, computed by SQLite from
    the 'YYYY-MM-DD HH:MM:SS.ffffff' UTC text SQLAlchemy stores: the whole seconds by
    ``strftime('%s')`` of the text before the point, and the six digits after it as they are
    (cheaper than parsing each row here)."""
    text = type_coerce(Interaction.occurred_at, String)
    seconds = cast(func.strftime("%s", func.substr(text, 1, 19)), BigInteger)  # the fraction apart: %s rounds it
    return seconds * 1_000_000 + cast(func.substr(text, 21, 6), BigInteger)


def _epoch_microseconds() -> ColumnElement[int]:
    """``occurred_at`` as exact integer microseconds since the Unix epoch, computed in SQL
    (PostgreSQL: the epoch of a timestamp without time zone is exact numeric for the UTC values
    stored here)."""
    return cast(func.extract("epoch", Interaction.occurred_at) * 1_000_000, BigInteger)
