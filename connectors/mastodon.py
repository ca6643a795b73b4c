"""Mastodon accounts through their own server's public API, no login.

``GET /api/v1/accounts/lookup?acct=USER`` finds the account's id once (kept in the cursor), then
``GET /api/v1/accounts/:id/statuses?since_id=…`` reads its statuses newest first, boosts and
replies included (the ``@user.rss`` feed has neither), paging back through the ``Link`` header's
``max_id``. A Status carries ``id``, ``uri``, ``url``, ``created_at``, ``content`` (HTML),
``in_reply_to_id``, ``in_reply_to_account_id``, ``reblog`` (the boosted status) and
``mentions[].acct`` (``user`` for the server's own accounts, ``user@domain`` for others).
Rate limits: ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` (an ISO 8601 time).

Each account is read on its own server; ``STRONGTIE_MASTODON_API_URL`` sends every request to one
base URL instead (a gateway, or the tests' fake).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, ClassVar, Mapping
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from connectors.base import Cursor, FatalError, Page, SourceRef
from connectors.feeds import web_link
from connectors.social import POST, REPLY, REPOST, SocialConnector, SocialRecord, json_object, json_text, parse_time
from connectors.text import TITLE_LIMIT, plain_text, truncate

_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def split_account(target: str) -> tuple[str, str]:
    """``@jane@mastodon.social`` -> (``jane``, ``mastodon.social``)."""
    user, _, host = target.lstrip("@").partition("@")
    return user, host.lower()


def canonical(acct: str, home: str) -> str:
    """An account as the roster writes it, ``@user@host``: ``acct`` as a server gives it (``user``
    for its own accounts, ``user@host`` for others), ``home`` being that server."""
    user, _, host = acct.strip().lstrip("@").partition("@")
    return f"@{user}@{host or home}".lower() if user else ""


def next_max_id(link: str | None) -> str | None:
    """The ``max_id`` of the ``Link`` header's ``rel="next"`` page, None when there is none."""
    match = _NEXT_LINK.search(link or "")
    if not match:
        return None
    values = parse_qs(urlsplit(match.group(1)).query).get("max_id")
    return values[0] if values else None


def status_record(status: Mapping[str, Any], home: str) -> SocialRecord | None:
    """One status as a :class:`SocialRecord`; ``home`` is the server that served it (the one its
    bare ``acct`` names are local to). None without an id."""
    if not status.get("id"):
        return None
    account = json_object(status.get("account"))
    actor = canonical(json_text(account.get("acct")), home)
    boosted = json_object(status.get("reblog"))
    shown = boosted or status
    text = plain_text(json_text(shown.get("content")))
    mentions = tuple(m for m in (canonical(json_text(json_object(x).get("acct")), home) for x in shown.get("mentions") or []) if m)
    common = {
        "external_id": json_text(status.get("uri")) or str(status["id"]), "title": truncate(text, TITLE_LIMIT // 3), "text": text,
        "author": actor or None, "published_at": parse_time(status.get("created_at")), "network": "mastodon",
        "actor": actor, "actor_id": str(account.get("id") or ""), "mentions": mentions,
    }
    if boosted:
        url = web_link(boosted.get("url")) or web_link(boosted.get("uri"))
        return SocialRecord(**common, url=url, action=REPOST,
                            target_author=canonical(json_text(json_object(boosted.get("account")).get("acct")), home),
                            target_author_id=str(json_object(boosted.get("account")).get("id") or ""),
                            target_id=json_text(boosted.get("uri")), target_url=url)
    url = web_link(status.get("url")) or web_link(status.get("uri"))
    parent_account = str(status.get("in_reply_to_account_id") or "")
    if not status.get("in_reply_to_id") or parent_account == common["actor_id"]:
        return SocialRecord(**common, url=url, action=POST)  # a post, or a thread its author continued
    parent = next((json_object(m) for m in status.get("mentions") or [] if str(json_object(m).get("id") or "") == parent_account), {})
    return SocialRecord(**common, url=url, action=REPLY, target_author=canonical(json_text(parent.get("acct")), home),
                        target_author_id=parent_account, target_id=str(status.get("in_reply_to_id")))


class MastodonConnector(SocialConnector):
    """A Mastodon account's statuses (posts, replies, boosts), newest first, without a login."""

    kind: ClassVar[str] = "mastodon"
    network: ClassVar[str] = "Mastodon"
    max_page_size: ClassVar[int] = 40  # the statuses endpoint's largest page
    remaining_header: ClassVar[str] = "X-RateLimit-Remaining"
    reset_header: ClassVar[str] = "X-RateLimit-Reset"
    status_messages: ClassVar[Mapping[int, str]] = {
        401: "this Mastodon server asks for a login to read its accounts (401)",
        403: "this Mastodon server refuses logged-out reads (403)",
        404: "the Mastodon server has no such account (404 Not Found): check the account in the roster",
    }

    def host(self, source: SourceRef) -> str:
        """The account's own server (or the configured API's host)."""
        if self.api_url:
            return super().host(source)
        return split_account(source.target)[1]

    def base(self, source: SourceRef) -> str:
        """Where the account's server answers: the configured URL, else ``https://`` its host."""
        return self.api_url or f"https://{split_account(source.target)[1]}"

    def prepare(self, source: SourceRef, cursor: Cursor) -> Cursor:
        """Look the account up once; its id (local to its server) is kept in the cursor."""
        if cursor.external_user_id:
            return cursor
        user, _ = split_account(source.target)
        body, _ = self.get_json(f"{self.base(source)}/api/v1/accounts/lookup?{urlencode({'acct': user})}")
        account_id = json_object(body).get("id")
        if not account_id:
            raise FatalError(f"the Mastodon server has no account {source.target}", retry_after=self.fatal_retry_seconds)
        return replace(cursor, external_user_id=str(account_id))

    def read_page(self, source: SourceRef, cursor: Cursor, page_token: str | None, page_size: int) -> Page:
        """One page of statuses newer than ``since_id``, older than the page token's ``max_id``."""
        params: dict[str, Any] = {"limit": page_size}
        if cursor.since_id:
            params["since_id"] = cursor.since_id
        if page_token:
            params["max_id"] = page_token
        account = quote(str(cursor.external_user_id), safe="")
        body, headers = self.get_json(f"{self.base(source)}/api/v1/accounts/{account}/statuses?{urlencode(params)}")
        statuses = [s for s in (body if isinstance(body, list) else []) if isinstance(s, Mapping)]
        home = split_account(source.target)[1]
        records = [r for r in (status_record(s, home) for s in statuses) if r is not None]
        token = next_max_id(headers.get("Link")) if len(statuses) == page_size else None
        self.check_budget(headers, bool(token))
        newest = max((str(s["id"]) for s in statuses if s.get("id")), key=lambda i: (len(i), i), default=None)
        return Page(records, token, newest_marker=newest)

    def advance(self, cursor: Cursor, newest_marker: str | None) -> Cursor:
        """The newest status id read becomes ``since_id`` (unchanged when nothing was new)."""
        return replace(cursor, since_id=newest_marker or cursor.since_id)
