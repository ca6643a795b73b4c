"""A loopback fake of the Slack Web API (point SLACK_API_URL at ``fake.base_url``).

It accepts calls the way slack-sdk sends them (form or JSON bodies, ``Authorization: Bearer``),
records each one, and answers with Slack's documented response shapes. ``fail_next(method, n)``
makes the next ``n`` calls of a method answer HTTP 429 with ``Retry-After: 0`` (or the
``retry_after`` given), so a retry costs no wall-clock time; ``answer_with(hook)`` lets a test
answer some calls itself (an error for one user, say) and leave the rest to the fake.

Messages posted with chat.postMessage are kept per channel, with their message ``metadata``, and
``conversations.history`` answers from them as Slack does: newest first, only messages after
``oldest`` (before ``latest``), ``limit`` per page with ``has_more`` and a
``response_metadata.next_cursor``, and ``metadata`` on a message only with ``include_all_metadata``.
``post_message(channel, ...)`` puts a message there as if it had been posted earlier.

Many workspaces: ``authorize_install(team_id)`` readies an OAuth code for "Add to Slack" in a
workspace; ``oauth.v2.access`` (client id and secret in HTTP Basic auth, as slack-sdk sends them)
exchanges it for a bot token of that workspace, answered in the documented shape (``access_token``,
``token_type``, ``scope``, ``bot_user_id``, ``app_id``, ``team``, ``enterprise``, ``authed_user``).
Every token the fake issued is accepted as well as ``token``; ``auth.test`` names the token's own
workspace, and ``revoke(token)`` makes it invalid, as an uninstall does.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from fakes.loopback import LoopbackServer


@dataclass
class SlackCall:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)


class FakeSlackAPI(LoopbackServer):
    def __init__(self, token: str = "xoxb-test-token") -> None:
        super().__init__()
        self.token = token
        self.calls: list[SlackCall] = []
        self.uploaded: list[bytes] = []  # raw file bodies sent to the upload URL (files_upload_v2)
        self._rate_limited: dict[str, tuple[int, int]] = {}  # method -> (calls left, Retry-After)
        self._hook: Callable[[str, dict[str, Any]], dict[str, Any] | None] | None = None
        self._ts = itertools.count(1)
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages, oldest first
        self.channel_names: dict[str, str] = {}  # channel id -> name, for conversations.info
        self.client_id, self.client_secret = "1111.2222", "fake-client-secret"
        self.workspace_tokens: dict[str, str] = {}  # token issued by oauth.v2.access -> its workspace
        self._codes: dict[str, tuple[str, str]] = {}  # OAuth code not yet exchanged -> (team id, installer)

    @property
    def base_url(self) -> str:
        """What SLACK_API_URL should be set to."""
        return super().base_url + "/api/"

    # test controls ---------------------------------------------------------------------------
    def fail_next(self, method: str, times: int = 1, *, retry_after: int = 0) -> None:
        """The next ``times`` calls of ``method`` answer 429 with ``Retry-After: retry_after``."""
        with self._lock:
            self._rate_limited[method] = (times, retry_after)

    def answer_with(self, hook: Callable[[str, dict[str, Any]], dict[str, Any] | None]) -> None:
        """Answer calls with ``hook(method, args)`` first; where it returns None the fake answers."""
        with self._lock:
            self._hook = hook

    def post_message(self, channel: str, *, text: str = "", metadata: dict[str, Any] | None = None,
                     at: float | None = None) -> str:
        """Store a message in ``channel`` as if it had been posted (at ``at``, default now); its ts."""
        with self._lock:
            return self._store_message(channel, text, metadata, at)

    def history(self, channel: str) -> list[dict[str, Any]]:
        """The messages stored in ``channel``, oldest first."""
        with self._lock:
            return [dict(m) for m in self.messages.get(channel, [])]

    def authorize_install(self, team_id: str, *, installer: str = "U0INSTALLER") -> str:
        """The code Slack would hand the redirect URL once ``installer`` approves the app in ``team_id``."""
        code = f"code-{team_id}-{next(self._ts)}"
        with self._lock:
            self._codes[code] = (team_id, installer)
        return code

    def revoke(self, token: str) -> None:
        """Make an issued token invalid (the workspace uninstalled the app)."""
        with self._lock:
            self.workspace_tokens.pop(token, None)

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    # protocol ------------------------------------------------------------------------------
    def _read_args(self, handler: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        content_type = handler.headers.get("Content-Type", "")
        if handler.path.split("?")[0].endswith("/upload"):
            with self._lock:
                self.uploaded.append(body)
            return {"_bytes": len(body)}
        query = {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query, keep_blank_values=True).items()}
        if "json" in content_type:
            return {**query, **json.loads(body or b"{}")}
        if "multipart/form-data" in content_type:
            return {"_multipart_bytes": len(body)}
        args = {**query, **{k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}}
        for key in ("blocks", "attachments", "metadata"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        method = path.rsplit("/", 1)[-1]
        args = self._read_args(handler)
        auth = handler.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        if auth.startswith("Basic "):
            token = None
            args["_basic"] = base64.b64decode(auth.removeprefix("Basic ")).decode()
        with self._lock:
            remaining, retry_after = self._rate_limited.get(method, (0, 0))
            if remaining:
                self._rate_limited[method] = (remaining - 1, retry_after)
            self.calls.append(SlackCall(method, args, token))
            hook = self._hook
        if remaining:
            self.send_json(handler, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
            return
        if method == "oauth.v2.access":
            self.send_json(handler, 200, self._exchange_code(args))
            return
        with self._lock:
            known = token == self.token or token in self.workspace_tokens
        if not known and method not in {"api.test"}:
            self.send_json(handler, 200, {"ok": False, "error": "invalid_auth"})
            return
        answer = hook(method, args) if hook is not None else None
        self.send_json(handler, 200, answer if answer is not None else self._answer(method, args, token))

    def _answer(self, method: str, args: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method == "auth.test":
            with self._lock:
                team_id = self.workspace_tokens.get(token or "", "T0FAKE")
            return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "strongtie",
                    "team_id": team_id, "user_id": "U0BOT", "bot_id": "B0BOT"}
        if method == "chat.postMessage":
            channel = args.get("channel", "")
            with self._lock:
                posted = self._store_message(channel, args.get("text", ""), args.get("metadata"), None)
                message = dict(self.messages[channel][-1])
            return {"ok": True, "channel": channel, "ts": posted, "message": message}
        if method == "chat.update":
            channel = args.get("channel", "")
            return {"ok": True, "channel": channel, "ts": args.get("ts") or ts,
                    "message": {"type": "message", "text": args.get("text", ""), "ts": ts, "bot_id": "B0BOT"}}
        if method == "conversations.history":
            return self._history(args)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "conversations.open":
            users = args.get("users", "U0")
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0FAKE", "type": "home", "blocks": args.get("view", {})}}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": self.base_url + "upload", "file_id": f"F{next(self._ts):08d}"}
        if method == "upload":
            return {"ok": True}
        if method == "conversations.info":  # a channel named in channel_names; any other is not found
            channel = args.get("channel", "")
            with self._lock:
                name = self.channel_names.get(channel)
            if name is None:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": {"id": channel, "name": name, "is_channel": channel.startswith("C"),
                                            "is_private": channel.startswith("G"), "is_ext_shared": True,
                                            "is_shared": True, "is_member": True}}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F0", "title": args.get("files", "")}]}
        return {"ok": True}

    def _exchange_code(self, args: dict[str, Any]) -> dict[str, Any]:
        """oauth.v2.access: a code issued by :meth:`authorize_install`, once, for the right client."""
        credentials = args.get("_basic") or f"{args.get('client_id')}:{args.get('client_secret')}"
        if credentials != f"{self.client_id}:{self.client_secret}":
            return {"ok": False, "error": "invalid_client_id"}
        with self._lock:
            found = self._codes.pop(args.get("code", ""), None)
            if found is None:
                return {"ok": False, "error": "invalid_code"}
            team_id, installer = found
            token = f"xoxb-{team_id}-{next(self._ts)}-fakebottoken"
            self.workspace_tokens[token] = team_id
        return {"ok": True, "access_token": token, "token_type": "bot",
                "scope": "commands,chat:write,im:write", "bot_user_id": "U0BOT", "app_id": "A0STRONGTIE",
                "team": {"name": f"Workspace {team_id}", "id": team_id}, "enterprise": None,
                "is_enterprise_install": False,
                "authed_user": {"id": installer, "scope": "", "token_type": "user"}}

    def _store_message(self, channel: str, text: str, metadata: dict[str, Any] | None, at: float | None) -> str:
        ts = f"{int(at if at is not None else time.time())}.{next(self._ts):06d}"
        message: dict[str, Any] = {"type": "message", "text": text, "ts": ts, "bot_id": "B0BOT", "app_id": "A0FAKE"}
        if metadata:
            message["metadata"] = {"event_type": metadata.get("event_type"),
                                   "event_payload": metadata.get("event_payload") or {}}
        kept = self.messages.setdefault(channel, [])
        kept.append(message)
        kept.sort(key=lambda m: float(m["ts"]))
        return ts

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: newest first, ``oldest < ts < latest``, paged by ``limit``/``cursor``."""
        channel = args.get("channel", "")
        oldest = float(args.get("oldest") or 0)
        latest = float(args.get("latest") or time.time() + 1)
        limit = min(int(args.get("limit") or 100), 999)
        start = int(args.get("cursor") or 0)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in {"1", "true"}
        with self._lock:
            if channel not in self.messages and not channel.startswith(("C", "D", "G")):
                return {"ok": False, "error": "channel_not_found"}
            found = [dict(m) for m in reversed(self.messages.get(channel, [])) if oldest < float(m["ts"]) < latest]
        page = found[start:start + limit]
        if not with_metadata:
            for message in page:
                message.pop("metadata", None)
        more = start + limit < len(found)
        return {"ok": True, "messages": page, "has_more": more, "pin_count": 0,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}
