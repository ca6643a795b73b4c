"""Store functions shared by commands, jobs and listeners.

Each takes the session as the keyword argument ``session`` and never commits: the caller owns the
unit of work.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from config.roster import name_key

from models.entities import (
    DIRECTIONS,
    INTERACTION_KINDS,
    Customer,
    Interaction,
    Member,
    Post,
    Rating,
    Source,
    Team,
)


class StoreError(ValueError):
    """A request the store cannot satisfy, with a message meant for the person who made it."""


class UnknownNameError(StoreError):
    """A name matched nothing; ``suggestions`` holds the closest known names."""

    def __init__(self, what: str, name: str, known: list[str]) -> None:
        self.name = name
        self.suggestions = close_matches(name, known)
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {what} {name!r}.{hint}")


def close_matches(name: str, known: list[str], limit: int = 3) -> list[str]:
    """The known names closest to ``name`` (case-insensitive), best first."""
    by_key = {k.casefold(): k for k in known}
    hits = difflib.get_close_matches(name.casefold(), list(by_key), n=limit, cutoff=0.5)
    contains = [k for k in by_key if name.casefold() in k and k not in hits]
    return [by_key[k] for k in (hits + contains)[:limit]]


def team_by_name(name: str, *, session: Session) -> Team:
    """The team called ``name`` (case ignored), or an error listing the closest team names."""
    team = session.scalar(select(Team).where(func.lower(Team.name) == name.strip().lower()))
    if team is None:
        raise UnknownNameError("team", name, list(session.scalars(select(Team.name))))
    return team


def team_id_for(name: str | None, *, session: Session) -> int | None:
    """The id of the team called ``name``, or ``None`` when no team was named (an optional --team)."""
    return team_by_name(name, session=session).id if name else None


def find_customer(name: str, *, session: Session, team_id: int | None = None) -> Customer:
    """The customer called ``name`` (quotes and case ignored), optionally within one team."""
    query = select(Customer).where(Customer.name_key == name_key(name))
    known = select(Customer.name)
    if team_id is not None:
        query = query.where(Customer.team_id == team_id)
        known = known.where(Customer.team_id == team_id)
    matches = list(session.scalars(query))
    if len(matches) > 1:
        teams = ", ".join(sorted(session.get(Team, c.team_id).name for c in matches))
        raise StoreError(f"{name!r} names customers in several teams ({teams}); pass --team")
    if not matches:
        raise UnknownNameError("customer", name, list(session.scalars(known)))
    return matches[0]


def match_customer_prefix(text: str, *, session: Session, team_id: int) -> tuple[Customer, str]:
    """Split free text into the longest known customer name it starts with and the rest.

    ``/tie log Jane Doe call coffee`` must find "Jane Doe" even though it is unquoted.
    """
    words = text.split()
    customers = list(session.scalars(select(Customer).where(Customer.team_id == team_id)))
    by_key = {c.name_key: c for c in customers}
    for cut in range(len(words), 0, -1):
        candidate = name_key(" ".join(words[:cut]))
        if candidate in by_key:
            return by_key[candidate], " ".join(words[cut:])
    guess = " ".join(words[:2]) if words else ""
    raise UnknownNameError("customer", guess, [c.name for c in customers])


def check_kind(kind: str) -> str:
    """The interaction kind in canonical form, or an error listing the closest kinds."""
    kind = kind.strip().lower()
    if kind not in INTERACTION_KINDS:
        raise UnknownNameError("interaction kind", kind, list(INTERACTION_KINDS))
    return kind


def check_direction(direction: str) -> str:
    """inbound, outbound or mutual in canonical form, or an error listing them."""
    direction = direction.strip().lower()
    if direction not in DIRECTIONS:
        raise UnknownNameError("direction", direction, list(DIRECTIONS))
    return direction


@dataclass(frozen=True)
class Logged:
    interaction: Interaction
    created: bool  # False when the dedupe key had already been recorded


def log_interaction(
    customer: Customer,
    kind: str,
    *,
    session: Session,
    occurred_at: datetime,
    direction: str = "mutual",
    note: str = "",
    by_user: str | None = None,
    origin: str = "cli",
    dedupe_key: str | None = None,
) -> Logged:
    """Record one interaction; with a ``dedupe_key`` a repeat returns the first record instead."""
    if occurred_at.tzinfo is None:
        raise StoreError("the interaction time needs a time zone (e.g. 2026-11-03T10:00:00+00:00)")
    kind = check_kind(kind)
    direction = check_direction(direction)
    if dedupe_key is not None:
        existing = session.scalar(select(Interaction).where(Interaction.dedupe_key == dedupe_key))
        if existing is not None:
            return Logged(existing, created=False)
    interaction = Interaction(
        customer_id=customer.id,
        kind=kind,
        direction=direction,
        note=note,
        occurred_at=occurred_at,
        by_user=by_user,
        origin=origin,
        dedupe_key=dedupe_key,
    )
    if dedupe_key is None:
        session.add(interaction)
        session.flush()
        return Logged(interaction, created=True)
    try:
        with session.begin_nested():
            session.add(interaction)
    except IntegrityError:  # a concurrent retry won the race
        existing = session.scalar(select(Interaction).where(Interaction.dedupe_key == dedupe_key))
        if existing is None:
            raise
        return Logged(existing, created=False)
    return Logged(interaction, created=True)


def record_rating(
    customer: Customer,
    rating: int,
    *,
    session: Session,
    rated_at: datetime,
    by_user: str | None = None,
    dedupe_key: str | None = None,
) -> Rating:
    """Record a manager's 0-10 judgment of a tie; with ``dedupe_key``, at most once per key, even
    when two copies of one request (a Slack retry and the original) record it at the same time."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= 10:
        raise StoreError(f"a rating is a whole number from 0 to 10, got {rating!r}")
    if dedupe_key is not None:
        existing = session.scalar(select(Rating).where(Rating.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    entry = Rating(customer_id=customer.id, rating=rating, by_user=by_user, rated_at=rated_at, dedupe_key=dedupe_key)
    if dedupe_key is None:
        session.add(entry)
        session.flush()
        return entry
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:  # a concurrent copy of the request won the race
        existing = session.scalar(select(Rating).where(Rating.dedupe_key == dedupe_key))
        if existing is None:
            raise
        return existing
    return entry


def member_teams(slack_user: str, *, session: Session) -> list[Team]:
    """The teams the roster puts a Slack user in."""
    query = select(Team).join(Member).where(Member.slack_user == slack_user, Member.active.is_(True))
    return list(session.scalars(query))


def tracked_customers(*, session: Session, team_id: int | None = None) -> list[Customer]:
    """Customers being tracked (top ``top_n`` by revenue, still in the roster), by team and rank."""
    query = (
        select(Customer)
        .where(Customer.tracked.is_(True))
        .options(selectinload(Customer.owner), selectinload(Customer.team))
        .order_by(Customer.team_id, Customer.revenue_rank, Customer.id)
    )
    if team_id is not None:
        query = query.where(Customer.team_id == team_id)
    return list(session.scalars(query))


def interactions_for(customer_ids: list[int] | None = None, *, session: Session, until: datetime | None = None) -> list[Interaction]:
    """Interactions in time order, optionally of some customers only and up to ``until``."""
    query = select(Interaction).order_by(Interaction.occurred_at, Interaction.id)
    if customer_ids is not None:
        query = query.where(Interaction.customer_id.in_(customer_ids))
    if until is not None:
        query = query.where(Interaction.occurred_at <= until)
    return list(session.scalars(query))


def post_counts(*, session: Session) -> dict[int, int]:
    """Source id -> number of stored posts."""
    rows = session.execute(select(Post.source_id, func.count()).group_by(Post.source_id))
    return {source_id: count for source_id, count in rows}


def all_sources(*, session: Session) -> list[Source]:
    """Every source with its customer and team loaded, in id order (for health listings)."""
    query = select(Source).options(selectinload(Source.customer).selectinload(Customer.team)).order_by(Source.id)
    return list(session.scalars(query))
