"""Requests exactly as Slack sends them: real payload shapes, signed the way Slack signs them.

Slack signs ``v0:{X-Slack-Request-Timestamp}:{raw body}`` with HMAC-SHA256 under the app's signing
secret and sends ``v0=<hex digest>`` as ``X-Slack-Signature``. Slash commands arrive form-encoded;
interactivity (``block_actions``) arrives as a form with one ``payload`` field holding JSON; the
Events API posts JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import urlencode

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's documentation example value
TEAM_ID = "T0TESTWS"
API_APP_ID = "A0STRONGTIE"

_sequence = itertools.count(1000)


def sign(body: str | bytes, *, secret: str = SIGNING_SECRET, timestamp: int | str | None = None) -> dict[str, str]:
    """The two headers Slack adds: the request timestamp and ``v0=`` HMAC-SHA256 of the basestring
    (over the raw bytes of the body; a ``str`` body is sent as UTF-8)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    raw = body.encode() if isinstance(body, str) else body
    basestring = f"v0:{timestamp}:".encode() + raw
    digest = hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True)
class SlackRequest:
    """A body and the headers it travels with (``content_type`` plus the signature headers)."""

    body: str
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)

    def signed(self, *, secret: str = SIGNING_SECRET, timestamp: int | str | None = None,
               retry_num: int | None = None) -> dict[str, str]:
        """The headers Slack would send with this body, optionally as its ``retry_num``-th retry."""
        headers = {"Content-Type": self.content_type, **sign(self.body, secret=secret, timestamp=timestamp)}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return headers


def _trigger_id() -> str:
    n = next(_sequence)
    return f"{n}.{n * 7}.{hashlib.sha1(str(n).encode()).hexdigest()[:32]}"


def slash_command(text: str, *, user_id: str, response_base: str, command: str = "/tie",
                  channel_id: str = "C0TESTCHAN", trigger_id: str | None = None, team_id: str = TEAM_ID) -> SlackRequest:
    """A ``/tie …`` invocation from workspace ``team_id``; its response URL points at
    ``response_base`` (the Web API fake)."""
    n = next(_sequence)
    fields = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": "acme-sales",
        "channel_id": channel_id,
        "channel_name": "directmessage",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": f"{response_base.rstrip('/')}/commands/{team_id}/{n}/respond",
        "trigger_id": trigger_id or _trigger_id(),
    }
    return SlackRequest(urlencode(fields), "application/x-www-form-urlencoded")


def block_action(action_id: str, value: str, *, user_id: str, response_base: str, channel_id: str = "D0OWNER",
                 message_ts: str = "1700000000.000100", team_id: str = TEAM_ID) -> SlackRequest:
    """A button click on a message (``block_actions`` interactivity payload) in workspace ``team_id``."""
    return interactivity(block_action_payload(action_id, value, user_id=user_id, response_base=response_base,
                                              channel_id=channel_id, message_ts=message_ts, team_id=team_id))


def interactivity(payload: object) -> SlackRequest:
    """An interactivity request: a form whose one ``payload`` field holds ``payload`` as JSON (or,
    given a string, that string as it is, JSON or not)."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return SlackRequest(urlencode({"payload": text}), "application/x-www-form-urlencoded")


def block_action_payload(action_id: str, value: str, *, user_id: str, response_base: str,
                         channel_id: str = "D0OWNER", message_ts: str = "1700000000.000100",
                         team_id: str = TEAM_ID) -> dict:
    """The ``block_actions`` payload of a button click, as a dict (to send, or to bend out of shape)."""
    n = next(_sequence)
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id},
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id, "is_ephemeral": False},
        "trigger_id": _trigger_id(),
        "team": {"id": team_id, "domain": "acme-sales"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "directmessage"},
        "message": {"type": "message", "user": "U0BOT", "ts": message_ts, "bot_id": "B0BOT", "text": "suggestion",
                    "team": team_id, "blocks": []},
        "state": {"values": {}},
        "response_url": f"{response_base.rstrip('/')}/actions/{team_id}/{n}/respond",
        "actions": [{
            "action_id": action_id,
            "block_id": f"suggestion:{value}",
            "text": {"type": "plain_text", "text": "Done", "emoji": True},
            "value": value,
            "type": "button",
            "action_ts": f"{int(time.time())}.{n:06d}",
        }],
    }


def app_home_opened(*, user_id: str, tab: str = "home", team_id: str = TEAM_ID) -> SlackRequest:
    """The Events API callback sent when a user opens the app's Home tab (in workspace ``team_id``)."""
    return event_callback(app_home_opened_payload(user_id=user_id, tab=tab, team_id=team_id))


def workspace_event(event: dict[str, Any], *, team_id: str = TEAM_ID) -> SlackRequest:
    """An Events API callback about the whole workspace (``app_uninstalled``, ``tokens_revoked``):
    no user acts, and Slack sends no ``authorizations`` once the app is gone."""
    n = next(_sequence)
    return event_callback({
        "token": "deprecated-verification-token", "team_id": team_id, "api_app_id": API_APP_ID,
        "event": {**event, "event_ts": f"{int(time.time())}.{n:06d}"}, "type": "event_callback",
        "event_id": f"Ev{n:08d}", "event_time": int(time.time()),
    })


def event_callback(payload: object) -> SlackRequest:
    """An Events API request: ``payload`` as JSON."""
    return SlackRequest(json.dumps(payload), "application/json")


def app_home_opened_payload(*, user_id: str, tab: str = "home", team_id: str = TEAM_ID) -> dict:
    """The ``event_callback`` payload of ``app_home_opened``, as a dict."""
    n = next(_sequence)
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": {"type": "app_home_opened", "user": user_id, "channel": f"D{user_id[1:]}", "tab": tab,
                  "event_ts": f"{int(time.time())}.{n:06d}"},
        "type": "event_callback",
        "event_id": f"Ev{n:08d}",
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": "U0BOT", "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


def wsgi_environ(body: bytes, headers: dict[str, str], *, stream: BinaryIO | None = None,
                 content_length: str | None = "auto", path: str = "/slack/events") -> dict[str, Any]:
    """The WSGI environ of a POST carrying ``body`` with ``headers`` (or reading from ``stream``):
    ``Content-Length`` is the body's length unless ``content_length`` gives it (None: not sent)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.7", "wsgi.input": stream if stream is not None else io.BytesIO(body),
    }
    if content_length is not None:
        environ["CONTENT_LENGTH"] = str(len(body)) if content_length == "auto" else content_length
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    return environ
