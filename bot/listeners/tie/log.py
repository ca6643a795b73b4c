"""``/tie log <customer> <kind> [note]``: record a touch, reply with the new score and stage."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.blocks import escape_mrkdwn
from bot.jobs import score
from bot.listeners.common import resolve_customer
from bot.listeners.formatting import preview, score_summary
from bot.listeners.tie.help import USAGE
from bot.listeners.tie.request import TieRequest
from models.store import StoreError, check_kind, log_interaction


def handle(request: TieRequest, session: Session) -> str:
    """Log the interaction once per invocation (a Slack retry finds the first record)."""
    customer, rest = resolve_customer(request.args, session=session, member=request.member)
    words = rest.split(maxsplit=1)
    if not words:
        raise StoreError(f"what kind of touch was it? Usage: {USAGE['log']}")
    kind = check_kind(words[0])
    note = words[1] if len(words) > 1 else ""
    logged = log_interaction(
        customer, kind, session=session, occurred_at=request.now, note=note,
        by_user=request.user_id, origin="slack", dedupe_key=request.dedupe_key(),
    )
    status = score.rescore_customer(customer.id, session=session, as_of=request.now)
    verb = "Logged" if logged.created else "Already logged"
    said = f": “{preview(note)}”" if note else ""
    return (
        f"{verb} a {logged.interaction.kind} with *{escape_mrkdwn(customer.name)}*{said}.\n"
        f"Now {score_summary(status)}."
    )
