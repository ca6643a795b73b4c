"""Slack Connect: messages in channels the bot is in count as contact, without a ``/tie log``.

A message from a Slack user a customer lists (``slack_users``) is a ``message`` from them (inbound);
a message from one of our members in a channel where a listed customer of their team has been seen
posting is a ``message`` from us (outbound) to each such customer. A busy thread is not fifty
touches: at most one interaction per customer, day (the team's calendar) and direction, and an
inbound and an outbound one on the same day read as two-way contact. Origin ``slack_connect``; the
note names the channel (``in #acme-shared``); the message's text is never stored.

Our own workspace is the one the event was delivered to (its ``authorizations``): in a shared
channel the top-level ``team_id`` can be the channel owner's. The sender's workspace is the event's
``user_team`` (or ``source_team``): a sender from another workspace is never taken for a member.
Bot messages, edits, deletions, joins and every other subtype that is not someone talking are
ignored, as are messages from workspaces, channels and people the roster does not know. A retried
event (same ``event_id``) changes nothing, nor does a message on a day already counted.

``channel_unshared`` forgets who was seen in the channel (they are no longer on the other side);
``channel_shared`` needs nothing: the other side shows itself by posting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.jobs.score import rescore_safely
from bot.runtime import Runtime
from bot.slack.listeners.common import acknowledge
from bot.timeutil import local_date
from models.entities import Customer
from models.store.conversations import (
    active_memberships,
    customers_listing,
    customers_seen_in,
    forget_channel,
    note_sighting,
    stored_keys,
    workspace_teams,
)
from models.store.handled_requests import first_handling
from models.store.interactions import log_interaction
from models.timeline import utcnow

log = logging.getLogger(__name__)

ORIGIN = "slack_connect"
#: Message subtypes that are someone talking (a reply also sent to the channel, a shared file with
#: its comment, a /me message); every other subtype (bot_message, message_changed, message_deleted,
#: channel_join, channel_topic…) is not conversation.
CONVERSATION_SUBTYPES = frozenset({"thread_broadcast", "file_share", "me_message"})


@dataclass(frozen=True)
class ChannelMessage:
    """What strongtie reads of a message event: never its text."""

    event_id: str | None
    workspace: str | None  # ours: the workspace the event was delivered to
    channel: str
    user: str
    external: bool  # the sender belongs to another workspace
    at: datetime


@dataclass(frozen=True)
class Touch:
    """One interaction a message makes: with whom, which way, and by which member (outbound)."""

    customer: Customer
    direction: str
    by_user: str | None

    def key(self, at: datetime) -> str:
        """One per customer, local day and direction, whatever the number of messages."""
        day = local_date(at, self.customer.team.timezone)
        return f"{ORIGIN}:{self.customer.id}:{day.isoformat()}:{self.direction}"


def our_workspace(body: Mapping[str, Any]) -> str | None:
    """The workspace the event was delivered to: its first authorization's team (the top-level
    ``team_id`` only when there is none: in a shared channel that can be the owner's workspace)."""
    for authorization in body.get("authorizations") or ():
        if isinstance(authorization, Mapping) and isinstance(authorization.get("team_id"), str):
            return authorization["team_id"]
    team = body.get("team_id")
    return team if isinstance(team, str) and team else None


def channel_message(body: Mapping[str, Any], *, now: datetime) -> ChannelMessage | None:
    """The message event in ``body`` if it is a person talking in a channel, else None."""
    event = body.get("event")
    if not isinstance(event, Mapping) or event.get("type") != "message":
        return None
    subtype = event.get("subtype")
    if subtype is not None and subtype not in CONVERSATION_SUBTYPES:
        return None
    if event.get("bot_id") or event.get("bot_profile") or event.get("hidden"):
        return None
    if event.get("channel_type") not in (None, "channel", "group"):
        return None  # direct messages are not subscribed; never counted
    user, channel = event.get("user"), event.get("channel")
    if not (isinstance(user, str) and user and isinstance(channel, str) and channel):
        return None
    try:
        at = datetime.fromtimestamp(float(event.get("ts")), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    workspace = our_workspace(body)
    sender_team = next((t for t in (event.get("user_team"), event.get("source_team")) if isinstance(t, str) and t), None)
    event_id = body.get("event_id")
    return ChannelMessage(event_id=event_id if isinstance(event_id, str) and event_id else None,
                          workspace=workspace, channel=channel, user=user,
                          external=sender_team is not None and sender_team != workspace, at=min(at, now))


def touches_of(message: ChannelMessage, *, session: Session) -> tuple[list[Touch], list[Customer]]:
    """The interactions ``message`` makes, and the customers it shows posting in the channel."""
    team_ids = [team.id for team in workspace_teams(message.workspace, session=session)]
    listed = customers_listing(message.user, session=session, team_ids=team_ids)
    if listed:
        return [Touch(c, "inbound", None) for c in listed], listed
    if message.external:
        return [], []
    member_teams = {m.team_id for m in active_memberships(message.user, session=session, team_ids=team_ids)}
    other_side = customers_seen_in(message.channel, session=session, team_ids=member_teams)
    return [Touch(c, "outbound", message.user) for c in other_side], []


def channel_label(client: WebClient, channel: str) -> str:
    """``#acme-shared`` (conversations.info), or the channel id when Slack does not say."""
    try:
        name = client.conversations_info(channel=channel)["channel"]["name"]
    except Exception:  # no scope, not found, rate limited, Slack down: the id says where just as well
        log.info("conversations.info gave no name for %s; noting the id", channel)
        return channel
    return f"#{name}" if isinstance(name, str) and name else channel


def capture(runtime: Runtime, body: Mapping[str, Any], client: WebClient) -> int:
    """Record what the message in ``body`` makes (once), rescore those relationships; how many
    interactions were stored."""
    now = utcnow()
    message = channel_message(body, now=now)
    if message is None:
        return 0
    with runtime.session() as session:
        touches, seen = touches_of(message, session=session)
        if not touches:
            return 0  # a workspace, channel or person the roster does not know
        keys = {t.key(message.at): t for t in touches}
        new = {key: t for key, t in keys.items() if key not in stored_keys(keys, session=session)}
        session.commit()  # nothing written yet: end the transaction, so no lock is held while Slack answers
        note = f"in {channel_label(client, message.channel)}" if new else ""
        if message.event_id and not first_handling(f"slack:event:{message.event_id}", session=session, now=now):
            return 0  # Slack's retry of an event already handled
        for customer in seen:
            note_sighting(message.channel, message.user, customer, session=session, at=message.at)
        created = []
        for key, touch in new.items():
            logged = log_interaction(touch.customer, "message", session=session, occurred_at=message.at,
                                     direction=touch.direction, note=note, by_user=touch.by_user, origin=ORIGIN,
                                     dedupe_key=key, now=now)
            if logged.created:
                created.append(touch.customer.id)
        session.commit()
        if created:
            rescore_safely(created, session=session, as_of=now, params=runtime.scoring)
            session.commit()
        return len(created)


def register(app: App, runtime: Runtime) -> None:
    """Count channel messages; forget a channel's other side when it is unshared."""

    def on_message(body: dict, client: WebClient) -> None:
        capture(runtime, body, client)

    def on_unshared(event: dict) -> None:
        channel = event.get("channel")
        if isinstance(channel, str) and channel:
            with runtime.session() as session:
                forget_channel(channel, session=session)
                session.commit()

    def on_shared() -> None:
        return None

    app.event("message")(ack=acknowledge, lazy=[on_message])
    app.event("channel_unshared")(ack=acknowledge, lazy=[on_unshared])
    app.event("channel_shared")(ack=acknowledge, lazy=[on_shared])
