"""What App Home shows of a member's connected calendars and mailboxes, and the modal that takes a
calendar's ICS address. Blocks only: the listener is :mod:`bot.slack.listeners.connections`.

A connection is shown by its kind, the host it reads (a mailbox's user too), its status, its last
sync and its last error; never by its secret. The modal's field is the one place a calendar's
secret address is typed, and nothing built here ever contains it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.jobs.connect import connection_target
from bot.slack.blocks import escape_mrkdwn, fitted_section_block, header_block
from bot.slack.middleware import MemberScope
from models.entities import Connection
from models.store.connections import all_connections

ACTION_CONNECT_CALENDAR = "connections_add_calendar"
CALLBACK_ID = "connections_calendar"
ADDRESS_BLOCK = "address"
VALUE = "value"  # the input's action id
MAX_ADDRESS = 3000  # Slack's most for a plain_text_input
KIND_NAMES = {"calendar": "Calendar", "imap": "Mailbox"}


def connection_blocks(member: MemberScope, *, session: Session) -> list[dict[str, Any]]:
    """The Home tab's part on the member's own connections: one line each and a button to connect
    a calendar."""
    connections = all_connections(session=session, member_user=member.slack_user)
    lines = [connection_line(c, member.timezone) for c in connections]
    text = "\n".join(lines) if lines else (
        "Nothing connected yet. Connect your calendar and your meetings with customers count by themselves "
        "(only the time, who was there and the kind are kept).")
    button = {"type": "button", "action_id": ACTION_CONNECT_CALENDAR, "value": "calendar",
              "text": {"type": "plain_text", "text": "Connect a calendar"}}
    return [{"type": "divider"}, header_block("Your calendar and mail"), fitted_section_block(text),
            {"type": "actions", "block_id": "connections", "elements": [button]}]


def connection_line(connection: Connection, zone: ZoneInfo) -> str:
    """``• Calendar (calendar.google.com): ok, last synced 2026-03-02 09:00 EST`` and any error."""
    kind = KIND_NAMES.get(connection.kind, connection.kind)
    synced = (f"last synced {_local(connection.last_synced_at, zone)}" if connection.last_synced_at
              else "not synced yet")
    line = f"• *{kind}* ({escape_mrkdwn(connection_target(connection))}): {escape_mrkdwn(connection.status)}, {synced}"
    if connection.last_error:
        line += f"\n    _{escape_mrkdwn(connection.last_error[:300])}_"
    return line


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}"


def calendar_modal() -> dict[str, Any]:
    """The modal that asks for a calendar's ICS address."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": "Connect a calendar"},
        "submit": {"type": "plain_text", "text": "Connect"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            fitted_section_block(
                "Paste your calendar's private ICS address. *Google Calendar*: Settings → your calendar → "
                "Integrate calendar → _Secret address in iCal format_. *Outlook*: Settings → Calendar → Shared "
                "calendars → Publish a calendar → _ICS_ link (a published calendar may leave out attendees).\n"
                "strongtie keeps only each meeting's time, the customers in it and its kind; the address is stored "
                "encrypted and never shown again."),
            {"type": "input", "block_id": ADDRESS_BLOCK, "label": {"type": "plain_text", "text": "ICS address"},
             "element": {"type": "plain_text_input", "action_id": VALUE, "max_length": MAX_ADDRESS,
                         "placeholder": {"type": "plain_text", "text": "https://… or webcal://…"}},
             "hint": {"type": "plain_text", "text": "It is checked once after you press Connect; the answer "
                                                    "comes as a direct message."}},
        ],
    }


def submitted_address(view: dict[str, Any]) -> str:
    """The address typed in the modal (empty when none)."""
    values = (view.get("state") or {}).get("values") or {}
    return str(((values.get(ADDRESS_BLOCK) or {}).get(VALUE) or {}).get("value") or "")
