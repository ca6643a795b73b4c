"""A loopback fake of one Mastodon server's public API (point STRONGTIE_MASTODON_API_URL at
``fake.base_url``); it plays the server ``home`` (``mastodon.example`` by default).

``GET /api/v1/accounts/lookup?acct=`` answers an Account (404 ``{"error": "Record not found"}``).
``GET /api/v1/accounts/:id/statuses?limit&since_id&max_id`` answers Status entities newest first
(``id``, ``uri``, ``url``, ``created_at``, ``content`` as HTML, ``in_reply_to_id``,
``in_reply_to_account_id``, ``reblog``, ``mentions`` with ``acct`` bare for local accounts) and a
``Link`` header with ``rel="next"`` (``max_id``) and ``rel="prev"`` (``min_id``), plus
``X-RateLimit-*`` headers (the reset as an ISO 8601 time). Controls: ``require_login()`` (401),
``forbid()`` (403), ``rate_limit(n, reset_in)`` (429), ``fail(n, status)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import escape
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

from fakes.loopback import LoopbackServer

CLOCK = datetime.fromtimestamp(1_800_000_000, tz=timezone.utc)  # the fake's "now", for X-RateLimit-Reset


@dataclass
class Request:
    path: str
    params: dict[str, str]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeMastodonAPI(LoopbackServer):
    """One Mastodon server's account lookup and statuses, with test controls for errors."""

    def __init__(self, home: str = "mastodon.example") -> None:
        super().__init__()
        self.home = home
        self.accounts: dict[str, dict] = {}  # acct as this server writes it -> Account
        self.statuses: dict[str, list[dict]] = {}  # account id -> statuses, newest first
        self.by_uri: dict[str, dict] = {}
        self.requests: list[Request] = []
        self.remaining = 299
        self._failures: list[tuple[int, dict, dict[str, str]]] = []
        self._ids = itertools.count(110_000_000_000_000_001)

    def account(self, address: str) -> dict:
        """The Account of ``@user@host`` (created on first use); local ones get a bare ``acct``."""
        user, _, host = address.lstrip("@").partition("@")
        acct = user if host in ("", self.home) else f"{user}@{host}"
        if acct not in self.accounts:
            account_id = str(len(self.accounts) + 1000)
            self.accounts[acct] = {"id": account_id, "username": user, "acct": acct, "display_name": user.title(),
                                   "url": f"https://{host or self.home}/@{user}", "bot": False}
            self.statuses[account_id] = []
        return self.accounts[acct]

    def _status(self, account: dict, content: str, at: datetime, **extra) -> dict:
        status_id = str(next(self._ids))
        host = account["url"].split("/")[2]
        status = {"id": status_id, "uri": f"https://{host}/users/{account['username']}/statuses/{status_id}",
                  "url": f"https://{host}/@{account['username']}/{status_id}", "created_at": _iso(at),
                  "account": account, "content": content, "visibility": "public", "in_reply_to_id": None,
                  "in_reply_to_account_id": None, "reblog": None, "mentions": [], "spoiler_text": "", **extra}
        self.statuses[account["id"]].insert(0, status)
        self.by_uri[status["uri"]] = status
        return status

    def post(self, address: str, text: str, at: datetime, *, reply_to: str | None = None, mention: str | None = None) -> str:
        """``address`` posts ``text`` (a reply to the status ``reply_to``, by URI, which mentions its
        author; or mentioning ``mention``); returns the status's URI."""
        account = self.account(address)
        extra: dict = {}
        mentioned = []
        if reply_to:
            parent = self.by_uri[reply_to]
            extra = {"in_reply_to_id": parent["id"], "in_reply_to_account_id": parent["account"]["id"]}
            mentioned.append(parent["account"])
        if mention:
            mentioned.append(self.account(mention))
        extra["mentions"] = [{"id": m["id"], "username": m["username"], "acct": m["acct"], "url": m["url"]} for m in mentioned]
        links = " ".join(f'<span class="h-card"><a href="{m["url"]}" class="u-url mention">@<span>{m["username"]}</span></a></span>'
                         for m in mentioned)
        content = f"<p>{links + ' ' if links else ''}{escape(text)}</p>"
        return self._status(account, content, at, **extra)["uri"]

    def boost(self, address: str, uri: str, at: datetime) -> None:
        """``address`` boosts the status ``uri``."""
        original = self.by_uri[uri]
        self._status(self.account(address), "", at, reblog=original)

    def require_login(self) -> None:
        """The server is in limited federation mode: the public API needs a login (401)."""
        self.fail(10_000, 401)

    def forbid(self) -> None:
        self.fail(10_000, 403)

    def fail(self, count: int = 1, status: int = 500, headers: dict[str, str] | None = None) -> None:
        """The next ``count`` requests answer ``status``."""
        body = {401: {"error": "This API requires an authenticated user"}}.get(status, {"error": "failure"})
        self._failures += [(status, body, headers or {})] * count

    def rate_limit(self, count: int = 1, reset_in: int | None = 300) -> None:
        headers = {"X-RateLimit-Remaining": "0"}
        if reset_in is not None:
            headers["X-RateLimit-Reset"] = _iso(CLOCK + timedelta(seconds=reset_in))
        self._failures += [(429, {"error": "Too many requests"}, headers)] * count

    def status_reads(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/statuses")]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.requests.append(Request(parts.path, params))
        limits = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": str(self.remaining),
                  "X-RateLimit-Reset": _iso(CLOCK + timedelta(minutes=5))}
        if self._failures:
            status, body, headers = self._failures.pop(0)
            return self.send_json(handler, status, body, {**limits, **headers})
        if parts.path == "/api/v1/accounts/lookup":
            account = self.accounts.get(params.get("acct", ""))
            if account is None:
                return self.send_json(handler, 404, {"error": "Record not found"}, limits)
            return self.send_json(handler, 200, account, limits)
        pieces = parts.path.split("/")
        if len(pieces) != 6 or pieces[1:4] != ["api", "v1", "accounts"] or pieces[5] != "statuses" or pieces[4] not in self.statuses:
            return self.send_json(handler, 404, {"error": "Record not found"}, limits)
        limit = min(int(params.get("limit") or 20), 40)
        since, before = int(params.get("since_id") or 0), int(params.get("max_id") or 10 ** 30)
        chosen = [s for s in self.statuses[pieces[4]] if since < int(s["id"]) < before][:limit]
        headers = dict(limits)
        if chosen:
            base = f"{self.base_url}{parts.path}"
            headers["Link"] = (f'<{base}?{urlencode({"limit": limit, "max_id": chosen[-1]["id"]})}>; rel="next", '
                               f'<{base}?{urlencode({"limit": limit, "min_id": chosen[0]["id"]})}>; rel="prev"')
        self.send_json(handler, 200, chosen, headers)
