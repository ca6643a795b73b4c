"""``/tie cadence <customer> <days|off>``: how often to be in touch with a customer at least.

When that many days pass without two-way contact, the relationship is *due*: App Home says so and a
check-in is suggested. A value set here holds until a roster import changes the customer's
``cadence_days`` (see :mod:`models.store.cadence`); ``off`` (or ``0``) means no cadence.
``/tie cadence <customer>`` alone says which cadence is in force.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.jobs.score import rescore_safely
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import parse_whole_number, resolve_customer
from bot.slack.listeners.tie.request import TieRequest
from models.store.cadence import effective_cadence, set_cadence

MAX_DAYS = 365
OFF_WORDS = frozenset({"off", "none", "0"})


def handle(request: TieRequest, session: Session) -> str:
    """Set, clear or show the customer's keep-in-touch cadence."""
    customer, rest = resolve_customer(request.args, session=session, member=request.member)
    name = f"*{escape_mrkdwn(customer.name)}*"
    words = rest.strip().lower()
    if not words:
        days = effective_cadence(customer)
        if days is None:
            return f"No keep-in-touch cadence for {name}. Set one with `/tie cadence {_quoted(customer.name)} <days>`."
        return f"Keep in touch with {name} at least every {_days(days)}."
    if words in OFF_WORDS:
        set_cadence(customer, None, session=session)
        _rescore(request, session, customer.id)
        return f"No keep-in-touch cadence for {name} any more (until the roster sets a new one)."
    days = parse_whole_number(words, what="the cadence in days (or `off`)", low=1, high=MAX_DAYS)
    set_cadence(customer, days, session=session)
    _rescore(request, session, customer.id)
    return (f"Keep in touch with {name} at least every {_days(days)}: when that passes without two-way contact, "
            f"you get a check-in suggestion and App Home shows them as due.")


def _rescore(request: TieRequest, session: Session, customer_id: int) -> None:
    """The cadence feeds the at-risk check: store the stage history it implies now, as /tie log does."""
    session.flush()
    rescore_safely([customer_id], session=session, as_of=request.now, params=request.params)


def _days(days: int) -> str:
    return "day" if days == 1 else f"{days} days"


def _quoted(name: str) -> str:
    return escape_mrkdwn(f'"{name}"' if " " in name else name)
