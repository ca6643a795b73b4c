"""Follow-ups: reminders a member set with ``/tie remind``, the ones due for a suggestion, and the
ones still to come (App Home, ``strongtie suggest``). Each takes ``session=`` and never commits."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.entities import Customer, FollowUp, Suggestion
from models.store.interactions import check_member_id, check_text
from models.store.sql import insert_once

#: The longest reminder text kept (a Slack command line is far shorter).
MAX_WHAT = 1000


def add_follow_up(customer: Customer, *, session: Session, member: str, due_on: date, what: str,
                  now: datetime, dedupe_key: str | None = None) -> tuple[FollowUp, bool]:
    """Store a reminder for ``member`` about ``customer`` on the team-local day ``due_on``; once per
    ``dedupe_key`` (a Slack retry finds the first). Returns the reminder and whether it is new."""
    row = FollowUp(customer_id=customer.id, member_user=check_member_id(member), due_on=due_on,
                   what=check_text(what.strip(), what="the reminder")[:MAX_WHAT], created_at=now,
                   dedupe_key=dedupe_key)
    if dedupe_key is None:
        session.add(row)
        session.flush()
        return row, True
    return insert_once(row, session=session, existing=lambda: session.scalar(
        select(FollowUp).where(FollowUp.dedupe_key == dedupe_key)))


def follow_ups_until(last_day: date, *, session: Session, team_id: int | None = None) -> list[FollowUp]:
    """Reminders due on or before ``last_day`` that no suggestion was made of yet, for tracked
    customers (of one team, or all), oldest day first, customers and teams loaded."""
    query = (select(FollowUp).join(Customer, Customer.id == FollowUp.customer_id)
             .where(FollowUp.due_on <= last_day, Customer.tracked.is_(True))
             .options(selectinload(FollowUp.customer).selectinload(Customer.team))
             .order_by(FollowUp.due_on, FollowUp.id))
    if team_id is not None:
        query = query.where(Customer.team_id == team_id)
    rows = list(session.scalars(query))
    keys = {f"follow_up:{row.id}" for row in rows}
    made = set(session.scalars(select(Suggestion.dedupe_key).where(Suggestion.dedupe_key.in_(keys)))) if keys else set()
    return [row for row in rows if f"follow_up:{row.id}" not in made]


def upcoming_follow_ups(*, session: Session, from_day: date, team_ids: list[int] | None = None,
                        member: str | None = None) -> list[FollowUp]:
    """Reminders still to come: due on ``from_day`` or later (a day before, to cover every zone,
    when the caller filters by each team's own date) and not yet made a suggestion; of some teams
    and/or one member, soonest first, customers and teams loaded."""
    query = (select(FollowUp).join(Customer, Customer.id == FollowUp.customer_id)
             .where(FollowUp.due_on >= from_day - timedelta(days=1))
             .options(selectinload(FollowUp.customer).selectinload(Customer.team))
             .order_by(FollowUp.due_on, FollowUp.id))
    if team_ids is not None:
        query = query.where(Customer.team_id.in_(team_ids))
    if member is not None:
        query = query.where(FollowUp.member_user == member)
    rows = list(session.scalars(query))
    keys = {f"follow_up:{row.id}" for row in rows}
    made = set(session.scalars(select(Suggestion.dedupe_key).where(Suggestion.dedupe_key.in_(keys)))) if keys else set()
    return [row for row in rows if f"follow_up:{row.id}" not in made]
