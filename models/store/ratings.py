"""Managers' own 0-10 judgments of a tie: recording one, and the latest of each customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from models.entities import Customer, Rating
from models.store.errors import StoreError
from models.store.sql import insert_once


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
    entry = Rating(customer_id=customer.id, rating=rating, by_user=by_user, rated_at=rated_at, dedupe_key=dedupe_key)
    if dedupe_key is None:
        session.add(entry)
        session.flush()
        return entry
    row, _ = insert_once(entry, session=session, existing=lambda: session.scalar(
        select(Rating).where(Rating.dedupe_key == dedupe_key)))
    return row


def latest_ratings(*, session: Session) -> list[Rating]:
    """Each rated customer's latest rating (of two given at the same instant, the later stored one),
    its customer loaded, in customer-name order."""
    latest = (select(Rating.customer_id, func.max(Rating.rated_at).label("rated_at"))
              .group_by(Rating.customer_id).subquery())
    query = (
        select(Rating)
        .join(latest, (Rating.customer_id == latest.c.customer_id) & (Rating.rated_at == latest.c.rated_at))
        .join(Rating.customer)
        .options(contains_eager(Rating.customer))
        .order_by(Customer.name, Rating.id)
    )
    chosen: dict[int, Rating] = {}
    for rating in session.scalars(query):
        chosen[rating.customer_id] = rating  # same-instant ties: the later row wins
    return list(chosen.values())
