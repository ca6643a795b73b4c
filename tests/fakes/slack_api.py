"""A loopback fake of the Slack Web API (point SLACK_API_URL at ``fake.base_url``).

It accepts calls the way slack-sdk sends them (form or JSON bodies, ``Authorization: Bearer``),
records each one, and answers with Slack's documented response shapes. ``fail_next(method, n)``
makes the next ``n`` calls of a method answer HTTP 429 with ``Retry-After: 0`` (or the
``retry_after`` given), so a retry costs no wall-clock time; ``answer_with(hook)`` lets a test
answer some calls itself (an error for one user, say) and leave the rest to the fake.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import parse_qs

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
        if "json" in content_type:
            return json.loads(body or b"{}")
        if "multipart/form-data" in content_type:
            return {"_multipart_bytes": len(body)}
        args = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        for key in ("blocks", "attachments"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        method = path.rsplit("/", 1)[-1]
        args = self._read_args(handler)
        auth = handler.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        with self._lock:
            remaining, retry_after = self._rate_limited.get(method, (0, 0))
            if remaining:
                self._rate_limited[method] = (remaining - 1, retry_after)
            self.calls.append(SlackCall(method, args, token))
            hook = self._hook
        if remaining:
            self.send_json(handler, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
            return
        if token != self.token and method not in {"api.test"}:
            self.send_json(handler, 200, {"ok": False, "error": "invalid_auth"})
            return
        answer = hook(method, args) if hook is not None else None
        self.send_json(handler, 200, answer if answer is not None else self._answer(method, args))

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "strongtie",
                    "team_id": "T0FAKE", "user_id": "U0BOT", "bot_id": "B0BOT"}
        if method in {"chat.postMessage", "chat.update"}:
            channel = args.get("channel", "")
            return {"ok": True, "channel": channel, "ts": args.get("ts") or ts,
                    "message": {"type": "message", "text": args.get("text", ""), "ts": ts, "bot_id": "B0BOT"}}
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
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F0", "title": args.get("files", "")}]}
        return {"ok": True}
