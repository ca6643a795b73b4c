"""Suggestions: storing what the rules proposed, the ones a manager can act on, and what a manager
did with one (done, snoozed, not relevant). Each takes ``session=`` and never commits: the job or
listener that calls it owns the unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from models.entities import Customer, Suggestion
from models.store.interactions import log_interaction
from models.store.sql import insert_once

# Suggestions a manager can still act on (``sent`` = delivered by DM, not yet answered).
ACTIONABLE_STATUSES = ("open", "sent", "snoozed")
# Suggestions a manager has answered for good: no click changes them any more.
CLOSED_STATUSES = frozenset({"done", "dismissed"})
#: Why a suggestion was "Not relevant", as the manager picks it after the click (value -> words).
DISMISS_REASONS: dict[str, str] = {
    "wrong_person": "wrong person",
    "bad_timing": "bad timing",
    "already_done": "already done",
    "not_our_style": "not our style",
}


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


def suggestion_in_teams(suggestion_id: int, *, session: Session, team_ids: Iterable[int]) -> Suggestion | None:
    """The suggestion with this id if it concerns a customer of one of ``team_ids`` (else ``None``),
    locked for the rest of the transaction so two clicks on it are applied one after the other."""
    query = (
        select(Suggestion)
        .join(Customer, Customer.id == Suggestion.customer_id)
        .where(Suggestion.id == suggestion_id, Customer.team_id.in_(list(team_ids)))
        .with_for_update()
    )
    return session.scalar(query)


def complete_suggestion(
    suggestion: Suggestion, *, session: Session, by_user: str, now: datetime, interaction_kind: str,
    log_touch: bool = True,
) -> bool:
    """Done: log the gesture as an ``interaction_kind`` interaction at ``now`` in the kind's default
    direction, recorded as logged by ``by_user`` (once, however often it is clicked), and close the
    suggestion; ``log_touch=False`` closes it without logging (the touch is already there). False
    when it was already closed."""
    if suggestion.status in CLOSED_STATUSES:
        return False
    if log_touch:
        log_interaction(
            suggestion.customer, interaction_kind, session=session, occurred_at=now, note=suggestion.text,
            by_user=by_user, origin="button", dedupe_key=f"suggestion:{suggestion.id}:done",
            logged_by=by_user, now=now,
        )
    _answer(suggestion, "done", by_user=by_user, now=now)
    return True


def snooze_suggestion(suggestion: Suggestion, *, session: Session, by_user: str, now: datetime, until: datetime) -> bool:
    """Hide the suggestion until ``until``; it is actionable (and delivered) again afterwards.
    False when it is closed, or already snoozed and the snooze has not run out."""
    if suggestion.status in CLOSED_STATUSES or (
            suggestion.status == "snoozed" and (suggestion.snoozed_until or now) > now):
        return False
    _answer(suggestion, "snoozed", by_user=by_user, now=now)
    suggestion.snoozed_until = until
    return True


def dismiss_suggestion(suggestion: Suggestion, *, session: Session, by_user: str, now: datetime) -> bool:
    """Not relevant: closed for good (its dedupe key keeps the rules from proposing it again).
    False when it was already closed."""
    if suggestion.status in CLOSED_STATUSES:
        return False
    _answer(suggestion, "dismissed", by_user=by_user, now=now)
    return True


def set_dismiss_reason(suggestion: Suggestion, reason: str) -> bool:
    """Record why a dismissed suggestion was not relevant (one of :data:`DISMISS_REASONS`); a later
    pick replaces an earlier one. False when the suggestion is not dismissed or the reason unknown."""
    if suggestion.status != "dismissed" or reason not in DISMISS_REASONS:
        return False
    suggestion.dismiss_reason = reason
    return True


@dataclass(frozen=True)
class KindStats:
    """What managers did with the suggestions of one kind."""

    kind: str
    made: int
    done: int
    snoozed: int
    dismissed: int
    open: int  # open or delivered, not answered yet
    reasons: dict[str, int]  # dismissal reason -> count (``unspecified`` when none was picked)

    def as_json(self) -> dict[str, object]:
        """The ``strongtie suggest --stats --json`` record of this kind."""
        answered = self.done + self.snoozed + self.dismissed
        return {"kind": self.kind, "made": self.made, "done": self.done, "snoozed": self.snoozed,
                "dismissed": self.dismissed, "open": self.open,
                "done_rate": round(self.done / answered, 3) if answered else None,
                "dismissed_reasons": dict(self.reasons)}


def suggestion_stats(*, session: Session, since: datetime | None = None) -> list[KindStats]:
    """Per suggestion kind (most made first): how many were made, done, snoozed (and still
    snoozed), dismissed (with their reasons), and still open; counted in SQL, one row per group."""
    query = select(Suggestion.kind, Suggestion.status, Suggestion.dismiss_reason, func.count()).group_by(
        Suggestion.kind, Suggestion.status, Suggestion.dismiss_reason)
    if since is not None:
        query = query.where(Suggestion.suggested_at >= since)
    counts: dict[str, dict[str, int]] = {}
    reasons: dict[str, dict[str, int]] = {}
    for kind, status, reason, count in session.execute(query):
        bucket = "open" if status in ("open", "sent") else status
        counts.setdefault(kind, {}).setdefault(bucket, 0)
        counts[kind][bucket] += count
        if status == "dismissed":
            key = reason or "unspecified"
            reasons.setdefault(kind, {}).setdefault(key, 0)
            reasons[kind][key] += count
    stats = [KindStats(kind=kind, made=sum(c.values()), done=c.get("done", 0), snoozed=c.get("snoozed", 0),
                       dismissed=c.get("dismissed", 0), open=c.get("open", 0),
                       reasons=dict(sorted(reasons.get(kind, {}).items(), key=lambda item: (-item[1], item[0]))))
             for kind, c in counts.items()]
    return sorted(stats, key=lambda s: (-s.made, s.kind))


def _answer(suggestion: Suggestion, status: str, *, by_user: str, now: datetime) -> None:
    suggestion.status = status
    suggestion.acted_at = now
    suggestion.acted_by = by_user
