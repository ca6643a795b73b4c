"""Digest runs: at most one per team and team-local day, claimed before it is sent.

A claim is a ``sending`` row whose ``started_at`` is the claim time. A claim older than the
stale-claim timeout was left by a process that died between the claim and the send (or just
after it): the digest job looks for the message in Slack and takes the claim over, conditional on
nobody else having done so, either to record the message it found or to send it."""

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
    ``force`` takes over any run. A run in ``sending`` is left alone unless forced, because the
    message may be going out right now; once that claim is stale (a crash between the claim and the
    send), :func:`stale_digest_run` and :func:`take_over_digest_run` recover it. ``now`` is when the
    claim is made, kept as ``started_at``.
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


def stale_digest_runs(*, session: Session, stale_before: datetime, team_id: int | None = None,
                      local_date: date | None = None) -> list[DigestRun]:
    """Runs still ``sending`` whose claim was made at or before ``stale_before`` (a crash between
    the claim and the send, or before the outcome was recorded), oldest first."""
    query = select(DigestRun).where(DigestRun.status == "sending", DigestRun.started_at <= stale_before)
    if team_id is not None:
        query = query.where(DigestRun.team_id == team_id)
    if local_date is not None:
        query = query.where(DigestRun.local_date == local_date)
    return list(session.scalars(query.order_by(DigestRun.started_at, DigestRun.id)))


def take_over_digest_run(
    run_id: int, *, session: Session, claimed_at: datetime, now: datetime, covered_from: datetime | None = None,
    covered_to: datetime | None = None,
) -> bool:
    """Take over a stale ``sending`` claim made at ``claimed_at``: it becomes a claim made ``now``.

    Conditional on the claim being exactly the one read (still ``sending``, same ``started_at``), so
    of several processes recovering it one wins; the others get False and stay quiet. The span is
    updated when given (what the new claimant sends)."""
    values: dict[str, object] = {"started_at": now, "error": None}
    if covered_from is not None:
        values["covered_from"] = covered_from
    if covered_to is not None:
        values["covered_to"] = covered_to
    statement = (update(DigestRun)
                 .where(DigestRun.id == run_id, DigestRun.status == "sending", DigestRun.started_at == claimed_at)
                 .values(**values).execution_options(synchronize_session=False))
    return session.execute(statement).rowcount == 1
