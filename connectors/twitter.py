"""X (Twitter) timelines through ``tweepy.Client`` (API v2), read incrementally with ``since_id``.

tweepy hard-codes ``https://api.twitter.com`` and sends requests without a timeout. Both are fixed
at the one extension point requests offers for this, a transport adapter mounted on the client's
session: it re-targets requests at ``STRONGTIE_TWITTER_API_URL`` (a gateway, or the tests' fake)
and gives every request a timeout and one total deadline (see :mod:`connectors.deadline`).
tweepy's own code is not patched.

Rate limits are handled here, not by tweepy's ``wait_on_rate_limit`` (which retries at once and
without limit when a 429 lacks its reset header): a 429 becomes a :class:`RateLimitedError` whose
``retry_after`` is the ``x-rate-limit-reset`` moment, and the poll pass goes on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Mapping

import requests
import tweepy

from connectors.base import (
    DAY_SECONDS,
    Cursor,
    FatalError,
    Page,
    PagedConnector,
    RateLimitedError,
    Record,
    RetriableError,
    SourceRef,
    redact,
)
from connectors.deadline import DeadlineAdapter
from connectors.metering import Metering
from connectors.text import TITLE_LIMIT, plain_text, truncate

TWEEPY_HOST = "https://api.twitter.com"
ACCESS_LEVEL_CODES = frozenset({453})  # "you currently have access to a subset of endpoints"


class _RetargetAdapter(DeadlineAdapter):
    """Sends requests addressed to tweepy's fixed host to ``base_url`` instead, each with a timeout
    and a total deadline."""

    def __init__(self, base_url: str, timeout: tuple[float, float], pool_size: int, total_timeout: float) -> None:
        super().__init__(total_timeout=total_timeout, timeout=timeout, pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send ``request`` to ``base_url`` when tweepy addressed it to its own host."""
        if request.url and request.url.startswith(TWEEPY_HOST):
            request.url = self.base_url + request.url[len(TWEEPY_HOST) :]
        return super().send(request, **kwargs)


class _RedactSecret(logging.Filter):
    """tweepy logs request headers (the bearer token) at DEBUG; mask the token in those lines."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record, with the secret masked wherever its message shows it."""
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = redact(message, [self.secret]), ()
        return True


def _parse_time(value: Any) -> datetime | None:
    """An X timestamp (``2026-11-20T11:00:00.000Z``) as an aware datetime; None when absent or
    unreadable (the post is kept, undated, rather than failing the whole read)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None


class XConnector(PagedConnector):
    """A user's posts on X, newest first; each post read is billed, so reads honour ``limit``."""

    kind: ClassVar[str] = "twitter"
    network: ClassVar[str] = "X"
    token_setting: ClassVar[str] = "X_BEARER_TOKEN"
    metered_provider: ClassVar[str] = "x"
    budget_setting: ClassVar[str] = "STRONGTIE_X_MONTHLY_BUDGET_USD"
    max_page_size: ClassVar[int] = 100
    min_page_size: ClassVar[int] = 5  # get_users_tweets accepts max_results from 5 to 100
    status_messages: ClassVar[Mapping[int, str]] = {
        401: "X rejected the bearer token (401 Unauthorized): check X_BEARER_TOKEN",
        403: "X refused the read (403 Forbidden)",
        404: "X has no such user (404 Not Found): check the handle in the roster",
    }

    #: The wall clock (epoch seconds) X's ``x-rate-limit-reset`` moments are compared with.
    clock: ClassVar[Callable[[], float]] = staticmethod(time.time)

    def __init__(
        self,
        *,
        bearer_token: str,
        api_url: str,
        pool_size: int = 16,
        timeout: tuple[float, float] = (5.0, 20.0),
        total_timeout: float = 30.0,
        metering: Metering | None = None,
    ) -> None:
        """A tweepy client whose requests go to ``api_url`` with ``timeout`` (connect, read) and
        ``total_timeout`` seconds for the whole request; ``metering`` prices the posts read (X
        bills each one)."""
        super().__init__(token=bearer_token, api_url=api_url, metering=metering)
        self.client = tweepy.Client(bearer_token=bearer_token or None, return_type=dict, wait_on_rate_limit=False)
        self.client.session.mount(TWEEPY_HOST, _RetargetAdapter(api_url, timeout, pool_size, total_timeout))
        tweepy_log = logging.getLogger("tweepy.client")
        if bearer_token and not any(isinstance(f, _RedactSecret) and f.secret == bearer_token for f in tweepy_log.filters):
            tweepy_log.addFilter(_RedactSecret(bearer_token))

    def prepare(self, source: SourceRef, cursor: Cursor) -> Cursor:
        """Resolve the username to X's numeric id once; the id is kept in the cursor."""
        if cursor.external_user_id:
            return cursor
        response = self._call(self.client.get_user, username=source.target)
        user = response.get("data")
        if not user:
            detail = "; ".join(e.get("detail", "") for e in response.get("errors", []) if isinstance(e, dict))
            raise FatalError(f"X has no user @{source.target}{': ' + detail if detail else ''}", retry_after=self.fatal_retry_seconds)
        return replace(cursor, external_user_id=str(user["id"]))

    def read_page(self, source: SourceRef, cursor: Cursor, page_token: str | None, page_size: int) -> Page:
        """One page of the user's timeline newer than ``since_id``; units are the posts returned (billed)."""
        params: dict[str, Any] = {"max_results": page_size, "tweet_fields": ["created_at", "author_id"]}
        if cursor.since_id:
            params["since_id"] = cursor.since_id
        if page_token:
            params["pagination_token"] = page_token
        response = self._call(self.client.get_users_tweets, cursor.external_user_id, **params)
        tweets = response.get("data") or []
        meta = response.get("meta") or {}
        records = [record for record in (self._record(source, tweet) for tweet in tweets) if record is not None]
        return Page(records, meta.get("next_token"), units=len(tweets), newest_marker=meta.get("newest_id"))

    def advance(self, cursor: Cursor, newest_marker: str | None) -> Cursor:
        """The newest post id read becomes ``since_id`` (unchanged when nothing was new)."""
        return replace(cursor, since_id=newest_marker or cursor.since_id)

    @staticmethod
    def _record(source: SourceRef, tweet: Any) -> Record | None:
        """One post as a :class:`Record`, linked at its x.com address; None for an entry without
        an id (dropped alone: the rest of the page is kept, and it was billed all the same)."""
        if not isinstance(tweet, Mapping) or not tweet.get("id"):
            return None
        text = plain_text(tweet.get("text") if isinstance(tweet.get("text"), str) else "")
        return Record(
            external_id=str(tweet["id"]),
            url=f"https://x.com/{source.target}/status/{tweet['id']}",
            title=truncate(text, TITLE_LIMIT // 3),
            text=text,
            published_at=_parse_time(tweet.get("created_at")),
            author=f"@{source.target}",
        )

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Call a tweepy method, turning its exceptions into classified connector errors."""
        with self.transport_errors():
            try:
                return method(*args, **kwargs)
            except tweepy.TooManyRequests as exc:
                if exc.reset_time is None:
                    raise RetriableError("X rate limit reached (429) without a reset time") from None
                wait = max(1.0, exc.reset_time - self.clock())
                raise RateLimitedError(f"X rate limit reached (429); it resets in {wait:.0f} s", retry_after=wait) from None
            except tweepy.Forbidden as exc:
                raise self._forbidden(exc) from None
            except tweepy.HTTPException as exc:
                status = exc.response.status_code
                detail = "; ".join(str(m) for m in exc.api_messages)
                error = self.error_for_status(status, exc.response.headers, detail)
                raise (error or RetriableError(f"unexpected X answer HTTP {status}")) from None

    @staticmethod
    def _forbidden(exc: tweepy.Forbidden) -> FatalError:
        body: dict[str, Any] = {}
        try:
            body = exc.response.json()
        except ValueError:
            pass
        detail = "; ".join(str(m) for m in exc.api_messages)
        if ACCESS_LEVEL_CODES & set(exc.api_codes) or body.get("reason") == "client-not-enrolled":
            return FatalError(
                "X refused the read because of the API access level (403/453): this plan cannot "
                "read user timelines; upgrade the X API plan (pay-per-use or Basic) or remove X sources. "
                "Retried once a day.",
                retry_after=DAY_SECONDS,
            )
        return FatalError(f"X refused the read (403 Forbidden){': ' + detail if detail else ''}", retry_after=DAY_SECONDS)
