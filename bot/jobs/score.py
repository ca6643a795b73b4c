"""Scoring job: assess every tracked relationship as of a time, store snapshots and stage changes.

- :func:`relationship_statuses` reads and computes, writing nothing: every tracked relationship
  (of one team, or all) as :class:`~bot.rules.status.RelationshipStatus`, sorted by team then
  revenue rank. Every surface that shows a score calls it.
- :func:`score_job` computes and stores a ScoreSnapshot and the StageChange rows (tie, hourglass
  and risk tracks, each with a reason) for every tracked relationship, and commits; idempotent for
  one ``as_of``.
- :func:`rescore_customer` / :func:`rescore_customers` do the same for the relationships whose
  interactions just changed (logged, imported, deleted), with the caller's session (the caller
  commits); :func:`rescore_safely` wraps them in a savepoint that survives a concurrent writer.

The model itself is the pure :func:`models.scoring.assess.assess`; the stored stage path is exactly
the path it replays, so re-running for the same ``as_of`` changes nothing, and a late-logged past
interaction rewrites the derived history up to ``as_of`` to what the interactions now say.
"""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.rules.status import RelationshipStatus
from config.scoring import ScoringParams
from models.entities import Customer
from models.scoring.assess import TREND_DAYS, Assessment, verdict
from models.scoring.incremental import Progress, begin, extend
from models.store.cadence import effective_cadence
from models.store.customers import customers_with_owner
from models.store.interactions import load_touches
from models.store.posts import load_activity
from models.store.score_inputs import ScoredCustomer, compact_score_inputs, input_versions, scored_customers
from models.store.snapshots import save_assessments
from models.timeline import to_days, utcnow

if TYPE_CHECKING:
    from bot.runtime import Runtime

RESCORE_ATTEMPTS = 3

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreSummary:
    """What one scoring run did."""

    as_of: datetime
    scored: int
    at_risk: int
    stage_changes_added: int
    stage_changes_removed: int
    by_stage: dict[str, int]


def _status(customer: Customer | ScoredCustomer, result: Assessment) -> RelationshipStatus:
    c = customer if isinstance(customer, ScoredCustomer) else ScoredCustomer.of(customer)
    return RelationshipStatus(
        customer_id=c.id, customer=c.name, company=c.company, team=c.team, team_id=c.team_id, owner=c.owner,
        owner_name=c.owner_name, revenue_rank=c.revenue_rank, score=result.score, stage=result.stage,
        hourglass=result.hourglass, at_risk=result.at_risk, last_interaction_at=result.last_interaction_at,
        trend=result.trend, stage_since=result.stage_since, components=result.components,
        explanation=result.explanation, risk_reason=result.risk_reason,
    )


def assess_customers(customers: list[Customer] | list[ScoredCustomer], *, session: Session, as_of: datetime,
                     params: ScoringParams, history: bool = True, words: bool = True) -> list[tuple[Any, Assessment]]:
    """Run the model over each customer's stored interactions and posts up to ``as_of``
    (``history``: keep the transitions, needed only to store them). A customer's keep-in-touch
    cadence in force (the roster's ``cadence_days`` or ``/tie cadence``) is passed to the model as
    that relationship's rhythm for the at-risk flag. ``words=False`` leaves the explanations out
    (a pass that only stores snapshots).

    Incremental: a relationship this process replayed before, whose interactions, posts, cadence
    and parameters have not changed since (its :func:`~models.store.score_inputs.input_versions`
    count is the one replayed) and whose ``as_of`` was not later, is carried forward from there
    without reading its interactions again; the others are loaded and replayed from their first
    interaction. Either way the verdict is what a full replay gives (see docs/scoring.md). Resumed
    with ``history``, the assessment's transitions are those after the previous ``as_of``
    (``transitions_since``), which :func:`~models.store.snapshots.save_assessments` reconciles."""
    end = to_days(as_of)
    store = str(session.get_bind().url)  # the password hidden: a key, never shown
    kept = _KEPT.setdefault((store, history), {})
    with _cyclic_gc_paused():
        # the counts first: a change committed after this read is replayed by the next pass
        versions = input_versions([c.id for c in customers], session=session)
        resumed: dict[int, _Kept] = {}
        for customer in customers:
            entry = kept.pop(customer.id, None)  # taken, so no other thread carries it at once
            if (entry is not None and entry.version == versions.get(customer.id, 0) and entry.as_of <= as_of
                    and entry.cadence == effective_cadence(customer) and (entry.params is params or entry.params == params)):
                resumed[customer.id] = entry
        fresh = [c.id for c in customers if c.id not in resumed]
        touches = load_touches(fresh, session=session, until=_ALL_TIME) if fresh else {}
        activity = load_activity(fresh, session=session, until=_ALL_TIME) if fresh else {}
        results = []
        for customer in customers:
            entry = resumed.get(customer.id)
            if entry is None:
                cadence = effective_cadence(customer)
                progress = begin(params, record=history, posts=sorted(activity.get(customer.id, ())), cadence=cadence)
                events = touches.pop(customer.id, [])
                events.sort()
                extend(progress, events, end, TREND_DAYS)
                result = verdict(progress, as_of, words=words)
                progress.replay.transitions = []  # the result has them; the kept replay starts a new list
                entry = _Kept(progress, versions.get(customer.id, 0), as_of, cadence, params)
            else:
                since = entry.as_of
                extend(entry.progress, (), end, TREND_DAYS)
                result = verdict(entry.progress, as_of, words=words, transitions_since=since)
                entry.as_of = as_of
            _keep(entry, customer.id, kept, session=session)
            results.append((customer, result))
        return results


@dataclass(slots=True)
class _Kept:
    """A relationship's replay kept by this process, and what it was replayed from."""

    progress: Progress
    version: int  # its input_versions count when its interactions and posts were loaded
    as_of: datetime  # the moment it was carried to
    cadence: int | None
    params: ScoringParams


#: Replays kept by this process, per store and customer: apart those of read-only passes and those
#: of passes that store their transitions. Every one is kept only once its session commits: the
#: counts it was checked against, and the transitions it stored, are then what others see.
_KEPT: dict[tuple[str, bool], dict[int, _Kept]] = {}
_PENDING = "strongtie.kept_replays"
_ALL_TIME = datetime(9999, 1, 1, tzinfo=timezone.utc)  # load every known interaction: later ones wait their time


def _keep(entry: _Kept, customer_id: int, kept: dict[int, _Kept], *, session: Session) -> None:
    """Keep a relationship's replay for the next pass once the session commits. Kept at once, a
    replay counting this transaction's own uncommitted changes would outlive their rollback, and a
    later change bringing the count back to the same number would make the stale replay look current."""
    session.info.setdefault(_PENDING, []).append((kept, customer_id, entry))


@event.listens_for(Session, "after_commit")
def _commit_kept(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (rescore_safely): the transaction around it may still roll back
    for kept, customer_id, entry in session.info.pop(_PENDING, ()):
        kept[customer_id] = entry


@event.listens_for(Session, "after_rollback")
def _forget_kept(session: Session) -> None:
    session.info.pop(_PENDING, None)


def prune_kept_replays(scored: Iterable[int], *, among: Callable[[int], bool] = lambda customer_id: True) -> None:
    """Drop the kept replays of customers ``among`` those a full pass covers that it did not score
    (no longer tracked, or deleted), so what a long-running process keeps stays bounded."""
    keep = set(scored)
    for kept in _KEPT.values():
        for customer_id in [c for c in kept if among(c) and c not in keep]:
            kept.pop(customer_id, None)


def forget_kept_replays() -> None:
    """Drop every replay this process kept (the next pass replays every relationship in full)."""
    for kept in _KEPT.values():
        kept.clear()


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around a bulk load and replay.

    A million freshly allocated tuples make the collector rescan the growing heap again and
    again (about a fifth of the scoring time); none of this data forms reference cycles, so
    reference counting frees it all the same. Process-wide, hence restored only by whoever
    paused it first."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def relationship_statuses(*, session: Session, as_of: datetime, params: ScoringParams,
                          team_id: int | None = None) -> list[RelationshipStatus]:
    """Every tracked relationship (of one team, or all) as of ``as_of``; reads only, writes nothing.

    Sorted by team, then revenue rank.
    """
    customers = scored_customers(session=session, team_id=team_id)
    customers.sort(key=lambda c: (c.team.casefold(), c.revenue_rank is None, c.revenue_rank or 0, c.id))
    results = assess_customers(customers, session=session, as_of=as_of, params=params, history=False)
    return [_status(customer, result) for customer, result in results]


def score_job(runtime: Runtime, *, as_of: datetime | None = None) -> ScoreSummary:
    """Score every tracked relationship as of ``as_of`` (default now), store a snapshot for each and
    the stage changes that led there, and commit. Running it twice for one ``as_of`` changes nothing."""
    as_of = as_of or utcnow()
    with runtime.session() as session:
        compact_score_inputs(session=session)  # the scheduled pass folds the change log, not every rescore
        customers = scored_customers(session=session)
        results = assess_customers(customers, session=session, as_of=as_of, params=runtime.scoring, words=False)
        added, removed = save_assessments(results, session=session, as_of=as_of)
        prune_kept_replays(c.id for c in customers)
    by_stage: dict[str, int] = defaultdict(int)
    for _, result in results:
        by_stage[result.stage] += 1
    return ScoreSummary(as_of=as_of, scored=len(results), at_risk=sum(r.at_risk for _, r in results),
                        stage_changes_added=added, stage_changes_removed=removed, by_stage=dict(by_stage))


def rescore_customer(customer_id: int, *, session: Session, as_of: datetime,
                     params: ScoringParams) -> RelationshipStatus:
    """Rescore one relationship (e.g. right after ``/tie log``): store its snapshot and stage
    changes with the caller's session, which the caller commits. Takes milliseconds."""
    return rescore_customers([customer_id], session=session, as_of=as_of, params=params)[0]


def rescore_customers(customer_ids: Iterable[int], *, session: Session, as_of: datetime,
                      params: ScoringParams) -> list[RelationshipStatus]:
    """Rescore these relationships after their interactions changed (logged, imported, deleted,
    captured) and store their snapshots and stage changes, with the caller's session (the caller
    commits), so the stored stage history (and the digest that reports it) follows at once,
    whichever surface made the change. One load and one store for all of them (a first capture
    sync touches many customers); statuses in customer id order. Raises :class:`LookupError` for an
    id with no customer."""
    wanted = sorted(set(customer_ids))
    found = {c.id: c for c in customers_with_owner(wanted, session=session)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise LookupError(f"no customer with id {', '.join(map(str, missing))}")
    results = assess_customers([found[i] for i in wanted], session=session, as_of=as_of, params=params)
    save_assessments(results, session=session, as_of=as_of)
    return [_status(customer, result) for customer, result in results]


def rescore_safely(customer_ids: Iterable[int], *, session: Session, as_of: datetime,
                   params: ScoringParams) -> list[RelationshipStatus] | None:
    """:func:`rescore_customers` in a savepoint, tried :data:`RESCORE_ATTEMPTS` times: two changes
    at once to one customer replay the same stage changes, and the slower transaction's insert
    then conflicts; run again, it finds them stored. None when every attempt conflicted (the next
    scoring run stores them); the caller's own work is kept either way."""
    wanted = list(customer_ids)
    for _ in range(RESCORE_ATTEMPTS):
        try:
            with session.begin_nested():
                return rescore_customers(wanted, session=session, as_of=as_of, params=params)
        except IntegrityError:
            continue
    log.warning("could not rescore customer(s) %s; the next scoring run will", wanted)
    return None
