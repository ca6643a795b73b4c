"""A loopback fake of LinkedIn's Posts API (point STRONGTIE_LINKEDIN_API_URL at ``fake.base_url``).

``GET /rest/posts?q=author&author=<urn>&sortBy&start&count`` answers LinkedIn's documented
collection shape ``{"elements": [...], "paging": {"start", "count", "total", "links"}}`` with posts
newest first, by ``lastModifiedAt`` (the default) or, with ``sortBy=CREATED``, ``createdAt``. It checks the Bearer token and the ``LinkedIn-Version`` / ``X-Restli-Protocol-Version``
headers. Errors use LinkedIn's body shape ``{"status", "serviceErrorCode", "code", "message"}``:
401 for a bad token, 403 ACCESS_DENIED (``deny_access()``), 429 (``rate_limit()``), any status
(``fail()``); ``hang(seconds)`` never answers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from fakes.loopback import LoopbackServer

ACCESS_DENIED_BODY = {
    "status": 403,
    "serviceErrorCode": 100,
    "code": "ACCESS_DENIED",
    "message": "Not enough permissions to access: partnerApiPostsExternal.FINDER-author.20261001",
}
INVALID_TOKEN_BODY = {"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"}
THROTTLED_BODY = {"status": 429, "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."}


@dataclass
class LinkedInRequest:
    """One request the fake received."""

    path: str
    query: str
    headers: dict[str, str]


class FakeLinkedInAPI(LoopbackServer):
    """LinkedIn's Posts API author finder, on loopback, with test controls for errors."""

    def __init__(self, token: str = "li-test-access-token") -> None:
        super().__init__()
        self.token = token
        self.posts: dict[str, list[dict]] = {}  # author URN -> posts, newest first
        self.requests: list[LinkedInRequest] = []
        self._denied = False
        self._throttled = 0
        self._throttle_headers: dict[str, str] = {}
        self._failing = 0
        self._failure: tuple[int, dict[str, str], bool] = (500, {}, False)
        self._hang = 0.0
        self._share = 7_000_000_000_000_000_000

    def publish(self, author: str, count: int = 1, *, start: datetime | None = None, at: datetime | None = None) -> None:
        """Publish ``count`` posts an hour apart after the author's last (or all exactly ``at``)."""
        moment = start or datetime(2026, 11, 20, tzinfo=timezone.utc)
        posts = self.posts.setdefault(author, [])
        already = len(posts)
        for n in range(count):
            self._share += 1
            when = at or moment + timedelta(hours=already + n)
            published = int(when.timestamp() * 1000)
            posts.insert(0, {
                "id": f"urn:li:share:{self._share}",
                "author": author,
                "commentary": "Proud of our team \\(again\\)! Thanks @[Acme Corp](urn:li:organization:2414183) {hashtag|\\#|growth}",
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "publishedAt": published,
                "createdAt": published,
                "lastModifiedAt": published,
                "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
                "isReshareDisabledByAuthor": False,
            })

    def edit(self, author: str, index: int, at: datetime) -> None:
        """Edit the author's post ``index`` (0: newest) at ``at``: only lastModifiedAt moves."""
        self.posts[author][index]["lastModifiedAt"] = int(at.timestamp() * 1000)

    def deny_access(self, deny: bool = True) -> None:
        """Answer 403 ACCESS_DENIED (the missing Community Management access)."""
        self._denied = deny

    def rate_limit(self, times: int = 1, *, retry_after: int | None = None) -> None:
        """Answer the next ``times`` requests 429, with a ``Retry-After`` of ``retry_after`` seconds
        when given."""
        self._throttled = times
        self._throttle_headers = {} if retry_after is None else {"Retry-After": str(retry_after)}

    def fail(self, times: int = 1, *, status: int = 500, headers: dict[str, str] | None = None, echo_authorization: bool = False) -> None:
        """Answer the next ``times`` authenticated requests ``status`` with LinkedIn's error body and
        ``headers``; ``echo_authorization`` quotes the request's Authorization header in the body."""
        self._failing = times
        self._failure = (status, dict(headers or {}), echo_authorization)

    def hang(self, seconds: float) -> None:
        """Hold each request ``seconds``, then close the connection without an answer (0: answer)."""
        self._hang = seconds

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request as LinkedIn would."""
        parts = urlsplit(handler.path)
        self.requests.append(LinkedInRequest(parts.path, parts.query, dict(handler.headers)))
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if self._hang:
            time.sleep(self._hang)
            handler.close_connection = True
            return
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            self.send_json(handler, 401, INVALID_TOKEN_BODY)
            return
        if not handler.headers.get("LinkedIn-Version") or handler.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            self.send_json(handler, 426, {"status": 426, "code": "NONEXISTENT_VERSION", "message": "Requested version is not active"})
            return
        if self._throttled:
            self._throttled -= 1
            self.send_json(handler, 429, THROTTLED_BODY, self._throttle_headers)
            return
        if self._failing:
            self._failing -= 1
            status, headers, echo = self._failure
            message = HTTPStatus(status).phrase
            if echo:
                message += f" (request had Authorization: {handler.headers.get('Authorization')})"
            self.send_json(handler, status, {"status": status, "code": HTTPStatus(status).name, "message": message}, headers)
            return
        if self._denied:
            self.send_json(handler, 403, ACCESS_DENIED_BODY)
            return
        if parts.path != "/rest/posts" or params.get("q") != "author":
            self.send_json(handler, 404, {"status": 404, "code": "NOT_FOUND", "message": "No resource found"})
            return
        # The finder sorts by LAST_MODIFIED unless asked for CREATED, newest first either way.
        key = "createdAt" if params.get("sortBy") == "CREATED" else "lastModifiedAt"
        posts = sorted(self.posts.get(params.get("author", ""), []), key=lambda post: post[key], reverse=True)
        start, count = int(params.get("start", 0)), int(params.get("count", 10))
        page = posts[start : start + count]
        self.send_json(handler, 200, {"elements": page, "paging": {"start": start, "count": count, "total": len(posts), "links": []}})
