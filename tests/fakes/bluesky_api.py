"""A loopback fake of Bluesky's public AppView (point STRONGTIE_BLUESKY_API_URL at ``fake.base_url``).

``GET /xrpc/com.atproto.identity.resolveHandle?handle=`` answers ``{"did"}`` (400 InvalidRequest
for an unknown handle). ``GET /xrpc/app.bsky.feed.getAuthorFeed?actor&limit&cursor&filter``
answers ``{"feed": [feedViewPost...], "cursor"}`` newest first, in the lexicon's shapes: ``post``
(``uri``, ``cid``, ``author``, ``record`` with ``$type``, ``text``, ``createdAt``, ``reply``,
mention ``facets``; ``indexedAt``), ``reply`` (the parent's view) and, for a repost, ``reason``
``app.bsky.feed.defs#reasonRepost`` with ``by`` and ``indexedAt``. Every answer carries the
``ratelimit-*`` headers. Controls: ``refuse(handle)`` (the ``!no-unauthenticated`` label: 403
``AuthRequired``), ``rate_limit(n, reset_in)`` (429), ``fail(n, status)``, ``remaining``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from fakes.loopback import LoopbackServer

CLOCK = 1_800_000_000  # the fake's "now" (epoch seconds), for its ratelimit-reset moments


@dataclass
class Request:
    path: str
    params: dict[str, str]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeBlueskyAPI(LoopbackServer):
    """The AppView's author feed and handle resolution, with test controls for errors."""

    def __init__(self) -> None:
        super().__init__()
        self.dids: dict[str, str] = {}  # handle -> DID
        self.feeds: dict[str, list[dict]] = {}  # DID -> feed items, newest first
        self.posts: dict[str, dict] = {}  # uri -> post view
        self.requests: list[Request] = []
        self.refused: set[str] = set()
        self.remaining = 2999
        self._failures: list[tuple[int, dict[str, str]]] = []
        self._ids = itertools.count(1)

    # the world ---------------------------------------------------------------------------------

    def account(self, handle: str) -> str:
        """The DID of ``handle``, created on first use."""
        if handle not in self.dids:
            self.dids[handle] = f"did:plc:{handle.split('.')[0]}{len(self.dids):04d}"
            self.feeds[self.dids[handle]] = []
        return self.dids[handle]

    def _author(self, handle: str) -> dict:
        return {"did": self.account(handle), "handle": handle, "displayName": handle.split(".")[0].title(), "labels": []}

    def _insert(self, did: str, item: dict) -> None:
        """Add ``item`` to the author feed of ``did``, kept newest first (by repost or post time)."""
        feed = self.feeds[did]
        feed.append(item)
        feed.sort(key=lambda i: (i.get("reason") or {}).get("indexedAt") or i["post"]["indexedAt"], reverse=True)

    def post(self, handle: str, text: str, at: datetime, *, reply_to: str | None = None, mention: str | None = None) -> str:
        """``handle`` posts ``text`` at ``at`` (a reply to the post ``reply_to``; mentioning
        ``@mention`` at the end of the text); returns the post's at:// URI."""
        did = self.account(handle)
        if mention:
            text = f"{text} @{mention}"
        uri = f"at://{did}/app.bsky.feed.post/3k{next(self._ids):011d}"
        record: dict = {"$type": "app.bsky.feed.post", "text": text, "createdAt": _iso(at), "langs": ["en"]}
        if mention:
            start = len(text.encode()) - len(f"@{mention}".encode())
            record["facets"] = [{"index": {"byteStart": start, "byteEnd": len(text.encode())},
                                 "features": [{"$type": "app.bsky.richtext.facet#mention", "did": self.account(mention)}]}]
        item: dict = {}
        if reply_to:
            parent = self.posts[reply_to]
            record["reply"] = {"root": {"uri": reply_to, "cid": parent["cid"]}, "parent": {"uri": reply_to, "cid": parent["cid"]}}
            item["reply"] = {"root": {"$type": "app.bsky.feed.defs#postView", **parent},
                             "parent": {"$type": "app.bsky.feed.defs#postView", **parent}}
        view = {"uri": uri, "cid": f"bafyrei{next(self._ids):020d}", "author": self._author(handle), "record": record,
                "replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0, "indexedAt": _iso(at), "labels": []}
        self.posts[uri] = view
        self._insert(did, {"post": view, **item})
        return uri

    def repost(self, handle: str, uri: str, at: datetime) -> None:
        """``handle`` reposts the post ``uri`` at ``at``."""
        reason = {"$type": "app.bsky.feed.defs#reasonRepost", "by": self._author(handle), "indexedAt": _iso(at)}
        self._insert(self.account(handle), {"post": self.posts[uri], "reason": reason})

    # controls ----------------------------------------------------------------------------------

    def refuse(self, handle: str) -> None:
        """``handle`` carries the ``!no-unauthenticated`` label: logged-out reads are refused."""
        self.refused.add(self.account(handle))

    def fail(self, count: int = 1, status: int = 500, headers: dict[str, str] | None = None) -> None:
        """The next ``count`` author-feed reads answer ``status``."""
        self._failures += [(status, headers or {})] * count

    def rate_limit(self, count: int = 1, reset_in: int | None = 300) -> None:
        """The next ``count`` author-feed reads answer 429 (with ``ratelimit-reset`` ``reset_in``
        seconds after the fake's clock; None: without it)."""
        headers = {"ratelimit-remaining": "0"}
        if reset_in is not None:
            headers["ratelimit-reset"] = str(CLOCK + reset_in)
        self.fail(count, 429, headers)

    def feed_reads(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("getAuthorFeed")]

    # serving -----------------------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.requests.append(Request(parts.path, params))
        limits = {"ratelimit-limit": "3000", "ratelimit-remaining": str(self.remaining),
                  "ratelimit-reset": str(CLOCK + 300), "ratelimit-policy": "3000;w=300"}
        if parts.path == "/xrpc/com.atproto.identity.resolveHandle":
            did = self.dids.get(params.get("handle", ""))
            if did is None:
                return self.send_json(handler, 400, {"error": "InvalidRequest", "message": "Unable to resolve handle"}, limits)
            return self.send_json(handler, 200, {"did": did}, limits)
        if parts.path != "/xrpc/app.bsky.feed.getAuthorFeed":
            return self.send_json(handler, 404, {"error": "XRPCNotSupported", "message": "XRPCNotSupported"})
        if self._failures:
            status, headers = self._failures.pop(0)
            return self.send_json(handler, status, {"error": "RateLimitExceeded" if status == 429 else "InternalServerError",
                                                    "message": "failure"}, {**limits, **headers})
        actor = params.get("actor", "")
        did = self.dids.get(actor, actor)
        if did not in self.feeds:
            return self.send_json(handler, 400, {"error": "InvalidRequest", "message": "Profile not found"}, limits)
        if did in self.refused:
            return self.send_json(handler, 403, {"error": "AuthRequired", "message": "This user requires logged-in viewers"},
                                  limits)
        start, limit = int(params.get("cursor") or 0), int(params.get("limit") or 50)
        feed = self.feeds[did]
        page = feed[start:start + limit]
        body: dict = {"feed": page}
        if start + limit < len(feed):
            body["cursor"] = str(start + limit)
        self.send_json(handler, 200, body, limits)
