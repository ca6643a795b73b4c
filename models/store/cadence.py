"""Keep-in-touch cadences: the interval in force for a customer, setting it from Slack, and the
touches the "due" rule reads.

The roster's ``cadence_days`` is the team's plan; ``/tie cadence`` changes it for one customer
without editing the file. The Slack value is kept beside the roster value it replaced
(``cadence_override_base``) and holds until a roster import changes that field: re-importing an
unchanged roster keeps what was set in Slack, while a new value in the file wins again (the file
was edited after the Slack change, so it is the newer word). ``0`` set in Slack means "no cadence".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Customer, Interaction


def effective_cadence(customer: Customer) -> int | None:
    """The keep-in-touch interval in force for ``customer`` (None: no cadence)."""
    override = customer.cadence_override_days
    if override is not None and customer.cadence_override_base == customer.cadence_days:
        return override or None
    return customer.cadence_days


def set_cadence(customer: Customer, days: int | None, *, session: Session) -> int | None:
    """Set the customer's interval from Slack (``None`` or 0: no cadence) until the roster's
    ``cadence_days`` changes; returns the interval now in force."""
    customer.cadence_override_days = days or 0
    customer.cadence_override_base = customer.cadence_days
    return effective_cadence(customer)


def cadences(customers: list[Customer]) -> dict[int, int]:
    """Customer id -> interval in force, for those of ``customers`` that have one."""
    found = {c.id: effective_cadence(c) for c in customers}
    return {cid: days for cid, days in found.items() if days}


def recent_touches(intervals: dict[int, int], *, session: Session, until: datetime,
                   slack_days: float) -> dict[int, list[tuple[datetime, str, str]]]:
    """Customer id -> its ``(occurred_at, kind, direction)`` touches in the window that decides
    whether it is due (its interval plus ``slack_days`` before ``until``), oldest first."""
    found: dict[int, list[tuple[datetime, str, str]]] = defaultdict(list)
    if not intervals:
        return found
    since = until - timedelta(days=max(intervals.values()) + slack_days)
    query = (select(Interaction.customer_id, Interaction.occurred_at, Interaction.kind, Interaction.direction)
             .where(Interaction.customer_id.in_(list(intervals)), Interaction.occurred_at > since,
                    Interaction.occurred_at <= until)
             .order_by(Interaction.occurred_at, Interaction.id))
    for customer_id, at, kind, direction in session.execute(query):
        found[customer_id].append((at, kind, direction))
    return found
