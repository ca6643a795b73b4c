"""App Home's "Connect a calendar": the button opens a modal for the ICS address; the submission is
checked and stored exactly as ``strongtie connect calendar`` does (:mod:`bot.jobs.connect`).

Slack wants a modal's answer within 3 seconds, and fetching a calendar can take longer, so the ack
checks only what needs no network (an address that is no http(s)/webcal URL, no secret key set
up) and shows it under the field (``response_action: errors``); everything else happens after the
ack, and the member is told the outcome by a direct message while their Home tab is published
again. The address appears in no message, view, log line or error: what is said names its host
at most, and an unexpected failure is logged by its type only (its text could hold the address).
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.jobs.connect import calendar_address, calendar_host, check_calendar, secret_box, store_connection
from bot.runtime import Runtime
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import acknowledge, member_of
from bot.slack.listeners.connections_view import (
    ACTION_CONNECT_CALENDAR,
    ADDRESS_BLOCK,
    CALLBACK_ID,
    calendar_modal,
    submitted_address,
)
from bot.slack.listeners.home import home_view
from bot.slack.middleware import MemberScope
from config.errors import InputError, UserError
from models.crypto import SecretKeyError
from models.store.connections import active_member
from models.timeline import utcnow

log = logging.getLogger(__name__)

NO_KEY_TEXT = ("Connecting calendars is not set up here yet: ask whoever runs strongtie to set "
               "STRONGTIE_SECRET_KEY (the README says how).")


def register(app: App, runtime: Runtime) -> None:
    """The button that opens the modal, and the modal's submission."""

    def open_modal(body: dict, client: WebClient) -> None:
        client.views_open(trigger_id=body["trigger_id"], view=calendar_modal())

    def check(ack: Ack, view: dict) -> None:
        problem = _quick_problem(view, runtime)
        if problem:
            ack(response_action="errors", errors={ADDRESS_BLOCK: problem})
        else:
            ack()

    def submit(view: dict, context: BoltContext, client: WebClient) -> None:
        if _quick_problem(view, runtime):
            return  # refused in the ack; the modal is still open
        member = member_of(context)
        try:
            text = _connect(submitted_address(view), member, runtime)
        except SecretKeyError:
            text = NO_KEY_TEXT
        except UserError as exc:  # the check's own words: the host at most, never the address
            text = f"Your calendar was not connected: {escape_mrkdwn(str(exc))}"
        except Exception as exc:  # noqa: BLE001 - the text (and traceback) of an unknown error may hold the address
            log.error("connecting a calendar from App Home failed (%s)", type(exc).__name__)
            text = "Sorry, your calendar was not connected because of a problem on our side. Please try again."
        client.chat_postMessage(channel=member.slack_user, text=text)
        with runtime.session() as session:
            home = home_view(member, session=session, as_of=utcnow(), params=runtime.scoring)
        client.views_publish(user_id=member.slack_user, view=home)

    app.action(ACTION_CONNECT_CALENDAR)(ack=acknowledge, lazy=[open_modal])
    app.view(CALLBACK_ID)(ack=check, lazy=[submit])


def _quick_problem(view: dict, runtime: Runtime) -> str | None:
    """What is wrong with the submission without asking the network (no key, not an address), or None."""
    try:
        secret_box(runtime.settings)
        calendar_address(submitted_address(view))
    except SecretKeyError:
        return NO_KEY_TEXT
    except InputError as exc:
        return str(exc)[:300]
    return None


def _connect(text: str, member: MemberScope, runtime: Runtime) -> str:
    """Check the calendar at the address in ``text`` and store it sealed for ``member``; the reply."""
    box = secret_box(runtime.settings)
    url = calendar_address(text)
    check_calendar(url, runtime.settings, now=utcnow())
    host = calendar_host(url)
    with runtime.session() as session:
        stored = store_connection(active_member(member.slack_user, session=session), "calendar", url, {"host": host},
                                  box=box, session=session)
        again = "" if stored.created else " again"
    return (f"Your calendar at {escape_mrkdwn(host)} is connected{again}. Meetings with your customers will count "
            f"from the next sync; only their time, who was there and their kind are kept.")
