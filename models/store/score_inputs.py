"""What a scoring pass reads besides interactions and posts: how many times each customer's
scoring inputs changed (the log :class:`~models.entities_scoring.ScoreInputChange` that database
triggers write), which a scoring process compares with the count it last replayed, folding that
log, and the tracked customers as plain values."""

from __future__ import annotations

from typing import Iterable, NamedTuple

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from models.entities import Customer, Member, Team
from models.entities_scoring import ScoreInputChange
from models.store.sql import per_chunk


def input_versions(customer_ids: Iterable[int], *, session: Session) -> dict[int, int]:
    """Customer id -> the count of changes to its interactions and posts (absent: none yet): the
    sum of its logged changes, read whole when many customers are asked about (a row per customer
    once compacted)."""
    ids = list(customer_ids)
    wanted = set(ids)
    versions: dict[int, int] = {}
    base = (select(ScoreInputChange.customer_id, func.sum(ScoreInputChange.weight))
            .group_by(ScoreInputChange.customer_id))
    for query in per_chunk(base, ScoreInputChange.customer_id, ids):
        for customer_id, version in session.connection().execute(query).all():  # fetchall: no per-row fetch
            if customer_id in wanted:
                versions[customer_id] = int(version)
    return versions


def compact_score_inputs(*, session: Session, slack: int = 1000) -> int:
    """Fold the change log into a row per customer, each keeping its count, when it holds more
    than ``slack`` rows beyond two per customer; returns how many rows went. Writers go on
    inserting meanwhile: only rows present when it starts are folded (on PostgreSQL in one
    statement, so the count it writes is exactly that of the rows it removed)."""
    rows, customers, mark = session.execute(select(
        func.count(), func.count(func.distinct(ScoreInputChange.customer_id)), func.max(ScoreInputChange.id))).one()
    if rows <= 2 * customers + slack:
        return 0
    table = ScoreInputChange.__table__
    if session.get_bind().dialect.name == "postgresql":
        gone = delete(table).where(table.c.id <= mark).returning(table.c.customer_id, table.c.weight).cte("gone")
        session.execute(insert(table).from_select(
            ["customer_id", "weight"],
            select(gone.c.customer_id, func.sum(gone.c.weight)).group_by(gone.c.customer_id)))
    else:  # SQLite writes one transaction at a time: nothing lands between the two statements
        session.execute(insert(table).from_select(
            ["customer_id", "weight"],
            select(table.c.customer_id, func.sum(table.c.weight)).where(table.c.id <= mark)
            .group_by(table.c.customer_id)))
        session.execute(delete(table).where(table.c.id <= mark))
    return rows - customers


class ScoredCustomer(NamedTuple):
    """A tracked customer as a scoring pass over many reads it: plain values, no ORM object (a pass
    over 20,000 relationships would spend most of its time building them)."""

    id: int
    name: str
    company: str
    team: str
    team_id: int
    owner: str | None  # the owning member's Slack user id
    owner_name: str | None
    revenue_rank: int | None
    cadence_days: int | None
    cadence_override_days: int | None
    cadence_override_base: int | None

    @classmethod
    def of(cls, customer: Customer) -> ScoredCustomer:
        """The same values from an ORM customer (its team and owner loaded)."""
        owner = customer.owner
        return cls(customer.id, customer.name, customer.company, customer.team.name, customer.team_id,
                   owner.slack_user if owner else None, owner.name if owner else None, customer.revenue_rank,
                   customer.cadence_days, customer.cadence_override_days, customer.cadence_override_base)


def scored_customers(*, session: Session, team_id: int | None = None) -> list[ScoredCustomer]:
    """The customers :func:`models.store.customers.tracked_customers` gives, in its order, as
    :class:`ScoredCustomer` values from one Core query."""
    query = (
        select(Customer.id, Customer.name, Customer.company, Team.name, Customer.team_id, Member.slack_user,
               Member.name, Customer.revenue_rank, Customer.cadence_days, Customer.cadence_override_days,
               Customer.cadence_override_base)
        .join(Team, Team.id == Customer.team_id)
        .outerjoin(Member, Member.id == Customer.owner_id)
        .where(Customer.tracked.is_(True))
        .order_by(Customer.team_id, Customer.revenue_rank, Customer.id)
    )
    if team_id is not None:
        query = query.where(Customer.team_id == team_id)
    return [ScoredCustomer(*row) for row in session.connection().execute(query).all()]  # Core rows: no ORM loading
