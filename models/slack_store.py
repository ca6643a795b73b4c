"""Store functions the Slack side needs: the scheduler lease and suggestion delivery.

Like every store function they take ``session=`` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.entities import HandledRequest, SchedulerLease, Suggestion
from models.suggestion_store import actionable_suggestions

# How long a handled request's key is remembered: far beyond Slack's retries (within minutes).
HANDLED_REQUEST_MEMORY = timedelta(days=1)

# Of the actionable suggestions, those a DM has not carried yet (or a finished snooze hid again).
DELIVERABLE_STATUSES = ("open", "snoozed")


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


def first_handling(key: str, *, session: Session, now: datetime) -> bool:
    """Record, in the caller's transaction, that the request ``key`` is being handled; False when it
    already was (Slack's retry of it, or a concurrent copy that got there first).

    Commit it with the work the request does: if that work fails and rolls back, the key goes too,
    and a retry does the work. Keys older than ``HANDLED_REQUEST_MEMORY`` are forgotten here.
    """
    session.execute(delete(HandledRequest).where(HandledRequest.handled_at < now - HANDLED_REQUEST_MEMORY))
    if session.get(HandledRequest, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(HandledRequest(key=key, handled_at=now))
    except IntegrityError:  # a concurrent copy of the request inserted it first
        return False
    return True


def suggestions_to_deliver(*, session: Session, now: datetime, max_age: timedelta) -> list[Suggestion]:
    """Actionable suggestions (see ``actionable_suggestions``: not future-dated, not older than
    ``max_age``, tracked and unsnoozed customers, not closed) that are due in their owner's DMs:
    open ones, never sent, and snoozed ones whose snooze has run out. Highest priority first."""
    return [
        s for s in actionable_suggestions(session=session, as_of=now, max_age=max_age)
        if s.owner_user is not None and s.status in DELIVERABLE_STATUSES
    ]


@dataclass(frozen=True)
class DeliveryClaim:
    """What a suggestion looked like before it was claimed for delivery, so a claim can be undone."""

    suggestion_id: int
    status: str
    slack_channel: str | None
    slack_ts: str | None
    snoozed_until: datetime | None


def claim_delivery(suggestion: Suggestion, *, session: Session, channel: str) -> DeliveryClaim | None:
    """Mark a due suggestion as being sent to ``channel``: ``sent`` with no ``slack_ts`` yet.

    Conditional on the suggestion still being in the state it was read in, so two deliveries never
    both claim it. Commit the claim before posting: a claimed row is never selected for delivery
    again, which is what keeps a crash between the post and :func:`mark_delivered` from sending the
    DM twice. ``None`` when someone else changed the suggestion first.
    """
    before = DeliveryClaim(suggestion.id, suggestion.status, suggestion.slack_channel, suggestion.slack_ts,
                           suggestion.snoozed_until)
    claimed = session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion.id, Suggestion.status == suggestion.status)
        .values(status="sent", slack_channel=channel, slack_ts=None, snoozed_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return before if claimed == 1 else None


def release_delivery(claim: DeliveryClaim, *, session: Session) -> None:
    """Undo a claim whose post Slack refused (so nothing was sent): the suggestion is due again.

    Only a claim still unconfirmed is undone; a click on the message meanwhile is kept.
    """
    session.execute(
        update(Suggestion)
        .where(Suggestion.id == claim.suggestion_id, Suggestion.status == "sent", Suggestion.slack_ts.is_(None))
        .values(status=claim.status, slack_channel=claim.slack_channel, slack_ts=claim.slack_ts,
                snoozed_until=claim.snoozed_until)
        .execution_options(synchronize_session=False)
    )


def mark_delivered(suggestion_id: int, *, channel: str, ts: str, session: Session) -> None:
    """Remember where the DM went, so a click can update it (whatever the click did meanwhile)."""
    session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion_id)
        .values(slack_channel=channel, slack_ts=ts)
        .execution_options(synchronize_session=False)
    )
