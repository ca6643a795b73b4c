"""The buttons on a suggestion DM: Done, Snooze and Not relevant.

Each click is acknowledged at once; the change and the ``chat.update`` of the message happen after
the ack. A click changes a suggestion only from a state where that change makes sense, so a double
click (or Slack's retry of one) changes nothing the second time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Protocol

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.rules.gestures import INTERACTION_KIND_FOR
from bot.runtime import Runtime
from bot.slack.blocks import (
    ACTION_DISMISS,
    ACTION_DONE,
    ACTION_SNOOZE,
    suggestion_done_message,
)
from bot.slack.listeners.common import acknowledge, member_of, scoped_suggestion
from models.entities import Suggestion
from models.store.suggestions import complete_suggestion, dismiss_suggestion, snooze_suggestion
from models.timeline import utcnow

SNOOZE_FOR = timedelta(days=7)
NOT_YOURS_TEXT = "That suggestion is not about one of your team's customers, so nothing was changed."
SUGGESTION_ACTIONS = re.compile(f"^({ACTION_DONE}|{ACTION_SNOOZE}|{ACTION_DISMISS})$")


class Outcome(Protocol):
    """What a button does to its suggestion; returns whether anything changed."""

    def __call__(self, suggestion: Suggestion, *, session: Session, by_user: str, now: datetime) -> bool:
        """Apply the click of ``by_user`` at ``now``."""


def mark_done(suggestion: Suggestion, *, session: Session, by_user: str, now: datetime) -> bool:
    """Log the gesture the suggestion proposed (a share for a share…) and close it."""
    kind = INTERACTION_KIND_FOR.get(suggestion.kind, "message")
    return complete_suggestion(suggestion, session=session, by_user=by_user, now=now, interaction_kind=kind)


def snooze(suggestion: Suggestion, *, session: Session, by_user: str, now: datetime) -> bool:
    """Hide the suggestion for a week; it is delivered again when the week is over."""
    return snooze_suggestion(suggestion, session=session, by_user=by_user, now=now, until=now + SNOOZE_FOR)


OUTCOMES: dict[str, Outcome] = {ACTION_DONE: mark_done, ACTION_SNOOZE: snooze, ACTION_DISMISS: dismiss_suggestion}


def closed_message(suggestion: Suggestion) -> tuple[str, list[dict]]:
    """The DM as it reads once acted on: what happened instead of buttons (a snooze's end as a date
    in the customer's team's zone)."""
    return suggestion_done_message(
        kind=suggestion.kind, customer=suggestion.customer.name, text=suggestion.text,
        outcome=suggestion.status, post_url=suggestion.post_url, by=suggestion.acted_by,
        until=suggestion.snoozed_until if suggestion.status == "snoozed" else None,
        tz=suggestion.customer.team.timezone,
    )


def register(app: App, runtime: Runtime) -> None:
    """Register the three suggestion buttons on ``app``."""

    def apply_click(body: dict, action: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        member = member_of(context)
        outcome = OUTCOMES[action["action_id"]]
        with runtime.session() as session:
            suggestion = scoped_suggestion(action.get("value"), session=session, member=member)
            if suggestion is None:
                changed, message = False, None
            else:
                changed = outcome(suggestion, session=session, by_user=member.slack_user, now=utcnow())
                message = closed_message(suggestion)
                channel = (body.get("container") or {}).get("channel_id") or suggestion.slack_channel
                ts = (body.get("container") or {}).get("message_ts") or suggestion.slack_ts
        if message is None:
            respond(text=NOT_YOURS_TEXT, response_type="ephemeral", replace_original=False)
        elif changed and channel and ts:
            text, blocks = message
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    app.action(SUGGESTION_ACTIONS)(ack=acknowledge, lazy=[apply_click])
