"""What the Bluesky and Mastodon connectors share: records that say what they are (a post, a reply,
a repost), reading JSON through the bounded, SSRF-checked :class:`~connectors.http.HttpClient`, the
networks' rate-limit headers, and the fall back to the profile's RSS feed when the API refuses.

A profile's RSS feed has neither replies nor reposts, so these networks are read through their
public APIs. When an API refuses an unauthenticated read (an account labelled
``!no-unauthenticated`` on Bluesky, a server that requires a login on Mastodon: 401 or 403), the
source is read from its RSS feed instead, and the API is asked again a day later.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Mapping

from connectors.base import (
    DAY_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    Cursor,
    FatalError,
    FetchResult,
    PagedConnector,
    RateLimitedError,
    Record,
    RetriableError,
    SourceRef,
    retry_after_seconds,
)
from connectors.feeds import FeedConnector
from connectors.http import HttpClient

#: Cursor key: until when (epoch seconds) the source is read from its RSS feed, the API having refused.
RSS_UNTIL = "rss_fallback_until"
POST, REPLY, REPOST = "post", "reply", "repost"


@dataclass(frozen=True)
class SocialRecord(Record):
    """A record that says what it is: the actor's own ``post``, a ``reply`` to someone's post, or a
    ``repost`` of it. Handles are canonical (``jane.bsky.social``, ``@jane@mastodon.social``),
    lower-case, so the poll job can tell whether the other side is one of the team's members."""

    network: str = ""
    action: str = POST
    actor: str = ""  # who posted, replied or reposted
    actor_id: str = ""  # their stable id (a DID on Bluesky), "" when none
    target_author: str = ""  # whose post was replied to or reposted ("" for a post, or unknown)
    target_author_id: str = ""
    target_id: str = ""  # the replied-to or reposted post's id (an at:// URI, a status URI), if known
    target_url: str | None = None
    mentions: tuple[str, ...] = ()  # handles the text mentions


class RefusedError(FatalError):
    """The API refuses to serve this account without a login (401/403)."""


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (``2026-12-03T10:00:00.000Z``) as an aware UTC datetime; None when
    absent or unreadable (the item is kept, undated)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def reset_wait(value: str | None, now: float) -> float | None:
    """Seconds until a rate-limit reset header's moment: epoch seconds (Bluesky's
    ``ratelimit-reset``) or an ISO 8601 time (Mastodon's ``X-RateLimit-Reset``); at least one
    second, at most :data:`MAX_RETRY_AFTER_SECONDS`; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        moment = float(value)
    else:
        parsed = parse_time(value)
        if parsed is None:
            return None
        moment = parsed.timestamp()
    return min(max(1.0, moment - now), float(MAX_RETRY_AFTER_SECONDS))


class SocialConnector(PagedConnector):
    """A public social API read as JSON pages, with the profile's RSS feed as the fall back."""

    #: The rate-limit headers this network documents.
    remaining_header: ClassVar[str] = ""
    reset_header: ClassVar[str] = ""
    #: The wall clock (epoch seconds) reset moments and the RSS fall back are measured with.
    clock: ClassVar[Callable[[], float]] = staticmethod(time.time)

    def __init__(self, http: HttpClient, *, api_url: str | None, feeds: FeedConnector | None = None) -> None:
        """``http`` sends every request (bounded, URL-checked); ``api_url`` is the API's base URL
        (None: each source's own server); ``feeds`` reads the RSS fall back (None: no fall back)."""
        super().__init__(api_url=api_url)
        self.http = http
        self.feeds = feeds

    def read(self, source: SourceRef, cursor: Cursor, *, limit: int | None = None) -> FetchResult:
        """Read the API; when it refuses this account, read the source's RSS feed instead and keep
        doing so for a day before asking the API again."""
        now = self.clock()
        if self.feeds is not None and source.url and float(cursor.extra.get(RSS_UNTIL) or 0) > now:
            return self._read_rss(source, cursor, until=float(cursor.extra[RSS_UNTIL]))
        try:
            result = super().read(source, cursor, limit=limit)
        except RefusedError as refused:
            if self.feeds is None or not source.url:
                raise
            return self._read_rss(source, refused.cursor or cursor, until=now + DAY_SECONDS, why=refused.message)
        if RSS_UNTIL in result.cursor.extra:
            extra = {k: v for k, v in result.cursor.extra.items() if k != RSS_UNTIL}
            result = replace(result, cursor=replace(result.cursor, extra=extra))
        return result

    def _read_rss(self, source: SourceRef, cursor: Cursor, *, until: float, why: str = "") -> FetchResult:
        assert self.feeds is not None
        result = self.feeds.read(source, cursor)
        extra = {**result.cursor.extra, RSS_UNTIL: until}
        reason = f" ({why})" if why else ""
        warning = (f"{self.network}'s API refuses to serve this account without a login{reason}; read its RSS feed "
                   "instead, which has no replies or reposts; the API is asked again after a day")
        if result.warning:
            warning = f"{warning}; {result.warning}"
        return replace(result, cursor=replace(result.cursor, extra=extra), warning=warning)

    def get_json(self, url: str) -> tuple[Any, Mapping[str, str]]:
        """GET ``url`` and decode its JSON; a failure becomes a classified connector error: 401/403
        a :class:`RefusedError`, 429 a rate limit waiting until the network's reset moment."""
        response = self.http.get(url, {"Accept": "application/json"})
        status, headers = response.status, response.headers
        if status == 429:
            wait = retry_after_seconds(headers.get("Retry-After")) or reset_wait(headers.get(self.reset_header), self.clock())
            if wait is None:
                raise RetriableError(f"{self.network} rate limit reached (429) without a reset time")
            raise RateLimitedError(f"{self.network} rate limit reached (429); it resets in {wait:.0f} s", retry_after=wait)
        if status in (401, 403):
            raise RefusedError(self.describe_status(status), retry_after=self.fatal_retry_seconds)
        error = self.error_for_status(status, headers)
        if error is not None:
            raise error
        if status != 200:
            raise RetriableError(f"unexpected {self.network} answer HTTP {status}")
        try:
            return json.loads(response.body), headers
        except ValueError:
            raise RetriableError(f"{self.network} answered with something that is not JSON") from None

    def check_budget(self, headers: Mapping[str, str], more: bool) -> None:
        """Honour the rate-limit headers: with no request left and more pages to read, stop now and
        come back when the limit resets (the pages read so far are read again then)."""
        if more and (headers.get(self.remaining_header) or "").strip() == "0":
            wait = reset_wait(headers.get(self.reset_header), self.clock()) or 60.0
            raise RateLimitedError(f"{self.network} rate limit used up; it resets in {wait:.0f} s", retry_after=wait)


def json_object(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one: a field of an unexpected shape in an API
    answer costs that field, never the read."""
    return value if isinstance(value, Mapping) else {}


def json_text(value: Any) -> str:
    """``value`` if it is a string, else ``""``."""
    return value if isinstance(value, str) else ""
