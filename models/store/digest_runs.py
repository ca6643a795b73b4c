"""Digest runs: at most one per team and team-local day, claimed before it is sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.entities import DigestRun
from models.store.sql import insert_once


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
    now: datetime,
) -> DigestRun | None:
    """Claim the right to send a team's digest for one local date; ``None`` when it is not ours.

    The claim is a ``sending`` row under the unique (team, date) key, to be committed before any
    message goes out: whoever inserts it first sends, a concurrent or restarted run finds it and
    stays quiet. A ``failed`` run may be claimed again (atomically, by a conditional update);
    ``force`` takes over any run. A run stuck in ``sending`` (a crash mid-send) is left alone
    unless forced, because the message may already have gone out: at most once, never twice.
    ``now`` is when the claim is made.
    """
    fields = {"status": "sending", "started_at": now, "sent_at": None, "error": None,
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
    run, created = insert_once(DigestRun(team_id=team_id, local_date=local_date, text="", **fields), session=session,
                               existing=lambda: digest_run_for(team_id, local_date, session=session))
    return run if created else None  # a concurrent run claimed it between our read and our insert


def finish_digest_run(
    run_id: int, *, session: Session, status: str, text: str = "", slack_ts: str | None = None,
    error: str | None = None, now: datetime,
) -> None:
    """Record how a claimed digest run ended (``sent`` or ``failed``); ``now`` is when it ended,
    kept as ``sent_at`` for a sent one."""
    run = session.get(DigestRun, run_id)
    if run is None:
        raise LookupError(f"digest run {run_id} vanished")
    run.status = status
    run.text = text
    run.slack_ts = slack_ts
    run.error = error
    if status == "sent":
        run.sent_at = now
