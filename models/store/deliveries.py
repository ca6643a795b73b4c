"""Suggestion DMs: which are due, and the claim that keeps each from being sent twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from models.entities import Suggestion
from models.store.suggestions import actionable_suggestions

# Of the actionable suggestions, those a DM has not carried yet (or a finished snooze hid again).
DELIVERABLE_STATUSES = ("open", "snoozed")


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


def claim_delivery(suggestion_id: int, *, session: Session, channel: str) -> DeliveryClaim | None:
    """Mark a due suggestion as being sent to ``channel``: ``sent`` with no ``slack_ts`` yet.

    Conditional on the suggestion still being in the state it was read in, so two deliveries never
    both claim it. Commit the claim before posting: a claimed row is never selected for delivery
    again, which is what keeps a crash between the post and :func:`mark_delivered` from sending the
    DM twice. ``None`` when someone else changed the suggestion first, or it is gone.
    """
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None:
        return None
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
