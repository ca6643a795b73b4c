"""``/tie status <customer>``: score, stage, trend, explanation, last touches, open suggestions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks import escape_mrkdwn
from bot.jobs import score
from bot.listeners.common import resolve_customer
from bot.listeners.formatting import customer_title, day, interaction_line, preview, score_summary, suggestion_line
from bot.listeners.tie.request import TieRequest
from models.entities import Customer, Interaction, Suggestion
from models.store import StoreError

LAST_TOUCHES = 5
OPEN_STATUSES = ("open", "sent")


def handle(request: TieRequest, session: Session) -> str:
    customer, rest = resolve_customer(request.args, session=session, member=request.member)
    if rest:
        raise StoreError(f"`/tie status` takes only a customer; I found {customer.name} and then “{rest}”.")
    statuses = score.relationship_statuses(session=session, as_of=request.now, team_id=customer.team_id)
    status = next((s for s in statuses if s.customer_id == customer.id), None)
    if status is None:
        return f"*{escape_mrkdwn(customer.name)}* is not tracked (outside the team's top customers by revenue)."
    lines = [customer_title(status), score_summary(status)]
    lines += [f"> {preview(reason, 300)}" for reason in status.explanation]
    lines += _snooze_line(customer, request)
    touches = _last_touches(session, customer.id)
    lines.append("*Last touches*" if touches else "*Last touches:* none logged yet")
    lines += [interaction_line(i) for i in touches]
    suggestions = _open_suggestions(session, customer.id)
    if suggestions:
        lines.append("*Open suggestions*")
        lines += [suggestion_line(s) for s in suggestions]
    return "\n".join(lines)


def _snooze_line(customer: Customer, request: TieRequest) -> list[str]:
    if customer.snoozed_until and customer.snoozed_until > request.now:
        return [f"Snoozed until {day(customer.snoozed_until)}."]
    return []


def _last_touches(session: Session, customer_id: int) -> list[Interaction]:
    query = (
        select(Interaction)
        .where(Interaction.customer_id == customer_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(LAST_TOUCHES)
    )
    return list(session.scalars(query))


def _open_suggestions(session: Session, customer_id: int) -> list[Suggestion]:
    query = (
        select(Suggestion)
        .where(Suggestion.customer_id == customer_id, Suggestion.status.in_(OPEN_STATUSES))
        .order_by(Suggestion.priority.desc(), Suggestion.id)
    )
    return list(session.scalars(query))
