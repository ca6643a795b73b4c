"""The demo's sample conversations: one reply on Bluesky and one Slack Connect message, each
captured by the real code, so ``strongtie demo`` shows contact nobody had to log.

- Bluesky: ``data/bluesky.json`` holds the AppView's answers (``resolveHandle``, ``getAuthorFeed``)
  for Maya Lindqvist, whose feed holds her reply to Dana Reyes's post, and for Dana (a member with
  ``bluesky:`` in the roster). A loopback server answers them while the demo runs, and the demo's
  own settings point the Bluesky API address at it (loopback allowed): the real poll reads it.
- Slack Connect: ``data/slack_event.json`` is one Events API payload (``event_callback`` with its
  ``authorizations``): Kenji Watanabe, listed in ``slack_users``, talking in a shared channel. It
  goes through the listener's own ``capture``; ``conversations.info`` is answered from
  ``data/slack_channels.json`` instead of Slack, so no token and no network.

The bundled times are written as of :data:`ANCHOR` and moved so that moment is the demo's now:
whatever day the demo runs, the conversation happened a day or two before.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Iterator, Mapping
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.demo.loopback import serving
from bot.runtime import Runtime
from bot.slack.listeners.formatting import interaction_line
from bot.slack.listeners.messages import capture
from models.entities import Customer, Interaction

DATA = Path(__file__).parent / "data"
#: The moment the bundled times are written as of; it becomes the demo's now.
ANCHOR = datetime(2025, 1, 10, tzinfo=timezone.utc)
#: Captured origins the "Captured conversations" section lists.
CONVERSATION_ORIGINS = ("slack_connect", "bluesky", "mastodon")
_TIME_FIELDS = frozenset({"createdAt", "indexedAt"})


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _shifted(value: Any, shift: timedelta) -> Any:
    """``value`` (parsed JSON) with every ``createdAt``/``indexedAt`` moved by ``shift``."""
    if isinstance(value, list):
        return [_shifted(item, shift) for item in value]
    if isinstance(value, dict):
        return {key: _iso(datetime.fromisoformat(item.replace("Z", "+00:00")) + shift)
                if key in _TIME_FIELDS and isinstance(item, str) else _shifted(item, shift)
                for key, item in value.items()}
    return value


def with_bluesky_api(runtime: Runtime, url: str) -> Runtime:
    """``runtime`` reading Bluesky from ``url`` (the demo's loopback server), for this run only."""
    return replace(runtime, settings=replace(runtime.settings, bluesky_api_url=url, allow_private_networks=True))


@contextmanager
def serve_sample_bluesky(now: datetime) -> Iterator[str]:
    """Answer the bundled Bluesky handles and author feeds on 127.0.0.1 (a free port) while the
    block runs, their times relative to ``now``; yields the API's base address."""
    bundle = _shifted(json.loads((DATA / "bluesky.json").read_text(encoding="utf-8")), now - ANCHOR)
    handles: Mapping[str, str] = bundle["handles"]
    feeds: Mapping[str, Any] = bundle["feeds"]

    class BlueskyHandler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _answer(self, status: int, body: Mapping[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            if parts.path == "/xrpc/com.atproto.identity.resolveHandle" and query.get("handle") in handles:
                self._answer(200, {"did": handles[query["handle"]]})
            elif parts.path == "/xrpc/app.bsky.feed.getAuthorFeed" and query.get("actor") in feeds:
                self._answer(200, feeds[query["actor"]])
            else:
                self._answer(400, {"error": "InvalidRequest", "message": "not in the demo's sample data"})

    with serving(BlueskyHandler) as base_url:
        yield base_url


class BundledChannels:
    """What the message listener asks of Slack's Web API (``conversations.info``), answered from
    ``data/slack_channels.json``: the demo has no token."""

    def __init__(self) -> None:
        self.answers = json.loads((DATA / "slack_channels.json").read_text(encoding="utf-8"))

    def conversations_info(self, *, channel: str) -> Mapping[str, Any]:
        """The bundled answer for ``channel``; an unknown one fails as Slack's would."""
        if channel not in self.answers:
            raise LookupError(f"channel_not_found: {channel}")
        return self.answers[channel]


def sample_slack_event(now: datetime) -> dict[str, Any]:
    """The bundled Events API payload, its message moved to as long before ``now`` as it was
    before :data:`ANCHOR`."""
    body = json.loads((DATA / "slack_event.json").read_text(encoding="utf-8"))
    shift = (now - ANCHOR).total_seconds()
    event = body["event"]
    for field in ("ts", "event_ts"):
        event[field] = f"{float(event[field]) + shift:.6f}"
    body["event_time"] = int(body["event_time"] + shift)
    return body


def capture_sample_message(runtime: Runtime, now: datetime) -> str:
    """Deliver the bundled Slack Connect message to the listener's capture, as Slack would after
    the ack; one line saying what it stored."""
    stored = capture(runtime, sample_slack_event(now), BundledChannels())  # type: ignore[arg-type]
    return f"{stored} Slack Connect message captured from the sample shared channel"


def captured_conversations(runtime: Runtime) -> list[str]:
    """One line per captured conversation (Slack Connect, Bluesky, Mastodon): the customer and
    the touch as the relationship status shows it, oldest first."""
    with runtime.session() as session:
        query = (select(Interaction).join(Customer, Customer.id == Interaction.customer_id)
                 .options(selectinload(Interaction.customer).selectinload(Customer.team))
                 .where(Interaction.origin.in_(CONVERSATION_ORIGINS)).order_by(Interaction.occurred_at, Interaction.id))
        return [f"{i.customer.name:<18} {interaction_line(i, ZoneInfo(i.customer.team.timezone))}"
                for i in session.scalars(query)]
