"""``/tie snooze <customer> <days>``: no suggestions about a customer until the snooze ends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.blocks import escape_mrkdwn
from bot.listeners.common import parse_whole_number, resolve_customer
from bot.listeners.formatting import day
from bot.listeners.tie.request import TieRequest

MAX_DAYS = 365


def handle(request: TieRequest, session: Session) -> str:
    customer, rest = resolve_customer(request.args, session=session, member=request.member)
    days = parse_whole_number(rest, what="the number of days", low=1, high=MAX_DAYS)
    # Setting an absolute end is idempotent: a retried request sets (nearly) the same moment.
    customer.snoozed_until = request.now + timedelta(days=days)
    return f"Snoozed *{escape_mrkdwn(customer.name)}* until {day(customer.snoozed_until)}: no suggestions about them until then."
