"""Store functions for suggestions, the facts the suggestion rules and the digest read, and digest
runs. Each takes ``session=`` and never commits: the job that calls it owns the unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from models.base import utcnow
from models.entities import Customer, DigestRun, Interaction, Post, StageChange, Suggestion

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
    if session.scalar(select(Suggestion.id).where(Suggestion.dedupe_key == new.dedupe_key)) is not None:
        return None
    row = Suggestion(
        customer_id=new.customer_id, owner_user=new.owner_user, kind=new.kind, text=new.text,
        post_id=new.post_id, post_url=new.post_url, reason=new.reason, priority=new.priority,
        dedupe_key=new.dedupe_key, status="open", suggested_at=new.suggested_at,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


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


def stage_history(
    customer_ids: list[int], *, session: Session, tracks: tuple[str, ...], until: datetime
) -> list[StageChange]:
    """Stage changes of these customers on these tracks up to ``until``, oldest first."""
    if not customer_ids:
        return []
    query = (
        select(StageChange)
        .where(StageChange.customer_id.in_(customer_ids), StageChange.track.in_(tracks), StageChange.changed_at <= until)
        .order_by(StageChange.changed_at, StageChange.id)
    )
    return list(session.scalars(query))


def stage_changes_between(
    customer_ids: list[int], *, session: Session, tracks: tuple[str, ...], since: datetime, until: datetime
) -> list[StageChange]:
    """Stage changes on these tracks that happened in ``(since, until]``, oldest first."""
    return [c for c in stage_history(customer_ids, session=session, tracks=tracks, until=until) if c.changed_at > since]


# --- digest runs --------------------------------------------------------------------------------


def last_sent_digest(team_id: int, *, session: Session, before: date) -> DigestRun | None:
    """The latest digest actually sent to a team for a local date before ``before``."""
    query = (
        select(DigestRun)
        .where(DigestRun.team_id == team_id, DigestRun.status == "sent", DigestRun.local_date < before)
        .order_by(DigestRun.local_date.desc())
        .limit(1)
    )
    return session.scalar(query)


def digest_run_for(team_id: int, local_date: date, *, session: Session) -> DigestRun | None:
    """The team's digest run for one local date, whatever its status (``None`` if none was claimed):
    the unique (team, date) row that makes a digest go out at most once a day."""
    return session.scalar(select(DigestRun).where(DigestRun.team_id == team_id, DigestRun.local_date == local_date))


def claim_digest_run(
    team_id: int,
    local_date: date,
    *,
    session: Session,
    covered_from: datetime,
    covered_to: datetime,
    force: bool = False,
) -> DigestRun | None:
    """Claim the right to send a team's digest for one local date; ``None`` when it is not ours.

    The claim is a ``sending`` row under the unique (team, date) key, to be committed before any
    message goes out: whoever inserts it first sends, a concurrent or restarted run finds it and
    stays quiet. A ``failed`` run may be claimed again (atomically, by a conditional update);
    ``force`` takes over any run. A run stuck in ``sending`` (a crash mid-send) is left alone
    unless forced, because the message may already have gone out: at most once, never twice.
    """
    fields = {"status": "sending", "started_at": utcnow(), "sent_at": None, "error": None,
              "covered_from": covered_from, "covered_to": covered_to}
    existing = digest_run_for(team_id, local_date, session=session)
    if existing is not None:
        if not force and existing.status != "failed":
            return None
        statement = update(DigestRun).where(DigestRun.id == existing.id)
        if not force:
            statement = statement.where(DigestRun.status == "failed")
        if session.execute(statement.values(**fields)).rowcount != 1:
            return None
        session.refresh(existing)
        return existing
    run = DigestRun(team_id=team_id, local_date=local_date, text="", **fields)
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:  # a concurrent run claimed it between our read and our insert
        return None
    return run


def finish_digest_run(
    run_id: int, *, session: Session, status: str, text: str = "", slack_ts: str | None = None,
    error: str | None = None,
) -> None:
    """Record how a claimed digest run ended (``sent`` or ``failed``)."""
    run = session.get(DigestRun, run_id)
    if run is None:
        raise LookupError(f"digest run {run_id} vanished")
    run.status = status
    run.text = text
    run.slack_ts = slack_ts
    run.error = error
    if status == "sent":
        run.sent_at = utcnow()
