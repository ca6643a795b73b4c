"""Posts: storing what a read brought in, and reading them back by time or newest first."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Protocol, Sequence

from sqlalchemy import (
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session, selectinload

from models.entities import Customer, Post
from models.store import clean
from models.store.sql import chunked, per_chunk
from models.timeline import to_days

# Table-level (Core) statements, built once: the ORM's bulk-statement machinery (session
# synchronisation, per-call statement building) cost more than the database work itself, and a
# pass stores results for thousands of sources from a single thread.
_POSTS = Post.__table__


_INSERT_POSTS = insert(_POSTS)


# The stored ids among those of several sources at once: a superset of the pairs asked for (any
# of these sources, any of these ids), narrowed to exact pairs in Python.
_KNOWN_PAIRS = select(_POSTS.c.source_id, _POSTS.c.external_id).where(
    _POSTS.c.source_id.in_(bindparam("source_keys", expanding=True)),
    _POSTS.c.external_id.in_(bindparam("external_ids", expanding=True)),
)


class PostLike(Protocol):
    """What a post to store must offer (a connector's Record has exactly these attributes)."""

    external_id: str
    url: str | None
    title: str
    text: str
    published_at: datetime | None
    author: str | None


def post_row(record: PostLike, *, fetched_at: datetime) -> dict[str, object]:
    """The storable values of a post a source sent (see :mod:`models.store.clean`): clean,
    bounded text, an identifier that fits its column, a plausible publication date."""
    return {
        "external_id": clean.identifier(record.external_id, clean.EXTERNAL_ID_LIMIT),
        "url": clean.url(record.url),
        "title": clean.prose(record.title, clean.TITLE_LIMIT) or "",
        "text": clean.prose(record.text, clean.TEXT_LIMIT) or "",
        "author": clean.prose(record.author, clean.AUTHOR_LIMIT) or None,
        "published_at": clean.published(record.published_at, fetched_at=fetched_at),
        "fetched_at": fetched_at,
    }


@dataclass(frozen=True)
class SourcePosts:
    """What one read of one source brought: the posts to store under it and its customer."""

    source_id: int
    customer_id: int
    records: Sequence[PostLike]


def store_posts(source_id: int, customer_id: int, records: Iterable[PostLike], *, session: Session, fetched_at: datetime) -> int:
    """Insert the records the source does not have yet; return how many were new."""
    return store_posts_of([SourcePosts(source_id, customer_id, list(records))], session=session, fetched_at=fetched_at)[0]


def store_posts_of(reads: Sequence[SourcePosts], *, session: Session, fetched_at: datetime) -> list[int]:
    """Insert, for each read, the records its source does not have yet; return how many were new,
    read by read.

    Every value is made storable first (:func:`post_row`), the same way on every database.
    Core statements for all the reads together (one lookup of the known ids per chunk, one
    multi-row insert) rather than ORM objects or statements per source: a pass stores thousands
    of posts from a single thread, and each statement costs that thread more than the rows do.
    """
    fresh: list[dict[str, dict[str, object]]] = []
    for read in reads:
        rows: dict[str, dict[str, object]] = {}
        for record in read.records:
            row = post_row(record, fetched_at=fetched_at)
            rows.setdefault(str(row["external_id"]), row)
        fresh.append(rows)
    source_ids = sorted({read.source_id for read, rows in zip(reads, fresh) if rows})
    external_ids = sorted({key for rows in fresh for key in rows})
    known: set[tuple[int, str]] = set()
    for sources in chunked(source_ids):
        for ids in chunked(external_ids):
            known.update((row[0], row[1]) for row in session.execute(_KNOWN_PAIRS, {"source_keys": list(sources), "external_ids": list(ids)}))
    new_rows: list[dict[str, object]] = []
    counts: list[int] = []
    for read, rows in zip(reads, fresh):
        before = len(new_rows)
        for key, row in rows.items():
            if (read.source_id, key) not in known:
                known.add((read.source_id, key))  # a source read twice in one call stores its post once
                new_rows.append({"source_id": read.source_id, "customer_id": read.customer_id, **row})
        counts.append(len(new_rows) - before)
    if new_rows:
        session.execute(_INSERT_POSTS, new_rows)
    return counts


def post_counts(*, session: Session) -> dict[int, int]:
    """Source id -> number of stored posts."""
    rows = session.execute(select(Post.source_id, func.count()).group_by(Post.source_id))
    return {source_id: count for source_id, count in rows}


def newest_posts(
    *, session: Session, customer_id: int | None = None, team_id: int | None = None, limit: int | None = None
) -> list[Post]:
    """Posts newest first (undated ones last), each with its customer and source loaded; optionally
    of one customer or of one team's customers only, and at most ``limit`` of them."""
    query = (
        select(Post)
        .options(selectinload(Post.customer), selectinload(Post.source))
        .order_by(Post.published_at.desc().nulls_last(), Post.id.desc())
    )
    if customer_id is not None:
        query = query.where(Post.customer_id == customer_id)
    if team_id is not None:
        query = query.join(Customer, Customer.id == Post.customer_id).where(Customer.team_id == team_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def posts_between(customer_ids: list[int], *, session: Session, since: datetime, until: datetime) -> list[Post]:
    """Posts by these customers published (or, undated, fetched) in ``(since, until]``."""
    if not customer_ids:
        return []
    moment = func.coalesce(Post.published_at, Post.fetched_at)
    query = (
        select(Post)
        .where(Post.customer_id.in_(customer_ids), moment > since, moment <= until)
        .order_by(moment, Post.id)
    )
    return list(session.scalars(query))


def posts_fetched_between(
    customer_ids: list[int], *, session: Session, since: datetime, until: datetime, published_after: datetime
) -> list[Post]:
    """Posts by these customers first seen (fetched) in ``(since, until]`` and published (or,
    undated, fetched) in ``(published_after, until]``, oldest first.

    What is new to the team is what was fetched since it last looked: a post published before the
    last digest but fetched after it would fall between two windows by its publication date.
    ``published_after`` keeps a new source's back catalogue from counting as news."""
    if not customer_ids:
        return []
    moment = func.coalesce(Post.published_at, Post.fetched_at)
    query = (
        select(Post)
        .where(Post.customer_id.in_(customer_ids), Post.fetched_at > since, Post.fetched_at <= until,
               moment > published_after, moment <= until)
        .order_by(moment, Post.id)
    )
    return list(session.scalars(query))


def load_activity(customer_ids: Iterable[int], *, session: Session, until: datetime) -> dict[int, list[float]]:
    """Customer id -> when they published (their posts up to ``until``), in days since the epoch:
    the model's activity input. One query over the posts index; posts without a date are left out
    (nothing says when they were active)."""
    ids = list(customer_ids)
    wanted = set(ids)
    grouped: dict[int, list[float]] = defaultdict(list)
    base = (select(Post.customer_id, Post.published_at)
            .where(Post.published_at.is_not(None), Post.published_at <= until))
    queries = per_chunk(base, Post.customer_id, ids)
    for query in queries:
        for customer_id, published_at in session.execute(query):
            if customer_id in wanted:
                grouped[customer_id].append(to_days(published_at))
    return grouped
