"""The buttons on a suggestion DM: Done, Snooze and Not relevant, and after Not relevant the
short reason choice (wrong person, bad timing, already done, not our style) kept with the dismissal.

Each click is acknowledged at once; the change and the ``chat.update`` of the message happen after
the ack. A click changes a suggestion only from a state where that change makes sense, so a double
click (or Slack's retry of one) changes nothing the second time.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import NamedTuple, Protocol

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.jobs.score import rescore_safely
from bot.rules.gestures import INTERACTION_KIND_FOR
from bot.runtime import Runtime
from bot.slack.blocks import (
    ACTION_DISMISS,
    ACTION_DONE,
    ACTION_SNOOZE,
    escape_mrkdwn,
    suggestion_done_message,
)
from bot.slack.listeners.common import acknowledge, member_of, scoped_suggestion
from bot.timeutil import local_date, local_moment
from models.entities import Suggestion
from models.store.interactions import logged_between
from models.store.suggestions import (
    DISMISS_REASONS,
    complete_suggestion,
    dismiss_suggestion,
    set_dismiss_reason,
    snooze_suggestion,
)
from models.timeline import utcnow

SNOOZE_FOR = timedelta(days=7)
ALREADY_LOGGED_TEXT = ("Marked done. A {kind} with *{customer}* was already logged today, so no second contact was "
                       "recorded.")
NOT_YOURS_TEXT = "That suggestion is not about one of your team's customers, so nothing was changed."
#: The reason buttons shown once a suggestion is dismissed: action id -> reason.
ACTION_REASON_PREFIX = "suggestion_reason_"
REASON_ACTIONS = {f"{ACTION_REASON_PREFIX}{reason}": reason for reason in DISMISS_REASONS}
SUGGESTION_ACTIONS = re.compile(f"^({ACTION_DONE}|{ACTION_SNOOZE}|{ACTION_DISMISS}|{'|'.join(REASON_ACTIONS)})$")


class Result(NamedTuple):
    """What a click did: whether the suggestion changed, and anything the clicker should be told."""

    changed: bool
    note: str | None = None


class Outcome(Protocol):
    """What a button does to its suggestion."""

    def __call__(self, suggestion: Suggestion, *, session: Session, by_user: str, now: datetime) -> Result:
        """Apply the click of ``by_user`` at ``now``."""


def mark_done(suggestion: Suggestion, *, session: Session, by_user: str, now: datetime) -> Result:
    """Log the gesture the suggestion proposed (a share for a share…) and close it; when the same
    kind of touch with the customer is already logged that (team-local) day, by anyone on the
    team, only close it and say so: one gesture is one contact, however many ways it is reported."""
    kind = INTERACTION_KIND_FOR.get(suggestion.kind, "message")
    repeated = already_logged_today(suggestion, kind, session=session, now=now)
    changed = complete_suggestion(suggestion, session=session, by_user=by_user, now=now, interaction_kind=kind,
                                  log_touch=not repeated)
    note = ALREADY_LOGGED_TEXT.format(kind=kind, customer=escape_mrkdwn(suggestion.customer.name))
    return Result(changed, note if changed and repeated else None)


def already_logged_today(suggestion: Suggestion, kind: str, *, session: Session, now: datetime) -> bool:
    """Whether a ``kind`` touch with the suggestion's customer is stored for the team's local day of ``now``."""
    zone = suggestion.customer.team.timezone
    today = local_date(now, zone)
    start = local_moment(today, time.min, zone)
    end = local_moment(today + timedelta(days=1), time.min, zone)
    return logged_between(suggestion.customer_id, kind, session=session, since=start, until=end)


def snooze(suggestion: Suggestion, *, session: Session, by_user: str, now: datetime) -> Result:
    """Hide the suggestion for a week; it is delivered again when the week is over."""
    return Result(snooze_suggestion(suggestion, session=session, by_user=by_user, now=now, until=now + SNOOZE_FOR))


def dismiss(suggestion: Suggestion, *, session: Session, by_user: str, now: datetime) -> Result:
    """Not relevant: closed for good."""
    return Result(dismiss_suggestion(suggestion, session=session, by_user=by_user, now=now))


def give_reason(reason: str) -> Outcome:
    """The click on one reason button: keep why the dismissed suggestion was not relevant."""

    def apply(suggestion: Suggestion, *, session: Session, by_user: str, now: datetime) -> Result:
        return Result(set_dismiss_reason(suggestion, reason))

    return apply


OUTCOMES: dict[str, Outcome] = {ACTION_DONE: mark_done, ACTION_SNOOZE: snooze, ACTION_DISMISS: dismiss,
                                **{action: give_reason(reason) for action, reason in REASON_ACTIONS.items()}}


def closed_message(suggestion: Suggestion) -> tuple[str, list[dict]]:
    """The DM as it reads once acted on: what happened instead of buttons (a snooze's end as a date
    in the customer's team's zone); a dismissal asks why (once answered, says why)."""
    text, blocks = suggestion_done_message(
        kind=suggestion.kind, customer=suggestion.customer.name, text=suggestion.text,
        outcome=suggestion.status, post_url=suggestion.post_url, by=suggestion.acted_by,
        until=suggestion.snoozed_until if suggestion.status == "snoozed" else None,
        tz=suggestion.customer.team.timezone,
    )
    if suggestion.status == "dismissed":
        blocks = blocks + reason_blocks(suggestion.id, suggestion.dismiss_reason)
    return text, blocks


def reason_blocks(suggestion_id: int, reason: str | None) -> list[dict]:
    """Under a dismissed suggestion: the reason picked, or the four reasons to pick from (each
    button's value is the suggestion id, as on the other buttons)."""
    if reason is not None:
        return [{"type": "context", "elements": [{"type": "mrkdwn", "text": f"Why: {DISMISS_REASONS[reason]}"}]}]
    buttons = [{"type": "button", "action_id": action, "value": str(suggestion_id),
                "text": {"type": "plain_text", "text": DISMISS_REASONS[why].capitalize()}}
               for action, why in REASON_ACTIONS.items()]
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": "Why not? (helps tune the suggestions)"}]},
            {"type": "actions", "block_id": f"dismiss_reason:{suggestion_id}", "elements": buttons}]


def register(app: App, runtime: Runtime) -> None:
    """Register the suggestion buttons (and the reason buttons after Not relevant) on ``app``."""

    def apply_click(body: dict, action: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        member = member_of(context)
        outcome = OUTCOMES[action["action_id"]]
        with runtime.session() as session:
            suggestion = scoped_suggestion(action.get("value"), session=session, member=member)
            if suggestion is None:
                message = None
            else:
                now = utcnow()
                result = outcome(suggestion, session=session, by_user=member.slack_user, now=now)
                message = closed_message(suggestion)
                channel = (body.get("container") or {}).get("channel_id") or suggestion.slack_channel
                ts = (body.get("container") or {}).get("message_ts") or suggestion.slack_ts
                if result.changed and suggestion.status == "done" and result.note is None:
                    session.commit()  # the click is what the manager did: keep it whatever the rescore does
                    rescore_safely([suggestion.customer_id], session=session, as_of=now, params=runtime.scoring)
        if message is None:
            respond(text=NOT_YOURS_TEXT, response_type="ephemeral", replace_original=False)
            return
        if result.changed and channel and ts:
            text, blocks = message
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        if result.note:
            respond(text=result.note, response_type="ephemeral", replace_original=False)

    app.action(SUGGESTION_ACTIONS)(ack=acknowledge, lazy=[apply_click])
