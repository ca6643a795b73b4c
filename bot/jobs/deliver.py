"""Delivery job: each actionable, undelivered suggestion goes to its owner as a DM with buttons.

Runs after every poll -> score -> suggest cycle. What is due is what the digest calls actionable
(``actionable_suggestions``: not future-dated, not stale, tracked and unsnoozed customers, not done
or dismissed), restricted to suggestions no DM carries yet.

Exactly once: before posting, each suggestion is claimed in its own committed transaction (``sent``
with the DM channel and the claim time but no message ts), and a claimed suggestion is never
selected again. The DM carries Slack message metadata naming the suggestion. After Slack accepts
the post, the message ts is recorded so a click can update it. If Slack refuses the post (an error
answer, including a 429 still refused after the client's retries), nothing was sent and the claim
is undone, so the next run tries again. If the outcome is unknown (the process dies between claim
and post or before the ts is recorded), the claim stays until it is older than
``STALE_CLAIM_AFTER``; then each run first looks for the DM in the conversation
(conversations.history with metadata, from the claim time minus ``CLAIM_LOOKBACK_MARGIN``):
found, its ts is recorded; absent, the suggestion is due again and is sent. A conversation that
cannot be read leaves the claim for the next run. Whatever goes wrong with one suggestion (Slack or
database) is logged and counted, and the others are still delivered.
429s are retried by the client's handler (honouring Retry-After); on top of that posting keeps to
about one message per second per channel.

Each DM goes out with the token of the workspace of the suggestion's team (``WorkspaceClients``:
its installation's with "Add to Slack", SLACK_BOT_TOKEN otherwise). A workspace that uninstalled the
app gets nothing: its suggestions are skipped, with one log line per run naming it, and stay
undelivered (not failed) in case it installs the app again.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.jobs.suggest import OPEN_SUGGESTION_MAX_AGE
from bot.runtime import Runtime
from bot.slack.blocks import suggestion_message
from bot.slack.client import (
    CLAIM_LOOKBACK_MARGIN,
    STALE_CLAIM_AFTER,
    SUGGESTION_EVENT,
    find_marked_message,
    message_metadata,
)
from bot.slack.installations import WorkspaceClients, not_installed_notice
from models.entities import Suggestion
from models.store.deliveries import (
    claim_delivery,
    mark_delivered,
    release_delivery,
    settle_stale_claim,
    stale_delivery_claims,
    suggestions_to_deliver,
)
from models.timeline import utcnow

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
    """How many DMs went out, how many suggestions could not be delivered this run, and how many
    were held back because their workspace has no installation (uninstalled)."""

    sent: int
    failed: int
    skipped: int = 0


@dataclass(frozen=True)
class _Pending:
    """What a DM needs, read before any Slack call so no transaction stays open during one."""

    id: int
    owner: str
    text: str
    blocks: list[dict]
    workspace: str | None


def deliver_suggestions_job(
    runtime: Runtime, *, client: WebClient | None = None, pacer: ChannelPacer | None = None
) -> DeliverySummary:
    """Settle the claims a crash left unconfirmed, then DM every due suggestion to its owner, each
    exactly once (see the module docstring); a failure for one suggestion or owner does not stop
    the others."""
    runtime.settings.require_slack_tokens()
    clients = WorkspaceClients(runtime, client=client)
    pacer = pacer or ChannelPacer()
    recovered_failures = recover_stale_claims(runtime, clients)
    with runtime.session() as session:
        due = suggestions_to_deliver(session=session, now=utcnow(), max_age=OPEN_SUGGESTION_MAX_AGE)
        pending = [_pending(s) for s in due]
    dm_channels: dict[tuple[str | None, str], str] = {}
    sent, failed = 0, recovered_failures
    held: dict[str | None, int] = {}  # workspace -> DMs held back: it has no installation
    for item in pending:
        workspace_client = clients.for_workspace(item.workspace)
        if workspace_client is None:
            held[item.workspace] = held.get(item.workspace, 0) + 1
            continue
        try:
            key = (item.workspace, item.owner)
            if key not in dm_channels:
                dm_channels[key] = workspace_client.conversations_open(users=item.owner)["channel"]["id"]
            delivered = _deliver_one(runtime, workspace_client, pacer, item, dm_channels[key])
        except SlackApiError as exc:
            failed += 1
            log.warning("could not deliver suggestion %s to %s: %s", item.id, item.owner, exc.response.get("error"))
            continue
        except Exception:
            failed += 1
            log.exception("could not deliver suggestion %s to %s", item.id, item.owner)
            continue
        sent += int(delivered)
    for workspace, count in held.items():
        log.warning("skipped %d suggestion DM(s): %s", count, not_installed_notice(workspace))
    skipped = sum(held.values())
    if pending or failed:
        log.info("delivered %d suggestion(s), %d failed, %d skipped", sent, failed, skipped)
    return DeliverySummary(sent=sent, failed=failed, skipped=skipped)


def _deliver_one(runtime: Runtime, client: WebClient, pacer: ChannelPacer, item: _Pending, channel: str) -> bool:
    """Claim, post, record: False when another delivery claimed the suggestion first."""
    with runtime.session() as session:
        claim = claim_delivery(item.id, session=session, channel=channel, now=utcnow())
    if claim is None:
        return False
    pacer.wait_turn(channel)
    try:
        # No link_names and no parse=full: the text is escaped and must stay inert.
        response = client.chat_postMessage(channel=channel, text=item.text, blocks=item.blocks,
                                           unfurl_links=False, unfurl_media=False,
                                           metadata=message_metadata(SUGGESTION_EVENT, "suggestion_id", item.id))
    except SlackApiError:
        with runtime.session() as session:  # Slack said no: nothing was posted, so it is due again
            release_delivery(claim, session=session)
        raise
    with runtime.session() as session:
        mark_delivered(item.id, channel=response["channel"], ts=response["ts"], session=session)
    return True


def recover_stale_claims(runtime: Runtime, clients: WorkspaceClients) -> int:
    """Settle every claim a crash left unconfirmed past ``STALE_CLAIM_AFTER``: look for the DM in its
    conversation and record it if found, make the suggestion due again if not. Returns how many
    could not be settled this time (their conversation could not be read; they are retried). A
    claim in a workspace without an installation now waits, uncounted, for a reinstall."""
    with runtime.session() as session:
        stale = stale_delivery_claims(session=session, claimed_before=utcnow() - STALE_CLAIM_AFTER)
    failed = 0
    for claim in stale:
        client = clients.for_workspace(claim.workspace)
        if client is None:
            continue
        try:
            ts = find_marked_message(client, channel=claim.channel, event_type=SUGGESTION_EVENT, key="suggestion_id",
                                     value=claim.suggestion_id, oldest=claim.since - CLAIM_LOOKBACK_MARGIN)
            with runtime.session() as session:
                settled = settle_stale_claim(claim, session=session, ts=ts)
        except Exception:
            failed += 1
            log.exception("could not recover the unconfirmed DM of suggestion %s", claim.suggestion_id)
            continue
        if settled:
            log.info("recovered the unconfirmed DM of suggestion %s: %s", claim.suggestion_id,
                     f"it had gone out ({ts})" if ts else "it had not gone out, so it is due again")
    return failed


def _pending(suggestion: Suggestion) -> _Pending:
    text, blocks = suggestion_message(
        suggestion_id=suggestion.id, kind=suggestion.kind, customer=suggestion.customer.name,
        text=suggestion.text, post_url=suggestion.post_url, reason=suggestion.reason,
    )
    return _Pending(id=suggestion.id, owner=suggestion.owner_user or "", text=text, blocks=blocks,
                    workspace=suggestion.customer.team.workspace or None)
