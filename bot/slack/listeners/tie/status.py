"""``/tie status <customer or company>``: one relationship in full (score, stage, trend, explanation,
last touches, open suggestions), or one account (its contacts, coverage, single-threaded flag)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.jobs import score
from bot.rules.accounts import account_named, account_summary
from bot.rules.status import RelationshipStatus
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import pending_suggestions, quoted_name, resolve_customer
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
from models.entities import Customer
from models.store.customers import find_company
from models.store.errors import UnknownNameError
from models.store.interactions import latest_interactions

LAST_TOUCHES = 5


def handle(request: TieRequest, session: Session) -> str:
    """A customer in full, or, when the text names a company rather than a person, its account.

    A person's name wins over a company of the same name. Dates are in the customer's team's time
    zone, the calendar the manager lives by.
    """
    try:
        customer, rest = resolve_customer(request.args, session=session, member=request.member, by_company=False)
    except UnknownNameError:
        text = _account_text(request, session)
        if text is None:
            raise
        return text
    if rest:
        text = _account_text(request, session)
        if text is not None:
            return text
        raise InputError(f"`/tie status` takes only a customer or a company; I found {customer.name} and then “{rest}”.")
    return _customer_text(request, session, customer)


def _customer_text(request: TieRequest, session: Session, customer: Customer) -> str:
    statuses = score.relationship_statuses(session=session, as_of=request.now, params=request.params,
                                          team_id=customer.team_id)
    status = next((s for s in statuses if s.customer_id == customer.id), None)
    if status is None:
        if not customer.in_roster:
            return (f"*{escape_mrkdwn(customer.name)}* was removed from the roster, so the relationship is no "
                    "longer tracked (its history is kept).")
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


def _account_text(request: TieRequest, session: Session) -> str | None:
    """The account of the company the whole text names, in each of the member's teams that has
    one; ``None`` when the text names no company of theirs."""
    quoted = quoted_name(request.args)
    name = quoted[0] if quoted and not quoted[1] else request.args
    company = find_company(name, session=session, team_ids=request.member.team_ids)
    if company is None:
        return None
    sections = []
    for team_id in request.member.team_ids:
        statuses = score.relationship_statuses(session=session, as_of=request.now, params=request.params,
                                              team_id=team_id)
        for account in account_named(statuses, company):
            by_name = {s.customer: s for s in statuses}
            contacts = [by_name[c.customer] for c in account.contacts]
            lines = [f"*{escape_mrkdwn(account.account)}* ({escape_mrkdwn(account.team)}): "
                     f"{escape_mrkdwn(account_summary(account))}"]
            if account.single_threaded:
                lines[0] = f":warning: {lines[0]}"
            lines += [_contact_line(s) for s in contacts]
            sections.append("\n".join(lines))
    if not sections:
        return (f"*{escape_mrkdwn(company)}* has no tracked contacts (all outside the team's top customers by "
                "revenue, or removed from the roster).")
    return "\n\n".join(sections)


def _contact_line(status: RelationshipStatus) -> str:
    owner = f" · owner {escape_mrkdwn(status.owner_name or status.owner)}" if (status.owner_name or status.owner) else ""
    return f"• *{escape_mrkdwn(status.customer)}*: {score_summary(status)}{owner}"

