"""``/tie log <customer> <kind> [note]``: record a touch, reply with the new score and stage."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.jobs import score
from bot.rules.status import RelationshipStatus
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import resolve_customer
from bot.slack.listeners.formatting import preview, score_summary
from bot.slack.listeners.tie.help import USAGE
from bot.slack.listeners.tie.request import TieRequest
from config.errors import InputError
from models.store.interactions import check_kind, log_interaction

RESCORE_ATTEMPTS = 3

log = logging.getLogger(__name__)


def handle(request: TieRequest, session: Session) -> str:
    """Log the interaction once per invocation (a Slack retry finds the first record), then rescore."""
    customer, rest = resolve_customer(request.args, session=session, member=request.member)
    words = rest.split(maxsplit=1)
    if not words:
        raise InputError(f"what kind of touch was it? Usage: {USAGE['log']}")
    kind = check_kind(words[0])
    note = words[1] if len(words) > 1 else ""
    logged = log_interaction(
        customer, kind, session=session, occurred_at=request.now, note=note,
        by_user=request.user_id, origin="slack", dedupe_key=request.dedupe_key(),
    )
    name, kind = customer.name, logged.interaction.kind
    session.commit()  # the touch is what the manager asked for: keep it whatever the rescore does
    status = _rescore(customer.id, session, request)
    verb = "Logged" if logged.created else "Already logged"
    said = f": “{preview(note)}”" if note else ""
    now = f"Now {score_summary(status)}." if status else "The score updates at the next scoring run."
    return f"{verb} a {kind} with *{escape_mrkdwn(name)}*{said}.\n{now}"


def _rescore(customer_id: int, session: Session, request: TieRequest) -> RelationshipStatus | None:
    """Rescore right away. Two touches logged at once for one customer replay the same stage
    changes, and the slower transaction's insert then conflicts; run again, it finds them stored."""
    for _ in range(RESCORE_ATTEMPTS):
        try:
            with session.begin_nested():
                return score.rescore_customer(customer_id, session=session, as_of=request.now, params=request.params)
        except IntegrityError:
            continue
    log.warning("could not rescore customer %s after logging a touch; the next scoring run will", customer_id)
    return None
