"""RSS and Atom (also Bluesky, Mastodon, YouTube and Substack, which publish public feeds).

The bytes are fetched by :class:`~connectors.http.HttpClient` with a conditional GET, then parsed
from memory: a 304 costs no parsing, and no parser ever opens a URL itself. A plain, well-formed
RSS 2.0 or Atom 1.0 feed is read by :mod:`connectors.feed_fastpath` (the same values, several
times faster); anything else by feedparser.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import replace
from datetime import datetime, timezone
from io import BytesIO
from typing import Any, ClassVar, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from connectors.base import (
    Connector,
    Cursor,
    FatalError,
    FetchResult,
    Record,
    SourceRef,
)
from connectors.feed_fastpath import fast_parse
from connectors.http import HttpClient
from connectors.text import TITLE_LIMIT, plain_text

_TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")


def normalise_link(link: str) -> str:
    """A link's stable form: lower-case scheme and host, no default port, no fragment, no tracking
    parameters, so the same post linked two ways is recognised as one."""
    parts = urlsplit(link.strip())
    host = (parts.hostname or "").lower()
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith(_TRACKING_PARAMS)]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))


def web_link(link: Any) -> str | None:
    """``link`` if it is an http(s) URL; anything else (``javascript:``, ``data:``) is dropped."""
    if isinstance(link, str) and urlsplit(link.strip()).scheme.lower() in {"http", "https"}:
        return link.strip()
    return None


def entry_published(entry: Mapping[str, Any]) -> datetime | None:
    """When the entry was published (else updated), as an aware UTC datetime; None when no date
    is given or none can be represented (``9999-12-31T23:59-01:00`` is in the year 10000): an
    unusable date leaves that entry undated, it does not fail the feed."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
            except (ValueError, OverflowError, OSError, TypeError):
                continue
    return None


def entry_body(entry: Mapping[str, Any]) -> str:
    """The entry's richest text: its full content, else its summary."""
    contents = entry.get("content") or []
    for content in contents:
        if content.get("value"):
            return content["value"]
    return entry.get("summary") or ""


def entry_identity(entry: Mapping[str, Any], title: str, body: str) -> str:
    """guid, else the normalised link, else a hash of title and content. Given whole: the store
    turns one longer than its column into a hash of it (a cut would merge entries sharing a prefix)."""
    guid = entry.get("id")
    if isinstance(guid, str) and guid.strip():
        return guid.strip()
    link = web_link(entry.get("link"))
    if link:
        return normalise_link(link)
    return "sha256:" + hashlib.sha256(f"{title}\n{body}".encode("utf-8")).hexdigest()


def entry_record(entry: Mapping[str, Any], feed_author: str | None) -> Record | None:
    """One feed entry as a :class:`Record`, or None when it carries nothing to show."""
    body = entry_body(entry)
    title = plain_text(entry.get("title"), limit=TITLE_LIMIT)
    text = plain_text(body)
    if not title and not text:
        return None
    return Record(
        external_id=entry_identity(entry, title, text),
        url=web_link(entry.get("link")),
        title=title,
        text=text,
        published_at=entry_published(entry),
        author=plain_text(entry.get("author"), limit=300) or feed_author,
    )


def _entry_or_none(entry: Mapping[str, Any], feed_author: str | None) -> Record | None:
    """:func:`entry_record`, with an entry too odd to read (a field of an unexpected type) dropped
    alone rather than failing the whole feed, and so every later read of it."""
    try:
        return entry_record(entry, feed_author)
    except (ValueError, TypeError, AttributeError, OverflowError):
        return None


class FeedConnector(Connector):
    """Reads any public RSS/Atom feed with a conditional GET."""

    kind: ClassVar[str] = "rss"
    network: ClassVar[str] = "RSS/Atom"
    status_messages: ClassVar[Mapping[int, str]] = {
        401: "the feed asks for a login (401 Unauthorized); only public feeds can be followed",
        403: "the feed's server refuses us (403 Forbidden); it may block bots or need a login",
        404: "no feed at this address (404 Not Found); check the URL in the roster",
    }

    def __init__(self, http: HttpClient) -> None:
        """Feeds need no token and have no API host: each is read at its own URL through ``http``."""
        super().__init__()
        self.http = http

    def read(self, source: SourceRef, cursor: Cursor, *, limit: int | None = None) -> FetchResult:
        """Conditional GET of the feed; a 304 returns no records and costs no parsing."""
        url = cursor.url or source.url
        if not url:
            raise FatalError(f"source {source.kind}:{source.target} has no feed URL")
        headers = {}
        if cursor.etag:
            headers["If-None-Match"] = cursor.etag
        if cursor.last_modified:
            headers["If-Modified-Since"] = cursor.last_modified
        response = self.http.get(url, headers)
        error = self.error_for_status(response.status, response.headers)
        if error is not None:
            raise error
        moved = replace(cursor, url=response.permanent_url)
        if response.status == 304:
            return FetchResult(records=[], cursor=moved, not_modified=True)
        if response.status != 200:
            raise FatalError(f"unexpected HTTP {response.status} from {url}")
        parsed = self.parse(response.body, response.headers, response.url)
        records, warning = self.records_of(parsed, url)
        next_cursor = replace(
            moved,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
        return FetchResult(records=records, cursor=next_cursor, warning=warning)

    @staticmethod
    def parse(body: bytes, headers: Mapping[str, str], url: str) -> feedparser.FeedParserDict:
        """Parse feed bytes from memory with the response headers (encoding, base URL): by the
        fast path when it is sure to read them as feedparser does, else by feedparser."""
        parsed = fast_parse(body, headers, url)
        return parsed if parsed is not None else FeedConnector.parse_with_feedparser(body, headers, url)

    @staticmethod
    def parse_with_feedparser(body: bytes, headers: Mapping[str, str], url: str) -> feedparser.FeedParserDict:
        """Parse feed bytes with feedparser from memory, with the response headers (encoding, base URL)."""
        response_headers = {key.lower(): value for key, value in headers.items()}
        response_headers["content-location"] = url  # resolves the feed's relative links
        # Every field is reduced to plain text by connectors.text, which drops markup and script
        # content itself: feedparser's HTML sanitizer and URI rewriting would be work thrown away.
        return feedparser.parse(BytesIO(body), response_headers=response_headers, sanitize_html=False, resolve_relative_uris=False)

    @staticmethod
    def records_of(parsed: feedparser.FeedParserDict, url: str) -> tuple[list[Record], str | None]:
        """The usable entries and a warning when the feed was ill-formed but partly readable.

        A feed with entries of which none is usable (no title, no text) is an error, as is a
        document that is no feed at all; a well-formed feed without entries is just quiet.
        """
        feed_author = plain_text(parsed.feed.get("author"), limit=300) or None
        records = [r for r in (_entry_or_none(e, feed_author) for e in parsed.entries) if r is not None]
        problem = str(parsed.get("bozo_exception", "")) if parsed.bozo else ""
        if not records and (problem or not parsed.version):
            reason = problem or "no RSS or Atom content"
            raise FatalError(f"{url} is not a readable feed ({reason}); nothing could be recovered")
        if not records and parsed.entries:
            count = len(parsed.entries)
            raise FatalError(f"{url} has no usable entries: its {count} entr{'y' if count == 1 else 'ies'} carry neither a title nor any text")
        if problem:
            return records, f"ill-formed feed, kept the {len(records)} entries recovered: {problem}"
        return records, None
