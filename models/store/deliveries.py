"""Suggestion DMs: which are due, the claim that keeps each from being sent twice, and the
recovery of a claim a crash left unconfirmed (so none is lost either)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models.entities import Customer, Member, Suggestion, Team
from models.store.suggestions import actionable_suggestions

# Of the actionable suggestions, those a DM has not carried yet (or a finished snooze hid again).
DELIVERABLE_STATUSES = ("open", "snoozed")


def suggestions_to_deliver(*, session: Session, now: datetime, max_age: timedelta) -> list[Suggestion]:
    """Actionable suggestions (see ``actionable_suggestions``: not future-dated, not older than
    ``max_age``, tracked and unsnoozed customers, not closed) that are due in their owner's DMs:
    open ones, never sent, and snoozed ones whose snooze has run out. Highest priority first.

    Only to owners the roster still lists in the customer's team, that team still in the roster:
    a member or a team an import removed gets no more DMs."""
    listed = {(team_id, user) for team_id, user in session.execute(
        select(Member.team_id, Member.slack_user)
        .join(Team, Team.id == Member.team_id)
        .where(Member.active.is_(True), Team.in_roster.is_(True))
    )}
    return [
        s for s in actionable_suggestions(session=session, as_of=now, max_age=max_age)
        if s.owner_user is not None and s.status in DELIVERABLE_STATUSES
        and (s.customer.team_id, s.owner_user) in listed
    ]


@dataclass(frozen=True)
class DeliveryClaim:
    """What a suggestion looked like before it was claimed for delivery, so a claim can be undone."""

    suggestion_id: int
    status: str
    slack_channel: str | None
    slack_ts: str | None
    snoozed_until: datetime | None


def claim_delivery(suggestion_id: int, *, session: Session, channel: str, now: datetime) -> DeliveryClaim | None:
    """Mark a due suggestion as being sent to ``channel``: ``sent`` with no ``slack_ts`` yet,
    claimed at ``now``.

    Conditional on the suggestion still being in the state it was read in, so two deliveries never
    both claim it. Commit the claim before posting: a claimed row is never selected for delivery
    again, which is what keeps a crash between the post and :func:`mark_delivered` from sending the
    DM twice. A claim that stays unconfirmed past the stale-claim timeout is settled by
    :func:`settle_stale_claim`. ``None`` when someone else changed the suggestion first, or it is gone.
    """
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None:
        return None
    before = DeliveryClaim(suggestion.id, suggestion.status, suggestion.slack_channel, suggestion.slack_ts,
                           suggestion.snoozed_until)
    claimed = session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion.id, Suggestion.status == suggestion.status)
        .values(status="sent", slack_channel=channel, slack_ts=None, snoozed_until=None, claimed_at=now)
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
                snoozed_until=claim.snoozed_until, claimed_at=None)
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


@dataclass(frozen=True)
class StaleClaim:
    """A DM claim never confirmed with a ``slack_ts``: where it was going, and since when a message
    carrying it could have been posted (the claim time, or ``suggested_at`` for a claim made before
    claim times were kept)."""

    suggestion_id: int
    channel: str
    claimed_at: datetime | None
    since: datetime
    workspace: str | None = None  # the Slack workspace of the customer's team (None: it names none)


def stale_delivery_claims(*, session: Session, claimed_before: datetime) -> list[StaleClaim]:
    """Claims made at or before ``claimed_before`` and still unconfirmed (``sent``, no ``slack_ts``):
    the process that made them died between the claim and recording the post."""
    query = (select(Suggestion.id, Suggestion.slack_channel, Suggestion.claimed_at, Suggestion.suggested_at,
                    Team.workspace)
             .join(Customer, Customer.id == Suggestion.customer_id)
             .join(Team, Team.id == Customer.team_id)
             .where(Suggestion.status == "sent", Suggestion.slack_ts.is_(None), Suggestion.slack_channel.is_not(None),
                    or_(Suggestion.claimed_at <= claimed_before, Suggestion.claimed_at.is_(None)))
             .order_by(Suggestion.id))
    return [StaleClaim(sid, channel, claimed_at, claimed_at or suggested_at, workspace or None)
            for sid, channel, claimed_at, suggested_at, workspace in session.execute(query)]


def settle_stale_claim(claim: StaleClaim, *, session: Session, ts: str | None) -> bool:
    """Settle a stale claim after looking for its DM: found (``ts``), the DM is recorded as
    delivered; absent, the suggestion is open again, due for a fresh claim and send.

    Conditional on the claim being exactly the one read, so of two processes settling it one wins
    (False for the other, and for a claim a click or a delivery changed meanwhile)."""
    same_claim = (Suggestion.claimed_at.is_(None) if claim.claimed_at is None
                  else Suggestion.claimed_at == claim.claimed_at)
    values: dict[str, object] = ({"slack_ts": ts} if ts is not None
                                 else {"status": "open", "slack_channel": None, "claimed_at": None})
    return session.execute(
        update(Suggestion)
        .where(Suggestion.id == claim.suggestion_id, Suggestion.status == "sent", Suggestion.slack_ts.is_(None),
               same_claim)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
