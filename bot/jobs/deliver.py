"""Delivery job: each open, undelivered suggestion goes to its owner as a DM with buttons.

Runs after every poll -> score -> suggest cycle. Each suggestion is committed as ``sent`` (with the
DM's channel and ts, so a button click can update the message) right after Slack accepted it, so a
crash part-way never sends one twice. 429s are retried by the client's handler (honouring
Retry-After); on top of that posting keeps to about one message per second per channel.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import suggestion_message
from bot.runtime import Runtime
from bot.slack_client import make_web_client
from bot.timeutil import now_utc
from models.entities import Suggestion
from models.slack_store import mark_delivered, suggestions_to_deliver

log = logging.getLogger(__name__)

SECONDS_PER_MESSAGE_PER_CHANNEL = 1.0


class ChannelPacer:
    """Keeps successive posts to one channel at least ``interval`` seconds apart (Slack's guidance)."""

    def __init__(
        self,
        interval: float = SECONDS_PER_MESSAGE_PER_CHANNEL,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_turn(self, channel: str) -> None:
        """Sleep until ``channel`` may receive the next message, and claim that slot."""
        with self._lock:
            last = self._last.get(channel)
            if last is not None:
                delay = self._interval - (self._clock() - last)
                if delay > 0:
                    self._sleep(delay)
            self._last[channel] = self._clock()


@dataclass(frozen=True)
class DeliverySummary:
    sent: int
    failed: int


@dataclass(frozen=True)
class _Pending:
    """What a DM needs, read before any Slack call so no transaction stays open during one."""

    id: int
    owner: str
    text: str
    blocks: list[dict]


def deliver_suggestions_job(
    runtime: Runtime, *, client: WebClient | None = None, pacer: ChannelPacer | None = None
) -> DeliverySummary:
    """DM every due suggestion to its owner; a failure for one owner does not stop the others."""
    runtime.settings.require("slack_bot_token")
    client = client or make_web_client(runtime.settings)
    pacer = pacer or ChannelPacer()
    with runtime.session() as session:
        pending = [_pending(s) for s in suggestions_to_deliver(session=session, now=now_utc())]
    dm_channels: dict[str, str] = {}
    sent = failed = 0
    for item in pending:
        try:
            if item.owner not in dm_channels:
                dm_channels[item.owner] = client.conversations_open(users=item.owner)["channel"]["id"]
            channel = dm_channels[item.owner]
            pacer.wait_turn(channel)
            # No link_names and no parse=full: the text is escaped and must stay inert.
            response = client.chat_postMessage(channel=channel, text=item.text, blocks=item.blocks,
                                               unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            failed += 1
            log.warning("could not deliver suggestion %s to %s: %s", item.id, item.owner, exc.response.get("error"))
            continue
        with runtime.session() as session:
            suggestion = session.get(Suggestion, item.id)
            if suggestion is not None:
                mark_delivered(suggestion, channel=response["channel"], ts=response["ts"])
        sent += 1
    if pending:
        log.info("delivered %d suggestion(s), %d failed", sent, failed)
    return DeliverySummary(sent=sent, failed=failed)


def _pending(suggestion: Suggestion) -> _Pending:
    text, blocks = suggestion_message(
        suggestion_id=suggestion.id, kind=suggestion.kind, customer=suggestion.customer.name,
        text=suggestion.text, post_url=suggestion.post_url, reason=suggestion.reason,
    )
    return _Pending(id=suggestion.id, owner=suggestion.owner_user or "", text=text, blocks=blocks)
