"""A loopback fake of the X API v2 endpoints the connector uses (point STRONGTIE_TWITTER_API_URL
at ``fake.base_url``).

It answers with X's documented shapes: ``GET /2/users/by/username/:username`` gives
``{"data": {"id", "name", "username"}}`` (or HTTP 200 with an ``errors`` list when nobody has the
name); ``GET /2/users/:id/tweets`` gives ``{"data": [...], "meta": {"newest_id", "oldest_id",
"result_count", "next_token"}}``, honouring ``since_id`` (exclusive), ``max_results`` and
``pagination_token``. Errors: 401 problem bodies for a wrong token; ``rate_limit(n)`` answers 429
with ``x-rate-limit-reset``; ``refuse_access_level()`` answers 403 with error code 453;
``fail_timelines(n, status)`` answers timeline reads with any status; ``hang(seconds)`` never answers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from fakes.loopback import LoopbackServer

ACCESS_LEVEL_BODY = {
    "errors": [
        {
            "message": "You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints "
            "(e.g. media post, oauth) only. If you need access to this endpoint, you may need a different "
            "access level. You can learn more here: https://developer.x.com/en/portal/product",
            "code": 453,
        }
    ]
}
UNAUTHORIZED_BODY = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
TOO_MANY_BODY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}


@dataclass
class FakeUser:
    """An X account and its posts, newest first."""

    id: str
    username: str
    tweets: list[dict] = field(default_factory=list)  # newest first


@dataclass
class XRequest:
    """One request the fake received."""

    path: str
    params: dict[str, str]
    authorization: str | None


class FakeXAPI(LoopbackServer):
    """The X API v2 endpoints the connector uses, on loopback, with test controls for errors."""

    def __init__(self, token: str = "x-test-bearer-token", clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.token = token
        self.clock = clock  # the moment rate-limit resets are counted from
        self.users: dict[str, FakeUser] = {}
        self.requests: list[XRequest] = []
        self.posts_served = 0  # what X would bill
        self._next_id = 1_850_000_000_000_000_000
        self._rate_limited = 0
        self._rate_reset_in: int | None = 900
        self._forbidden = False
        self._failing_timelines = 0
        self._failure: tuple[int, dict[str, str], bool] = (503, {}, False)
        self._hang = 0.0

    # test controls ---------------------------------------------------------------------------
    def add_user(self, username: str, tweets: int = 0, *, start: datetime | None = None) -> FakeUser:
        """Create an account with ``tweets`` posts."""
        user = FakeUser(id=str(1000 + len(self.users)), username=username)
        self.users[username.lower()] = user
        self.post(username, tweets, start=start)
        return user

    def post(self, username: str, count: int = 1, *, start: datetime | None = None, text: str = "Shipping &amp; learning") -> None:
        """Publish ``count`` new posts, an hour apart, newest last."""
        user = self.users[username.lower()]
        moment = start or datetime(2026, 11, 20, tzinfo=timezone.utc)
        for n in range(count):
            self._next_id += 1
            created = (moment + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            tweet = {"id": str(self._next_id), "text": f"{text} #{self._next_id}", "created_at": created,
                     "author_id": user.id, "edit_history_tweet_ids": [str(self._next_id)]}
            user.tweets.insert(0, tweet)

    def rate_limit(self, times: int = 1, *, with_reset: bool = True, reset_in: int = 900) -> None:
        """Answer the next ``times`` requests 429, with ``x-rate-limit-reset`` ``reset_in`` seconds
        after the fake's clock (or without the header)."""
        self._rate_limited = times
        self._rate_reset_in = reset_in if with_reset else None

    def fail_timelines(
        self, times: int = 1, *, status: int = 503, headers: dict[str, str] | None = None, echo_authorization: bool = False
    ) -> None:
        """The next ``times`` timeline reads answer ``status`` with an X problem body and ``headers``
        (user lookups still work); ``echo_authorization`` quotes the request's Authorization header
        in the body, as a careless gateway might."""
        self._failing_timelines = times
        self._failure = (status, dict(headers or {}), echo_authorization)

    def hang(self, seconds: float) -> None:
        """Hold each request ``seconds``, then close the connection without an answer (0: answer)."""
        self._hang = seconds

    def refuse_access_level(self, refuse: bool = True) -> None:
        """Answer every request 403 with error code 453 (the plan cannot read timelines)."""
        self._forbidden = refuse

    def timeline_calls(self) -> list[XRequest]:
        """The timeline requests received, in order."""
        return [r for r in self.requests if r.path.endswith("/tweets")]

    # protocol ------------------------------------------------------------------------------
    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request as X would."""
        parts = urlsplit(handler.path)
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        authorization = handler.headers.get("Authorization")
        self.requests.append(XRequest(parts.path, params, authorization))
        if self._hang:
            time.sleep(self._hang)
            handler.close_connection = True
            return
        if authorization != f"Bearer {self.token}":
            self.send_json(handler, 401, UNAUTHORIZED_BODY)
            return
        if self._rate_limited:
            self._rate_limited -= 1
            reset = {"x-rate-limit-limit": "1500", "x-rate-limit-remaining": "0"}
            if self._rate_reset_in is not None:
                reset["x-rate-limit-reset"] = str(int(self.clock()) + self._rate_reset_in)
            self.send_json(handler, 429, TOO_MANY_BODY, reset)
            return
        if self._forbidden:
            self.send_json(handler, 403, ACCESS_LEVEL_BODY)
            return
        segments = parts.path.strip("/").split("/")
        if segments[:3] == ["2", "users", "by"] and len(segments) == 5 and segments[3] == "username":
            self._user_by_name(handler, segments[4])
        elif segments[:2] == ["2", "users"] and len(segments) == 4 and segments[3] == "tweets":
            if self._failing_timelines:
                self._failing_timelines -= 1
                status, headers, echo = self._failure
                phrase = HTTPStatus(status).phrase
                detail = f"{phrase} (request had Authorization: {authorization})" if echo else phrase
                self.send_json(handler, status, {"title": phrase, "detail": detail, "type": "about:blank", "status": status}, headers)
                return
            self._timeline(handler, segments[2], params)
        else:
            self.send_json(handler, 404, {"title": "Not Found Error", "status": 404, "detail": "no such route"})

    def _user_by_name(self, handler: BaseHTTPRequestHandler, username: str) -> None:
        user = self.users.get(username.lower())
        if user is None:
            self.send_json(handler, 200, {"errors": [{
                "value": username, "detail": f"Could not find user with username: [{username}].",
                "title": "Not Found Error", "resource_type": "user", "parameter": "username",
                "resource_id": username, "type": "https://api.twitter.com/2/problems/resource-not-found",
            }]})
            return
        self.send_json(handler, 200, {"data": {"id": user.id, "name": user.username.title(), "username": user.username}})

    def _timeline(self, handler: BaseHTTPRequestHandler, user_id: str, params: dict[str, str]) -> None:
        user = next((u for u in self.users.values() if u.id == user_id), None)
        if user is None:
            self.send_json(handler, 404, {"title": "Not Found Error", "status": 404, "detail": "user not found"})
            return
        size = int(params.get("max_results", 10))
        if not 5 <= size <= 100:
            self.send_json(handler, 400, {"errors": [{"parameters": {"max_results": [str(size)]},
                                                      "message": "The `max_results` query parameter value is not between 5 and 100"}],
                                          "title": "Invalid Request", "type": "https://api.twitter.com/2/problems/invalid-request"})
            return
        since = int(params.get("since_id", 0))
        newer = [t for t in user.tweets if int(t["id"]) > since]
        offset = int(params.get("pagination_token", "0") or 0)
        page = newer[offset : offset + size]
        self.posts_served += len(page)
        meta: dict = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(newer):
            meta["next_token"] = str(offset + size)
        self.send_json(handler, 200, {"data": page, "meta": meta} if page else {"meta": meta})
