"""``/tie undo``: take back the last interaction you logged in Slack in the last 24 hours.

"You logged" means recorded by this member through Slack (``/tie log``, its modal, or a Done click
on a suggestion: the row's ``logged_by``), not touches captured by a connector or loaded from the
command line. The relationship is rescored at once, so its score and its stored stage history
follow what remains; a Done click taken back leaves its suggestion done.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.jobs.score import rescore_safely
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.formatting import preview, score_summary
from bot.slack.listeners.tie.log import with_article
from bot.slack.listeners.tie.request import TieRequest
from config.errors import InputError
from models.store.interactions import last_logged_by, remove_interactions

UNDO_WINDOW = timedelta(hours=24)


def handle(request: TieRequest, session: Session) -> str:
    """Remove the member's latest Slack-logged interaction of the last 24 hours and rescore; runs
    once per invocation (a Slack retry never removes a second one)."""
    if request.args.strip():
        raise InputError("`/tie undo` takes nothing after it: it removes the last touch you logged.")
    last = last_logged_by(request.user_id, session=session, since=request.now - UNDO_WINDOW,
                          team_ids=request.member.team_ids)
    if last is None:
        return "Nothing to undo: you have logged no touch in Slack in the last 24 hours."
    customer = last.customer
    kind, note, occurred_at, customer_id = last.kind, last.note, last.occurred_at, customer.id
    name = customer.name
    remove_interactions([last], session=session)
    session.commit()  # the removal is what the manager asked for: keep it whatever the rescore does
    statuses = rescore_safely([customer_id], session=session, as_of=request.now, params=request.params)
    when = occurred_at.astimezone(request.member.timezone)
    said = f" (“{preview(note)}”)" if note else ""
    score = f"Now {score_summary(statuses[0])}." if statuses else "The score updates at the next scoring run."
    return (f"Removed {with_article(kind)} with *{escape_mrkdwn(name)}* logged for {when:%Y-%m-%d %H:%M}{said}."
            f"\n{score}")
