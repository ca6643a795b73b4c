"""Bluesky profiles through the public AppView: ``app.bsky.feed.getAuthorFeed``, no login.

The author feed holds the account's posts, its replies and its reposts (the profile's RSS feed only
the posts), as ``app.bsky.feed.defs#feedViewPost`` items: ``post`` (``uri``, ``cid``, ``author``,
``record`` with ``text``, ``createdAt``, ``reply.parent.uri`` and mention ``facets``), ``reply``
(the parent post's view) and, for a repost, ``reason`` of type
``app.bsky.feed.defs#reasonRepost``. A handle is resolved once to its DID
(``com.atproto.identity.resolveHandle``), kept in the cursor, so a renamed account is still read.

The feed has no "since" filter: it is read newest first, cursor-paged, until the moment the last
read reached (each item's sort time: the repost's ``indexedAt`` or the post's), with the ids read
at that very moment kept in the cursor. Rate limits: ``ratelimit-remaining``/``ratelimit-reset``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timezone
from typing import Any, ClassVar, Mapping
from urllib.parse import quote, urlencode

from connectors.base import Cursor, FatalError, Page, SourceRef
from connectors.social import POST, REPLY, REPOST, SocialConnector, SocialRecord, json_object, json_text, parse_time
from connectors.text import TITLE_LIMIT, plain_text, truncate

REPOST_REASON = "app.bsky.feed.defs#reasonRepost"
MENTION_FEATURE = "app.bsky.richtext.facet#mention"
#: Cursor key: ids of the items at the cursor's moment, already read.
SEEN_AT_CURSOR = "bluesky_seen_at_cursor"


def did_of(uri: str) -> str:
    """The DID in an ``at://did:plc:…/app.bsky.feed.post/…`` URI ("" when there is none)."""
    parts = uri.removeprefix("at://").split("/")
    return parts[0] if uri.startswith("at://") and parts[0].startswith("did:") else ""


def post_url(uri: str, handle: str) -> str | None:
    """The bsky.app address of a post."""
    if not uri.startswith("at://") or "/app.bsky.feed.post/" not in uri:
        return None
    return f"https://bsky.app/profile/{quote(handle or did_of(uri), safe=':.')}/post/{quote(uri.rsplit('/', 1)[-1])}"


def mentioned_handles(record: Mapping[str, Any]) -> tuple[str, ...]:
    """The handles a post's mention facets cover, as written (``@dana.bsky.social``), lower-case.
    Facet indexes count UTF-8 bytes."""
    text = json_text(record.get("text")).encode("utf-8")
    found = []
    for facet in record.get("facets") or []:
        facet = json_object(facet)
        if not any(json_object(f).get("$type") == MENTION_FEATURE for f in facet.get("features") or []):
            continue
        index = json_object(facet.get("index"))
        start, end = index.get("byteStart"), index.get("byteEnd")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            found.append(text[start:end].decode("utf-8", "replace").lstrip("@").strip().lower())
    return tuple(h for h in found if h)


def sort_key(item: Mapping[str, Any]) -> str:
    """When an item entered the author's feed, as a comparable UTC string: a repost's own time,
    else the post's (``indexedAt``, else ``createdAt``); "" when unknown."""
    post = json_object(item.get("post"))
    reason = json_object(item.get("reason"))
    value = reason.get("indexedAt") if reason.get("$type") == REPOST_REASON else post.get("indexedAt")
    moment = parse_time(value) or parse_time(json_object(post.get("record")).get("createdAt"))
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else ""


def item_id(item: Mapping[str, Any]) -> str:
    """The item's identity: the post's URI, or for a repost who reposted which post."""
    post = json_object(item.get("post"))
    reason = json_object(item.get("reason"))
    if reason.get("$type") == REPOST_REASON:
        return f"repost:{json_text(json_object(reason.get('by')).get('did'))}:{json_text(post.get('uri'))}"
    return json_text(post.get("uri"))


def item_record(item: Mapping[str, Any]) -> SocialRecord | None:
    """One feed item as a :class:`SocialRecord`; None when it has no post URI."""
    post = json_object(item.get("post"))
    uri = json_text(post.get("uri"))
    if not uri:
        return None
    author = json_object(post.get("author"))
    handle, did = json_text(author.get("handle")).lower(), json_text(author.get("did"))
    record = json_object(post.get("record"))
    text = plain_text(json_text(record.get("text")))
    reason = json_object(item.get("reason"))
    common = {"external_id": item_id(item), "title": truncate(text, TITLE_LIMIT // 3), "text": text,
              "network": "bluesky", "mentions": mentioned_handles(record)}
    if reason.get("$type") == REPOST_REASON:
        by = json_object(reason.get("by"))
        by_handle = json_text(by.get("handle")).lower()
        return SocialRecord(
            **common, url=post_url(uri, handle), author=f"@{by_handle}" if by_handle else None,
            published_at=parse_time(reason.get("indexedAt")) or parse_time(record.get("createdAt")),
            action=REPOST, actor=by_handle, actor_id=json_text(by.get("did")),
            target_author=handle, target_author_id=did, target_id=uri, target_url=post_url(uri, handle),
        )
    base = {**common, "url": post_url(uri, handle), "author": f"@{handle}" if handle else None,
            "published_at": parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt")),
            "actor": handle, "actor_id": did}
    parent_uri = json_text(json_object(json_object(record.get("reply")).get("parent")).get("uri"))
    if not parent_uri:
        return SocialRecord(**base, action=POST)
    parent_author = json_object(json_object(json_object(item.get("reply")).get("parent")).get("author"))
    parent_did = json_text(parent_author.get("did")) or did_of(parent_uri)
    if parent_did and parent_did == did:  # a thread continued by its author: still their post
        return SocialRecord(**base, action=POST)
    parent_handle = json_text(parent_author.get("handle")).lower()
    return SocialRecord(**base, action=REPLY, target_author=parent_handle, target_author_id=parent_did,
                        target_id=parent_uri, target_url=post_url(parent_uri, parent_handle))


class BlueskyConnector(SocialConnector):
    """A Bluesky account's author feed (posts, replies, reposts), newest first, without a login."""

    kind: ClassVar[str] = "bluesky"
    network: ClassVar[str] = "Bluesky"
    max_page_size: ClassVar[int] = 100  # getAuthorFeed's limit: 1 to 100
    remaining_header: ClassVar[str] = "ratelimit-remaining"
    reset_header: ClassVar[str] = "ratelimit-reset"
    status_messages: ClassVar[Mapping[int, str]] = {
        400: "Bluesky refused the request (400 Bad Request): the account may not exist; check the handle in the roster",
        401: "Bluesky's API asks for a login to read this account (401)",
        403: "Bluesky's API refuses to show this account to logged-out readers (403, the !no-unauthenticated label)",
        404: "Bluesky has no such account (404 Not Found): check the handle in the roster",
    }

    def prepare(self, source: SourceRef, cursor: Cursor) -> Cursor:
        """Resolve the handle to its DID once; the DID is kept in the cursor."""
        if cursor.external_user_id:
            return cursor
        if source.target.startswith("did:"):
            return replace(cursor, external_user_id=source.target)
        body, _ = self.get_json(f"{self.api_url}/xrpc/com.atproto.identity.resolveHandle?{urlencode({'handle': source.target})}")
        did = json_text(json_object(body).get("did"))
        if not did.startswith("did:"):
            raise FatalError(f"Bluesky could not resolve the handle {source.target}", retry_after=self.fatal_retry_seconds)
        return replace(cursor, external_user_id=did)

    def read_page(self, source: SourceRef, cursor: Cursor, page_token: str | None, page_size: int) -> Page:
        """One page of the author feed, stopping at the moment the cursor reached."""
        params = {"actor": cursor.external_user_id or source.target, "limit": page_size, "filter": "posts_with_replies"}
        if page_token:
            params["cursor"] = page_token
        body, headers = self.get_json(f"{self.api_url}/xrpc/app.bsky.feed.getAuthorFeed?{urlencode(params)}")
        items = [item for item in (json_object(body).get("feed") or []) if isinstance(item, Mapping)]
        new = [item for item in items if self._is_new(item, cursor)]
        records = [record for record in map(item_record, new) if record is not None]
        next_token = json_object(body).get("cursor")
        more = bool(next_token) and len(new) == len(items) and len(items) > 0
        self.check_budget(headers, more)
        return Page(records, str(next_token) if more else None, newest_marker=self._marker(items))

    def advance(self, cursor: Cursor, newest_marker: str | None) -> Cursor:
        """since_id holds the newest sort time read, and the cursor's extra the ids read at it."""
        known_at, known_ids = cursor.since_id or "", list(cursor.extra.get(SEEN_AT_CURSOR) or [])
        marker = json.loads(newest_marker) if newest_marker else {"at": "", "ids": []}
        if marker["at"] > known_at:
            known_at, known_ids = marker["at"], marker["ids"]
        elif marker["at"] and marker["at"] == known_at:
            known_ids = sorted(set(known_ids) | set(marker["ids"]))
        return replace(cursor, since_id=known_at or None, extra={**cursor.extra, SEEN_AT_CURSOR: known_ids})

    @staticmethod
    def _is_new(item: Mapping[str, Any], cursor: Cursor) -> bool:
        key, since = sort_key(item), cursor.since_id or ""
        return key > since or (key == since and item_id(item) not in (cursor.extra.get(SEEN_AT_CURSOR) or []))

    @staticmethod
    def _marker(items: list[Mapping[str, Any]]) -> str | None:
        newest = max((sort_key(item) for item in items), default="")
        if not newest:
            return None
        return json.dumps({"at": newest, "ids": sorted(item_id(i) for i in items if sort_key(i) == newest)})
