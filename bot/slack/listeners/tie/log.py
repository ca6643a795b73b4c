"""``/tie log <customer> <kind> [from|to|with] [note]``: record a touch, reply with the new score
and stage (``/tie log`` alone opens the modal of :mod:`bot.slack.listeners.log_modal`).

``from`` = they reached out (inbound), ``to`` = we did (outbound), ``with`` = both took part
(mutual); without the word the kind's default applies (``config.vocabulary.DEFAULT_DIRECTIONS``),
the same as on the command line and in a CSV import. The reply says which direction was stored.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

from sqlalchemy.orm import Session

from bot.jobs.score import rescore_safely
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import resolve_customer
from bot.slack.listeners.formatting import preview, score_summary
from bot.slack.listeners.tie.help import USAGE
from bot.slack.listeners.tie.remind import reminder_hint
from bot.slack.listeners.tie.request import TieRequest
from config.errors import InputError
from config.scoring import ScoringParams
from config.vocabulary import DIRECTION_WORDS
from models.entities import Customer
from models.store.interactions import check_kind, log_interaction

#: How a reply names each direction.
DIRECTION_PHRASES = {
    "inbound": "inbound: they reached out",
    "outbound": "outbound: we reached out",
    "mutual": "mutual: both took part",
}


def handle(request: TieRequest, session: Session) -> str:
    """Log the interaction once per invocation (a Slack retry finds the first record), then rescore."""
    customer, rest = resolve_customer(request.args, session=session, member=request.member)
    kind, direction, note = parse_touch(rest)
    reply = record_touch(customer, kind, session=session, direction=direction, note=note, occurred_at=request.now,
                         member=request.user_id, dedupe_key=request.dedupe_key(), now=request.now,
                         params=request.params)
    return reply + reminder_hint(customer, note, request.now)  # a note saying "follow up" offers /tie remind


def parse_touch(text: str) -> tuple[str, str | None, str]:
    """``"email to asked about renewal"`` -> ``("email", "outbound", "asked about renewal")``: the
    kind, the direction word if one follows it (None: the kind's default), and the note."""
    words = text.split(maxsplit=1)
    if not words:
        raise InputError(f"what kind of touch was it? Usage: {USAGE['log']}")
    kind = check_kind(words[0])
    rest = words[1] if len(words) > 1 else ""
    parts = rest.split(maxsplit=1)
    direction = DIRECTION_WORDS.get(parts[0].lower()) if parts else None
    if direction is not None:
        rest = parts[1] if len(parts) > 1 else ""
    return kind, direction, rest


def record_touch(customer: Customer, kind: str, *, session: Session, direction: str | None, note: str,
                 occurred_at: datetime, member: str, dedupe_key: str, now: datetime, params: ScoringParams,
                 zone: tzinfo = timezone.utc) -> str:
    """Store the touch (once per ``dedupe_key``) as logged by ``member``, commit it, rescore the
    relationship as of ``now`` and say what was recorded and where the relationship stands (an
    earlier time shown in ``zone``, the member's)."""
    logged = log_interaction(
        customer, kind, session=session, occurred_at=occurred_at, direction=direction, note=note,
        by_user=member, origin="slack", dedupe_key=dedupe_key, logged_by=member, now=now,
    )
    name, kind, direction = customer.name, logged.interaction.kind, logged.interaction.direction
    session.commit()  # the touch is what the manager asked for: keep it whatever the rescore does
    statuses = rescore_safely([customer.id], session=session, as_of=now, params=params)
    verb = "Logged" if logged.created else "Already logged"
    said = f": “{preview(note)}”" if note else ""
    when = "" if occurred_at == now else f" on {occurred_at.astimezone(zone):%Y-%m-%d at %H:%M}"
    score = f"Now {score_summary(statuses[0])}." if statuses else "The score updates at the next scoring run."
    return (f"{verb} {with_article(kind)} with *{escape_mrkdwn(name)}*{when}{said} ({DIRECTION_PHRASES[direction]})."
            f"\n{score}")


def with_article(word: str) -> str:
    """``"email"`` -> ``"an email"``, ``"call"`` -> ``"a call"``."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
