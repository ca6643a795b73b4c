"""``/tie status <customer>``: score, stage, trend, explanation, last touches, open suggestions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.jobs import score
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import pending_suggestions, resolve_customer
from bot.slack.listeners.formatting import (
    customer_title,
    day,
    interaction_line,
    preview,
    score_summary,
    suggestion_line,
)
from bot.slack.listeners.tie.request import TieRequest
from config.errors import InputError
from models.store.interactions import latest_interactions

LAST_TOUCHES = 5


def handle(request: TieRequest, session: Session) -> str:
    """One customer in full: score, stage, trend, why, snooze, last touches and pending suggestions.

    Dates are in the customer's team's time zone, the calendar the manager lives by.
    """
    customer, rest = resolve_customer(request.args, session=session, member=request.member)
    if rest:
        raise InputError(f"`/tie status` takes only a customer; I found {customer.name} and then “{rest}”.")
    statuses = score.relationship_statuses(session=session, as_of=request.now, params=request.params,
                                          team_id=customer.team_id)
    status = next((s for s in statuses if s.customer_id == customer.id), None)
    if status is None:
        return f"*{escape_mrkdwn(customer.name)}* is not tracked (outside the team's top customers by revenue)."
    lines = [customer_title(status), score_summary(status)]
    lines += [f"> {preview(reason, 300)}" for reason in status.explanation]
    zone = ZoneInfo(customer.team.timezone)
    if customer.snoozed_until and customer.snoozed_until > request.now:
        lines.append(f"Snoozed until {day(customer.snoozed_until, zone)}.")
    touches = latest_interactions(customer.id, session=session, limit=LAST_TOUCHES)
    lines.append("*Last touches*" if touches else "*Last touches:* none logged yet")
    lines += [interaction_line(i, zone) for i in touches]
    suggestions = [s for s in pending_suggestions(session=session, as_of=request.now, team_ids=[customer.team_id])
                   if s.customer_id == customer.id]
    if suggestions:
        lines.append("*Open suggestions*")
        lines += [suggestion_line(s) for s in suggestions]
    return "\n".join(lines)
