"""Store functions for suggestions, the facts the suggestion rules and the digest read, and digest
runs. Each takes ``session=`` and never commits: the job that calls it owns the unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from models.entities import Customer, Suggestion
from models.store.sql import insert_once

# Suggestions a manager can still act on (``sent`` = delivered by DM, not yet answered).
ACTIONABLE_STATUSES = ("open", "sent", "snoozed")


@dataclass(frozen=True)
class NewSuggestion:
    """The columns of a suggestion to store (what the rules proposed, plus when)."""

    customer_id: int
    owner_user: str | None
    kind: str
    text: str
    post_id: int | None
    post_url: str | None
    reason: str
    priority: float
    dedupe_key: str
    suggested_at: datetime


def suggestions_for(customer_ids: list[int], *, session: Session) -> list[Suggestion]:
    """Every suggestion ever made to these customers, whatever its status (the rules' memory)."""
    if not customer_ids:
        return []
    query = select(Suggestion).where(Suggestion.customer_id.in_(customer_ids)).order_by(Suggestion.id)
    return list(session.scalars(query))


def add_suggestion(new: NewSuggestion, *, session: Session) -> Suggestion | None:
    """Store one suggestion; ``None`` when its dedupe key is already taken (a re-run or a
    concurrent run got there first), so storing is idempotent."""
    row = Suggestion(
        customer_id=new.customer_id, owner_user=new.owner_user, kind=new.kind, text=new.text,
        post_id=new.post_id, post_url=new.post_url, reason=new.reason, priority=new.priority,
        dedupe_key=new.dedupe_key, status="open", suggested_at=new.suggested_at,
    )
    stored, created = insert_once(row, session=session, existing=lambda: session.scalar(
        select(Suggestion).where(Suggestion.dedupe_key == new.dedupe_key)))
    return stored if created else None


def actionable_suggestions(
    *, session: Session, as_of: datetime, max_age: timedelta, team_id: int | None = None
) -> list[Suggestion]:
    """Suggestions a manager can act on at ``as_of``, highest priority first.

    Open or delivered ones made within ``max_age`` (older ones are stale news), snoozed ones whose
    snooze ran out within ``max_age``; nothing for a customer who is snoozed or no longer tracked.
    """
    query = (
        select(Suggestion)
        .join(Customer, Customer.id == Suggestion.customer_id)
        .where(
            Suggestion.status.in_(ACTIONABLE_STATUSES),
            Suggestion.suggested_at <= as_of,
            # a snoozed suggestion's age runs from the end of its snooze, so "hide it for a week"
            # brings it back instead of letting it expire while hidden
            func.coalesce(Suggestion.snoozed_until, Suggestion.suggested_at) > as_of - max_age,
            or_(Suggestion.snoozed_until.is_(None), Suggestion.snoozed_until <= as_of),
            or_(Customer.snoozed_until.is_(None), Customer.snoozed_until <= as_of),
            Customer.tracked.is_(True),
        )
        .options(selectinload(Suggestion.customer).selectinload(Customer.owner))
        .order_by(Suggestion.priority.desc(), Suggestion.id)
    )
    if team_id is not None:
        query = query.where(Customer.team_id == team_id)
    return list(session.scalars(query))


# --- digest runs --------------------------------------------------------------------------------


