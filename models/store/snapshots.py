"""Score snapshots and stage changes: what the scorer said, and the stage path it replayed."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Protocol, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.entities import Customer, ScoreSnapshot, StageChange
from models.store.sql import chunked, dialect_insert


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


class Scored(Protocol):
    """What storing needs of one relationship's assessment: its figures now and its stage path."""

    score: float
    stage: str
    hourglass: str
    at_risk: bool
    components: dict[str, float]
    #: the stage path: moves with ``track``, ``at``, ``from_stage``, ``to_stage``, ``score``, ``reason``
    transitions: Sequence[Any]
    #: None when ``transitions`` is the whole path; else the moment after which it is (a pass that
    #: carried a kept replay forward: the path up to that moment was stored by an earlier pass)
    transitions_since: datetime | None


def save_assessments(results: list[tuple[Customer, Scored]], *, session: Session, as_of: datetime) -> tuple[int, int]:
    """Upsert the snapshots at ``as_of`` and make the stored stage changes up to ``as_of`` equal the
    replayed path (after a result's ``transitions_since``, when it has one). Returns (changes
    added, changes removed).

    Conflict-tolerant inserts, because two writers can store the same path at once (two
    ``/tie log`` for one customer, or the scheduled job next to a Slack rescore): both compute
    the same rows, so whichever lands second simply finds them there.
    """
    insert = dialect_insert(session)
    ids = [customer.id for customer, _ in results]
    since = {customer.id: result.transitions_since for customer, result in results}
    earliest = None if None in since.values() else min(since.values(), default=None)
    stored: dict[int, dict[tuple[str, datetime, str], int]] = defaultdict(dict)
    for chunk in chunked(ids):
        query = (select(StageChange.customer_id, StageChange.id, StageChange.track, StageChange.changed_at,
                        StageChange.to_stage)
                 .where(StageChange.customer_id.in_(chunk), StageChange.changed_at <= as_of))
        if earliest is not None:  # only passes that carried kept replays forward: their recent path
            query = query.where(StageChange.changed_at > earliest)
        for customer_id, change_id, track, changed_at, to_stage in session.execute(query):
            after = since[customer_id]
            if after is None or changed_at > after:
                stored[customer_id][(track, changed_at, to_stage)] = change_id
    snapshots: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    stale: list[int] = []
    for customer, result in results:
        snapshots.append(dict(customer_id=customer.id, as_of=as_of, score=result.score, stage=result.stage,
                              hourglass=result.hourglass, at_risk=result.at_risk,
                              components={k: round(v, 4) for k, v in result.components.items()}))
        wanted = {(t.track, t.at, t.to_stage): t for t in reversed(result.transitions)}
        have = stored.get(customer.id, {})
        stale += [change_id for key, change_id in have.items() if key not in wanted]
        added += [dict(customer_id=customer.id, track=t.track, from_stage=t.from_stage, to_stage=t.to_stage,
                       changed_at=t.at, score=t.score, reason=t.reason)
                  for key, t in wanted.items() if key not in have]
    for chunk in chunked(stale):
        session.execute(delete(StageChange).where(StageChange.id.in_(chunk)))
    if snapshots:
        upsert = insert(ScoreSnapshot)
        upsert = upsert.on_conflict_do_update(
            index_elements=[ScoreSnapshot.customer_id, ScoreSnapshot.as_of],
            set_={name: upsert.excluded[name] for name in ("score", "stage", "hourglass", "at_risk", "components")})
        session.execute(upsert, snapshots)
    if added:
        session.execute(insert(StageChange).on_conflict_do_nothing(
            index_elements=[StageChange.customer_id, StageChange.track, StageChange.changed_at, StageChange.to_stage]),
            added)
    return len(added), len(stale)


def forget_snapshots_since(customer_ids: list[int], *, session: Session, since: datetime) -> int:
    """Remove these customers' snapshots taken at or after ``since``: what the scorer said then
    counted interactions since removed. Returns how many went (a rescore stores the current one)."""
    removed = 0
    for chunk in chunked(sorted(set(customer_ids))):
        removed += session.execute(delete(ScoreSnapshot).where(
            ScoreSnapshot.customer_id.in_(chunk), ScoreSnapshot.as_of >= since)).rowcount or 0
    return removed
