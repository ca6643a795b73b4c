"""Store functions the Slack side needs: the scheduler lease and suggestion delivery.

Like every store function they take ``session=`` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from models.entities import Customer, SchedulerLease, Suggestion


@dataclass(frozen=True)
class LeaseState:
    """Who holds a lease after an attempt to take or renew it."""

    acquired: bool
    holder: str
    expires_at: datetime


def acquire_lease(name: str, holder: str, *, session: Session, now: datetime, ttl: timedelta) -> LeaseState:
    """Take (or renew) the lease ``name`` for ``holder`` unless someone else holds an unexpired one.

    The row is read for update, so two processes racing for it are serialised by the database;
    an expired lease (its holder died without releasing it) is taken over.
    """
    lease = session.scalar(select(SchedulerLease).where(SchedulerLease.name == name).with_for_update())
    if lease is None:
        try:
            with session.begin_nested():
                session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
        except IntegrityError:  # another process inserted it first
            lease = session.scalar(select(SchedulerLease).where(SchedulerLease.name == name).with_for_update())
            return LeaseState(False, lease.holder, lease.expires_at)
        return LeaseState(True, holder, now + ttl)
    if lease.holder != holder and lease.expires_at > now:
        return LeaseState(False, lease.holder, lease.expires_at)
    lease.holder = holder
    lease.expires_at = now + ttl
    return LeaseState(True, holder, lease.expires_at)


def release_lease(name: str, holder: str, *, session: Session) -> None:
    """Give the lease up, if ``holder`` still has it, so the next process need not wait for expiry."""
    session.execute(delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder))


def suggestions_to_deliver(*, session: Session, now: datetime) -> list[Suggestion]:
    """Suggestions due in their owner's DMs: open and never sent, or back from a finished snooze.

    Customers snoozed with ``/tie snooze`` are left out until their snooze ends.
    """
    query = (
        select(Suggestion)
        .join(Customer, Customer.id == Suggestion.customer_id)
        .where(
            Suggestion.owner_user.is_not(None),
            or_(
                (Suggestion.status == "open") & Suggestion.slack_ts.is_(None),
                (Suggestion.status == "snoozed") & (Suggestion.snoozed_until <= now),
            ),
            or_(Customer.snoozed_until.is_(None), Customer.snoozed_until <= now),
        )
        .options(selectinload(Suggestion.customer))
        .order_by(Suggestion.priority.desc(), Suggestion.id)
    )
    return list(session.scalars(query))


def mark_delivered(suggestion: Suggestion, *, channel: str, ts: str) -> None:
    """Remember where the DM went, so a click can update it and it is never sent twice."""
    suggestion.slack_channel = channel
    suggestion.slack_ts = ts
    suggestion.status = "sent"
    suggestion.snoozed_until = None
