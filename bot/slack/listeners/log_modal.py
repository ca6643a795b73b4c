"""The ``/tie log`` modal: ``/tie log`` with nothing after it opens a form (customer, kind,
direction, when, note) instead of asking for the words.

The customer picker lists only the member's own teams' tracked customers; "when" defaults to now
and takes any earlier moment (a datepicker and a timepicker in the member's time zone). The
submission is checked in the ack itself, so a mistake (a time still to come, a missing kind) shows
under its field (``response_action: errors``) and the modal stays open; a valid one closes at once
and the touch is logged after the ack, the reply arriving where ``/tie log`` was typed (through the
command's response URL) exactly as a typed ``/tie log`` reply would.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient
from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import member_of, request_key
from bot.slack.listeners.tie.log import DIRECTION_PHRASES, record_touch
from bot.slack.middleware import MemberScope
from config.errors import UserError
from config.vocabulary import DIRECTION_WORDS, INTERACTION_KINDS
from models.entities import Customer
from models.store.customers import customer_with_owner, tracked_customers
from models.timeline import utcnow

CALLBACK_ID = "tie_log"
VALUE = "value"  # every input's action id
MAX_OPTIONS = 100  # Slack refuses a select with more
MAX_OPTION_TEXT = 75
MAX_NOTE = 3000
#: A clock running a little ahead is not a touch in the future.
CLOCK_SLACK = timedelta(minutes=2)

log = logging.getLogger(__name__)


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:MAX_OPTION_TEXT]}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _text(label), "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": _text(label),
                             "element": {**element, "action_id": VALUE}, "optional": optional}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def customer_choices(member: MemberScope, *, session: Session) -> list[tuple[str, list[Customer]]]:
    """The member's teams (in roster order) with their tracked customers, at most MAX_OPTIONS in all."""
    room = MAX_OPTIONS
    groups = []
    for team_id, team_name in zip(member.team_ids, member.team_names):
        customers = tracked_customers(session=session, team_id=team_id)[:room]
        room -= len(customers)
        if customers:
            groups.append((team_name, customers))
    return groups


def log_view(member: MemberScope, *, session: Session, now: datetime, response_url: str | None) -> dict[str, Any]:
    """The modal for ``member`` opened at ``now``; ``response_url`` is where its reply will go."""
    groups = customer_choices(member, session=session)
    options = [[_option(c.name, str(c.id)) for c in customers] for _, customers in groups]
    if len(groups) > 1:
        picker = {"type": "static_select", "option_groups": [
            {"label": _text(name), "options": group} for (name, _), group in zip(groups, options)]}
    else:
        picker = {"type": "static_select", "options": options[0] if options else []}
    zone = member.timezone
    local = now.astimezone(zone)
    metadata = {"response_url": response_url, "zone": zone.key, "date": local.date().isoformat(),
                "time": f"{local:%H:%M}"}
    directions = [_option(f"{word}: {DIRECTION_PHRASES[direction].split(': ')[1]}", word)
                  for word, direction in DIRECTION_WORDS.items()]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _text("Log a touch"),
        "submit": _text("Log"),
        "close": _text("Cancel"),
        "private_metadata": json.dumps(metadata),
        "blocks": [
            _input("customer", "Customer", {**picker, "placeholder": _text("Your team's customers")}),
            _input("kind", "Kind", {"type": "static_select", "options": [_option(k, k) for k in INTERACTION_KINDS]}),
            _input("direction", "Who reached out", {"type": "static_select", "options": directions},
                   optional=True, hint="Left empty: meeting, call, event are mutual; purchase, trial inbound; "
                                       "anything else outbound (we did it)."),
            _input("date", "Day", {"type": "datepicker", "initial_date": metadata["date"]}),
            _input("time", "Time", {"type": "timepicker", "initial_time": metadata["time"]},
                   hint=f"Now, or earlier ({zone.key})."),
            _input("note", "Note", {"type": "plain_text_input", "multiline": True, "max_length": MAX_NOTE},
                   optional=True),
        ],
    }


def open_log_modal(client: WebClient, command: dict, member: MemberScope, *, session: Session, now: datetime) -> None:
    """Open the modal in answer to ``/tie log`` with no arguments (``trigger_id`` lasts 3 seconds)."""
    view = log_view(member, session=session, now=now, response_url=command.get("response_url"))
    client.views_open(trigger_id=command["trigger_id"], view=view)


class Submission:
    """The modal's fields as submitted, read and checked without the database."""

    def __init__(self, view: dict[str, Any], *, now: datetime) -> None:
        values = (view.get("state") or {}).get("values") or {}
        self.metadata: dict[str, Any] = _metadata(view)
        self.errors: dict[str, str] = {}

        def field(block: str) -> dict[str, Any]:
            return (values.get(block) or {}).get(VALUE) or {}

        def selected(block: str) -> str | None:
            return (field(block).get("selected_option") or {}).get("value")

        customer = selected("customer")
        self.customer_id = int(customer) if customer and customer.isdigit() else None
        if self.customer_id is None:
            self.errors["customer"] = "Pick one of your team's customers."
        self.kind = selected("kind") or ""
        if self.kind not in INTERACTION_KINDS:
            self.errors["kind"] = f"Pick a kind: {', '.join(INTERACTION_KINDS)}."
        word = selected("direction")
        self.direction = DIRECTION_WORDS.get(word or "")
        if word and self.direction is None:
            self.errors["direction"] = "Pick from, to or with (or leave it empty)."
        self.note = (field("note").get("value") or "").strip()
        if "\x00" in self.note or len(self.note) > MAX_NOTE:
            self.errors["note"] = f"A note is plain text of at most {MAX_NOTE} characters."
        self.occurred_at = self._when(field("date").get("selected_date"), field("time").get("selected_time"), now)

    def _when(self, day: str | None, clock: str | None, now: datetime) -> datetime:
        """The chosen moment; exactly ``now`` when the day and time were left as opened (now)."""
        if (day, clock) == (self.metadata.get("date"), self.metadata.get("time")):
            return now
        try:
            zone = ZoneInfo(self.metadata.get("zone") or "UTC")
            moment = datetime.combine(date.fromisoformat(day or ""), time.fromisoformat(clock or ""), tzinfo=zone)
        except (ValueError, KeyError):
            self.errors["date"] = "Pick a day and a time."
            return now
        if moment > now + CLOCK_SLACK:
            self.errors["date" if moment.date() > now.astimezone(zone).date() else "time"] = (
                "That is still to come: log a touch once it has happened.")
        return min(moment, now)


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def register(app: App, runtime: Runtime) -> None:
    """Register the modal's submission: checked in the ack, logged after it."""

    def check(ack: Ack, view: dict) -> None:
        submission = Submission(view, now=utcnow())
        if submission.errors:
            ack(response_action="errors", errors=submission.errors)
        else:
            ack()

    def submit(body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
        member = member_of(context)
        now = utcnow()
        submission = Submission(view, now=now)
        if submission.errors:
            return  # refused in the ack; the modal is still open
        try:
            with runtime.session() as session:
                text = _log(submission, body, member, session=session, now=now, runtime=runtime)
        except UserError as exc:
            text = escape_mrkdwn(str(exc))
        except Exception:
            log.exception("logging a touch from the /tie log modal failed")
            text = "Sorry, that did not work because of a problem on our side; nothing was logged. Please try again."
        _reply(text, submission.metadata.get("response_url"), member, client)

    app.view(CALLBACK_ID)(ack=check, lazy=[submit])


def _log(submission: Submission, body: dict, member: MemberScope, *, session: Session, now: datetime,
         runtime: Runtime) -> str:
    customer = customer_with_owner(submission.customer_id or 0, session=session)
    if customer is None or customer.team_id not in member.team_ids:
        return "That customer is not one of your team's, so nothing was logged."
    return record_touch(
        customer, submission.kind, session=session, direction=submission.direction,
        note=submission.note, occurred_at=submission.occurred_at, member=member.slack_user,
        dedupe_key=request_key("tie-log-modal", body), now=now, params=runtime.scoring, zone=member.timezone,
    )


def _reply(text: str, response_url: str | None, member: MemberScope, client: WebClient) -> None:
    """Answer where ``/tie log`` was typed (ephemeral, through its response URL), else by DM."""
    if response_url:
        WebhookClient(response_url).send(text=text, response_type="ephemeral")
    else:
        client.chat_postMessage(channel=member.slack_user, text=text)
