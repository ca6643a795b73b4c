"""Scoring job: assess every tracked relationship as of a time, store snapshots and stage changes.

INTERFACE (owned by the tie-strength issue; other parts code against it):
- ``RelationshipStatus``: one relationship as ``strongtie status`` shows it.
- ``relationship_statuses(*, session, as_of, team_id=None) -> list[RelationshipStatus]``: pure
  read + compute, no writes; tracked customers only, sorted by team then revenue rank.
- ``score_job(runtime, *, as_of=None) -> ScoreSummary``: computes, stores ScoreSnapshot rows and
  StageChange rows (tie, hourglass and risk tracks, each with a reason), commits. Idempotent for
  one ``as_of``.
- ``rescore_customer(customer_id, *, session, as_of) -> RelationshipStatus``: rescoring of one
  relationship right after a new interaction; writes with the caller's session (caller commits).

The model itself is the pure :func:`models.tie_strength.assess`; the stored stage path is exactly
the path it replays, so re-running for the same ``as_of`` changes nothing, and a late-logged past
interaction rewrites the derived history up to ``as_of`` to what the interactions now say.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from sqlalchemy import BigInteger, ColumnElement, Select, String, cast, delete, func, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from bot.timeutil import now_utc
from config.scoring import ScoringParams, scoring_params
from config.settings import load_settings
from models.entities import DIRECTIONS, INTERACTION_KINDS, Customer, Interaction, Post, ScoreSnapshot, StageChange
from models.store import tracked_customers
from models.tie_strength import IGNORED, MICROSECONDS_PER_DAY, Assessment, Replayable, assess, to_days

if TYPE_CHECKING:
    from bot.runtime import Runtime

_FETCH_ROWS = 10_000  # rows per fetchmany(): row-at-a-time fetching costs a second per million
_IN_LIST = 5000
_SCAN_ABOVE = 500  # customers; beyond this one table scan beats an index probe per customer
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_SHARED_STRINGS = {name: name for name in (*INTERACTION_KINDS, *DIRECTIONS)}


@dataclass(frozen=True)
class RelationshipStatus:
    customer_id: int
    customer: str
    company: str
    team: str
    team_id: int
    owner: str | None  # Slack user id of the owning member
    owner_name: str | None
    revenue_rank: int | None
    score: float  # 0-100
    stage: str  # unaware, awareness, weak_tie, building, strong_tie
    hourglass: str  # know, like, trust, try, buy, repeat, refer
    at_risk: bool
    last_interaction_at: datetime | None
    trend: float = 0.0  # score change over the last 14 days
    stage_since: datetime | None = None
    components: dict[str, float] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)
    risk_reason: str = ""  # why at_risk is set, in words (empty when not at risk)

    def as_json(self) -> dict[str, Any]:
        """The ``strongtie status --json`` record."""
        from bot.timeutil import iso

        return {
            "customer": self.customer,
            "company": self.company,
            "team": self.team,
            "owner": self.owner,
            "score": round(self.score, 1),
            "stage": self.stage,
            "hourglass": self.hourglass,
            "at_risk": self.at_risk,
            "risk_reason": self.risk_reason,
            "last_interaction_at": iso(self.last_interaction_at),
            "trend": round(self.trend, 1),
            "stage_since": iso(self.stage_since),
            "components": {k: round(v, 2) for k, v in self.components.items()},
            "explanation": list(self.explanation),
        }


@dataclass(frozen=True)
class ScoreSummary:
    """What one scoring run did."""

    as_of: datetime
    scored: int
    at_risk: int
    stage_changes_added: int
    stage_changes_removed: int
    by_stage: dict[str, int]


def current_params() -> ScoringParams:
    """The team's scoring parameters: ``[scoring]`` of strongtie.toml over the documented defaults."""
    return scoring_params(load_settings().scoring)


def load_touches(customer_ids: Iterable[int], *, session: Session, until: datetime) -> dict[int, Replayable]:
    """Customer id -> its interactions up to ``until`` (notes left out), in the form
    :func:`models.tie_strength.assess` replays: ``(t, kind, direction, at)`` with ``at`` in
    microseconds since the epoch and ``t`` the same in days (see :class:`Replayable`).

    Built for a million rows in a couple of seconds and a small footprint: a streamed Core query
    of only the needed columns (no ORM objects, no per-row TypeDecorator), exact integer times,
    kind and direction strings shared, and for many customers one sequential scan filtered here
    rather than an index probe per customer.
    """
    ids = list(customer_ids)
    grouped = {customer_id: Replayable() for customer_id in ids}
    sqlite_text = session.get_bind().dialect.name == "sqlite"
    stamp = type_coerce(Interaction.occurred_at, String) if sqlite_text else _epoch_microseconds()
    base = select(Interaction.customer_id, stamp, Interaction.kind, Interaction.direction)
    if not sqlite_text:  # on SQLite, comparing the text column costs more than filtering here
        base = base.where(Interaction.occurred_at <= until)
    limit = (until.astimezone(timezone.utc).replace(tzinfo=None) - _NAIVE_EPOCH) // _MICROSECOND
    shared = _SHARED_STRINGS  # the CHECK constraints admit only these kinds and directions
    parse = datetime.fromisoformat
    ours = grouped.get  # None for a customer not asked about (one table scan serves many)
    connection = session.connection()
    for query in _per_chunk(base, Interaction.customer_id, ids):
        for rows in connection.execute(query).partitions(_FETCH_ROWS):
            for customer_id, at, kind, direction in rows:
                events = ours(customer_id)
                if events is None or kind in IGNORED:
                    continue
                if sqlite_text:
                    # SQLite keeps SQLAlchemy datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC text;
                    # fromisoformat is C code, cheaper than strftime in SQL or DateTime processing
                    at = (parse(at) - _NAIVE_EPOCH) // _MICROSECOND
                    if at > limit:
                        continue
                events.append((at / MICROSECONDS_PER_DAY, shared[kind], shared[direction], at))
    return grouped


def load_activity(customer_ids: Iterable[int], *, session: Session, until: datetime) -> dict[int, list[float]]:
    """Customer id -> when they published (their posts up to ``until``), in days since the epoch:
    the model's activity input. One query over the posts index; posts without a date are left out
    (nothing says when they were active)."""
    ids = list(customer_ids)
    wanted = set(ids)
    grouped: dict[int, list[float]] = defaultdict(list)
    base = (select(Post.customer_id, Post.published_at)
            .where(Post.published_at.is_not(None), Post.published_at <= until))
    queries = _per_chunk(base, Post.customer_id, ids)
    for query in queries:
        for customer_id, published_at in session.execute(query):
            if customer_id in wanted:
                grouped[customer_id].append(to_days(published_at))
    return grouped


def _per_chunk(query: Select, column: ColumnElement[int], ids: list[int]) -> list[Select]:
    """For many customers one sequential scan (filtered by the caller), else index probes per chunk."""
    if len(ids) > _SCAN_ABOVE:
        return [query]
    return [query.where(column.in_(ids[i:i + _SCAN_ABOVE])) for i in range(0, len(ids), _SCAN_ABOVE)]


def _epoch_microseconds() -> ColumnElement[int]:
    """``occurred_at`` as exact integer microseconds since the Unix epoch, computed in SQL
    (PostgreSQL: the epoch of a timestamp without time zone is exact numeric for the UTC values
    stored here)."""
    return cast(func.extract("epoch", Interaction.occurred_at) * 1_000_000, BigInteger)


def _status(customer: Customer, result: Assessment) -> RelationshipStatus:
    return RelationshipStatus(
        customer_id=customer.id,
        customer=customer.name,
        company=customer.company,
        team=customer.team.name,
        team_id=customer.team_id,
        owner=customer.owner.slack_user if customer.owner else None,
        owner_name=customer.owner.name if customer.owner else None,
        revenue_rank=customer.revenue_rank,
        score=result.score,
        stage=result.stage,
        hourglass=result.hourglass,
        at_risk=result.at_risk,
        last_interaction_at=result.last_interaction_at,
        trend=result.trend,
        stage_since=result.stage_since,
        components=result.components,
        explanation=result.explanation,
        risk_reason=result.risk_reason,
    )


def assess_customers(customers: list[Customer], *, session: Session, as_of: datetime,
                     params: ScoringParams, history: bool = True) -> list[tuple[Customer, Assessment]]:
    """Run the model over each customer's stored interactions and posts up to ``as_of``
    (``history``: keep the transitions, needed only to store them)."""
    ids = [c.id for c in customers]
    with _cyclic_gc_paused():
        touches = load_touches(ids, session=session, until=as_of)
        activity = load_activity(ids, session=session, until=as_of)
        return [(c, assess(touches.pop(c.id, ()), as_of, params, history=history, activity=activity.get(c.id, ())))
                for c in customers]


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


def relationship_statuses(*, session: Session, as_of: datetime, team_id: int | None = None,
                          params: ScoringParams | None = None) -> list[RelationshipStatus]:
    """Every tracked relationship (of one team, or all) as of ``as_of``; reads only, writes nothing.

    Sorted by team, then revenue rank. ``params`` defaults to the configured scoring parameters.
    """
    customers = tracked_customers(session=session, team_id=team_id)
    customers.sort(key=lambda c: (c.team.name.casefold(), c.revenue_rank is None, c.revenue_rank or 0, c.id))
    results = assess_customers(customers, session=session, as_of=as_of, params=params or current_params(),
                               history=False)
    return [_status(customer, result) for customer, result in results]


def _store(results: list[tuple[Customer, Assessment]], *, session: Session, as_of: datetime) -> tuple[int, int]:
    """Upsert the snapshots at ``as_of`` and make the stored stage changes up to ``as_of`` equal the
    replayed path. Returns (changes added, changes removed).

    Conflict-tolerant inserts, because two writers can store the same path at once (two
    ``/tie log`` for one customer, or the scheduled job next to a Slack rescore): both compute
    the same rows, so whichever lands second simply finds them there.
    """
    insert = _dialect_insert(session)
    ids = [customer.id for customer, _ in results]
    stored: dict[int, dict[tuple[str, datetime, str], int]] = defaultdict(dict)
    for chunk in _chunks(ids):
        query = (select(StageChange.customer_id, StageChange.id, StageChange.track, StageChange.changed_at,
                        StageChange.to_stage)
                 .where(StageChange.customer_id.in_(chunk), StageChange.changed_at <= as_of))
        for customer_id, change_id, track, changed_at, to_stage in session.execute(query):
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
    for chunk in _chunks(stale):
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


def _dialect_insert(session: Session):
    """The INSERT construct with ON CONFLICT support for the backend in use (SQLite or PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"strongtie stores scores on SQLite or PostgreSQL, not {name}")


def _chunks(values: list[int]) -> Iterator[list[int]]:
    """Slices of at most _IN_LIST ids: every backend accepts an IN list that long."""
    for start in range(0, len(values), _IN_LIST):
        yield values[start:start + _IN_LIST]


def score_job(runtime: Runtime, *, as_of: datetime | None = None,
              params: ScoringParams | None = None) -> ScoreSummary:
    """Score every tracked relationship as of ``as_of`` (default now), store a snapshot for each and
    the stage changes that led there, and commit. Running it twice for one ``as_of`` changes nothing."""
    as_of = as_of or now_utc()
    params = params or scoring_params(runtime.settings.scoring)
    with runtime.session() as session:
        customers = tracked_customers(session=session)
        results = assess_customers(customers, session=session, as_of=as_of, params=params)
        added, removed = _store(results, session=session, as_of=as_of)
    by_stage: dict[str, int] = defaultdict(int)
    for _, result in results:
        by_stage[result.stage] += 1
    return ScoreSummary(as_of=as_of, scored=len(results), at_risk=sum(r.at_risk for _, r in results),
                        stage_changes_added=added, stage_changes_removed=removed, by_stage=dict(by_stage))


def rescore_customer(customer_id: int, *, session: Session, as_of: datetime,
                     params: ScoringParams | None = None) -> RelationshipStatus:
    """Rescore one relationship (e.g. right after ``/tie log``): store its snapshot and stage
    changes with the caller's session, which the caller commits. Takes milliseconds."""
    customer = session.scalar(select(Customer).where(Customer.id == customer_id)
                              .options(selectinload(Customer.owner), selectinload(Customer.team)))
    if customer is None:
        raise LookupError(f"no customer with id {customer_id}")
    results = assess_customers([customer], session=session, as_of=as_of, params=params or current_params())
    _store(results, session=session, as_of=as_of)
    return _status(*results[0])
