"""``/tie snooze <customer> <days>``: no suggestions about a customer until the snooze ends."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import parse_whole_number, resolve_customer
from bot.slack.listeners.formatting import day
from bot.slack.listeners.tie.request import TieRequest
from models.store.customers import snooze_customer

MAX_DAYS = 365


def handle(request: TieRequest, session: Session) -> str:
    """Hold back suggestions about a customer for ``days`` days from now (the date shown is in the
    customer's team's time zone). Runs once per invocation: Slack's retries never reach it."""
    customer, rest = resolve_customer(request.args, session=session, member=request.member)
    days = parse_whole_number(rest, what="the number of days", low=1, high=MAX_DAYS)
    snoozed_until = snooze_customer(customer, session=session, now=request.now, days=days)
    until = day(snoozed_until, ZoneInfo(customer.team.timezone))
    return f"Snoozed *{escape_mrkdwn(customer.name)}* until {until}: no suggestions about them until then."
