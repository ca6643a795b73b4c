"""``/tie remind <customer> <when> <what>``: a follow-up that comes back as a suggestion on its day.

``when`` is read on the customer's team calendar: ``today``, ``tomorrow``, a weekday (``friday``,
``next friday``: the next one to come), ``in 3 days``, ``in 2 weeks``, ``next week`` or a date
(``2026-12-14``). On that team-local day the reminder becomes a ``follow_up`` suggestion with
Done / Snooze / Not relevant, delivered to whoever set it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.rules.followups import USAGE, offer_for_note, parse_when
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import resolve_customer
from bot.slack.listeners.formatting import preview
from bot.slack.listeners.tie.request import TieRequest
from bot.timeutil import local_date
from config.errors import InputError
from connectors.text import one_line
from models.entities import Customer
from models.store.followups import add_follow_up

#: How much of a note the offered ``/tie remind`` command repeats.
HINT_NOTE = 150


def handle(request: TieRequest, session: Session) -> str:
    """Store the reminder once per invocation (a Slack retry finds the first) and say when it comes."""
    customer, rest = resolve_customer(request.args, session=session, member=request.member)
    today = local_date(request.now, customer.team.timezone)
    due_on, what = parse_when(rest, today)
    if not what:
        raise InputError(f"what should I remind you of? Usage: {USAGE}")
    reminder, _ = add_follow_up(customer, session=session, member=request.user_id, due_on=due_on, what=what,
                                now=request.now, dedupe_key=request.dedupe_key())
    return (f"I'll remind you to follow up with *{escape_mrkdwn(customer.name)}* on "
            f"{reminder.due_on:%a %Y-%m-%d}: “{preview(reminder.what)}”.")


def reminder_hint(customer: Customer, note: str, now: datetime) -> str:
    """For a logged note that says "follow up" or names a day to come: a line offering the exact
    ``/tie remind`` command for it (empty otherwise)."""
    offer = offer_for_note(note, local_date(now, customer.team.timezone))
    if offer is None:
        return ""
    name = f'"{customer.name}"' if " " in customer.name else customer.name
    command = f"/tie remind {name} {offer.when} {one_line(note, HINT_NOTE)}"
    return (f"\n:alarm_clock: Want a reminder on {offer.day:%a %Y-%m-%d}? "
            f"`{escape_mrkdwn(command)}`")
