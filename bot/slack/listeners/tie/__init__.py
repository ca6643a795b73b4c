"""The ``/tie`` slash command: acknowledge at once, then run the subcommand as a lazy listener.

The ack path only parses the first word (``help`` and unknown subcommands are answered right in the
ack); everything that reads or writes the store runs after the ack and replies through the
command's response URL, ephemerally. ``/tie log`` with nothing after it opens the log modal
(:mod:`bot.slack.listeners.log_modal`) instead of replying.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.common import member_of
from bot.slack.listeners import log_modal
from bot.slack.listeners.tie import cadence, log, rate, remind, snooze, status, top, undo
from bot.slack.listeners.tie.help import help_text
from bot.slack.listeners.tie.request import Handler, TieRequest, split_subcommand
from config.errors import UserError
from models.store.handled_requests import first_handling
from models.timeline import utcnow

COMMAND = "/tie"
HANDLERS: dict[str, Handler] = {
    "log": log.handle,
    "status": status.handle,
    "top": top.handle,
    "rate": rate.handle,
    "snooze": snooze.handle,
    "undo": undo.handle,
    "cadence": cadence.handle,
    "remind": remind.handle,
}
FAILURE_TEXT = "Sorry, that did not work because of a problem on our side; nothing was changed. Please try again."

logger = logging.getLogger(__name__)


def acknowledge(ack: Ack, command: dict) -> None:
    """Answer within Slack's 3 seconds: help right away, everything else after the ack."""
    subcommand, _ = split_subcommand(command.get("text", ""))
    if subcommand in HANDLERS:
        ack()
    else:
        ack(text=help_text(unknown=subcommand if subcommand not in ("", "help") else None), response_type="ephemeral")


def register(app: App, runtime: Runtime) -> None:
    """Register ``/tie`` on ``app``; subcommands run in one unit of work each.

    Each invocation is handled once: its retry-stable key is recorded in the same transaction as
    its work, and a Slack retry (or a concurrent copy) of a handled invocation does nothing and
    posts no second reply. An invocation whose work failed left no key, so its retry runs again.
    A mistake the user (or whoever runs strongtie: a setting, the roster) can fix is answered with
    its own message; anything else as a problem on our side.
    """

    def run_subcommand(command: dict, context: BoltContext, respond: Respond, request: BoltRequest,
                       client: WebClient) -> None:
        subcommand, args = split_subcommand(command.get("text", ""))
        handler = HANDLERS.get(subcommand)
        if handler is None:
            return
        text: str | None
        try:
            tie = TieRequest(member=member_of(context), subcommand=subcommand, args=args, body=command,
                             now=utcnow(), params=runtime.scoring)
            with runtime.session() as session:
                first = first_handling(tie.dedupe_key(), session=session, now=tie.now)
                if first and subcommand == "log" and not args.strip():
                    log_modal.open_log_modal(client, command, tie.member, session=session, now=tie.now)
                    return
                text = handler(tie, session) if first else None
        except UserError as exc:
            text = escape_mrkdwn(_sentence(str(exc)))
        except Exception:
            logger.exception("/tie %s failed", subcommand)
            text = FAILURE_TEXT
        if text is None:
            logger.info("/tie %s already handled (Slack retry %s); not replying again", subcommand,
                        _retry_num(request) or "none")
            return
        respond(text=text, response_type="ephemeral")

    app.command(COMMAND)(ack=acknowledge, lazy=[run_subcommand])


def _retry_num(request: BoltRequest) -> str:
    return (request.headers.get("x-slack-retry-num") or [""])[0]


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] if message else message
