"""What every connector shares: the source/cursor/record types, error classification and paging.

A connector takes a :class:`SourceRef` and its :class:`Cursor` and returns a :class:`FetchResult`
(records plus the next cursor). It never touches the database: the poll job stores the result.
:class:`Connector` owns what every connector shares (token gate, error mapping, host, cost) and
:class:`PagedConnector` the paging loop of API connectors, so a concrete connector is mostly
declarations, as a Singer SDK REST stream is.

Errors are classified so the poller knows what to do next:

- :class:`RetriableError` (timeouts, 429, 5xx): back off exponentially, never before Retry-After.
- :class:`RateLimitedError`: the API said exactly when to come back; come back then.
- :class:`FatalError` (401/403/404, other 4xx, not a feed): a person must act; check rarely.
- :class:`GoneError` (410): the source is gone for good; disable it.
- :class:`NotConfiguredError`: the network's token is not set; skip quietly.
"""

from __future__ import annotations

import email.utils
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, ClassVar, Iterable, Iterator, Mapping
from urllib.parse import urlsplit

import requests

from connectors.metering import Metering

DAY_SECONDS = 86_400
#: The longest a server's Retry-After (or an API's reset time) may park a source. A larger value
#: is a misconfiguration or hostile; without a cap, ``Retry-After: 315360000`` parks a source for
#: ten years and a larger one overflows datetime arithmetic.
MAX_RETRY_AFTER_SECONDS = 7 * DAY_SECONDS


@dataclass(frozen=True)
class SourceRef:
    """Where to read: the source's kind, its target as the roster gave it, and its feed URL."""

    kind: str
    target: str
    url: str | None = None


@dataclass(frozen=True)
class Cursor:
    """Where the last read stopped; the poll job stores it on the source row."""

    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    since_id: str | None = None
    external_user_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    """One post, normalised: plain text, an aware UTC ``published_at`` when known."""

    external_id: str
    url: str | None
    title: str
    text: str
    published_at: datetime | None
    author: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """A successful read: new records, the cursor to store, and notes (304, warning, units billed)."""

    records: list[Record]
    cursor: Cursor
    not_modified: bool = False
    warning: str | None = None  # e.g. an ill-formed feed whose entries were still recovered
    units: int = 0  # billable units consumed (X bills per post read)


class ConnectorError(Exception):
    """A read that failed; ``message`` is meant for the engineer reading ``strongtie sources``.

    ``cursor`` is what the read learnt before failing and must not be lost (e.g. a username
    resolved to an id, so the lookup is not repeated every pass), or None.
    """

    status: ClassVar[str] = "error"

    def __init__(self, message: str, *, retry_after: float | None = None, units: int = 0, cursor: Cursor | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.units = units
        self.cursor = cursor


class RetriableError(ConnectorError):
    """Worth retrying soon: timeouts, connection failures, 429 and 5xx."""

    status = "retrying"


class RateLimitedError(RetriableError):
    """The API named the moment its limit resets (``retry_after`` seconds from now)."""

    status = "rate_limited"


class FatalError(ConnectorError):
    """Retrying will not help until a person acts (credentials, access level, a wrong URL)."""


class GoneError(FatalError):
    """HTTP 410: the publisher removed the source for good."""

    status = "disabled"


class NotConfiguredError(ConnectorError):
    """The network is switched off (no token): the source is skipped, not failed."""

    status = "skipped"


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta seconds or an HTTP date) into seconds from ``now``,
    between 0 and :data:`MAX_RETRY_AFTER_SECONDS`; None when absent or unreadable (garbage,
    negative numbers)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), float(MAX_RETRY_AFTER_SECONDS))
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    seconds = (moment - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(0.0, seconds), float(MAX_RETRY_AFTER_SECONDS))


DEFAULT_STATUS_MESSAGES: Mapping[int, str] = {
    401: "the server asks for credentials (401 Unauthorized)",
    403: "the server refuses to serve it (403 Forbidden)",
    404: "nothing there (404 Not Found): check the address",
    410: "the publisher removed it for good (410 Gone); the source is now disabled",
}


class Connector(ABC):
    """Base of every connector: it owns what all of them share, so a concrete one is mostly
    declarations (``kind``, ``network``, ``token_setting``, status messages...) and a :meth:`read`.

    It owns the token gate (:meth:`fetch` refuses to read when ``token_setting`` names a token
    that is not set), the mapping of HTTP statuses (:meth:`error_for_status`) and of ``requests``
    failures (:meth:`transport_errors`) to the connector error classes, the host a read talks to
    (:meth:`host`) and what a read costs (``metered_provider`` and :attr:`metering`).
    """

    kind: ClassVar[str] = ""
    #: The network's name in messages ("X", "LinkedIn").
    network: ClassVar[str] = ""
    #: The setting holding the token this network needs (e.g. ``X_BEARER_TOKEN``); None: none needed.
    token_setting: ClassVar[str | None] = None
    #: The metered API whose units this connector's reads consume (counted per provider and month
    #: and paced by a monthly budget); None: reads are free.
    metered_provider: ClassVar[str | None] = None
    #: The setting holding that API's monthly budget, named when the budget makes a source wait.
    budget_setting: ClassVar[str | None] = None
    #: Status code -> what it means for this network; merged over DEFAULT_STATUS_MESSAGES.
    status_messages: ClassVar[Mapping[int, str]] = {}
    #: Fatal errors of this network are checked again after this long.
    fatal_retry_seconds: ClassVar[float] = DAY_SECONDS

    def __init__(self, *, token: str = "", api_url: str | None = None, metering: Metering | None = None) -> None:
        """``token``: the network's credential ("" when not set); ``api_url``: the API's base URL,
        shared by every source (None: each source has its own URL, as feeds do); ``metering``: the
        price and budget of a metered API."""
        self.token = token
        self.api_url = api_url.rstrip("/") if api_url else api_url
        self.metering = metering or Metering()

    @property
    def configured(self) -> bool:
        """Whether the connector can read: it needs no token, or its token is set."""
        return self.token_setting is None or bool(self.token)

    def fetch(self, source: SourceRef, cursor: Cursor, *, limit: int | None = None) -> FetchResult:
        """Read what is new since ``cursor``; ``limit`` caps billable records (None: no cap).

        A connector whose token is not set raises :class:`NotConfiguredError` before any request,
        so its sources are skipped, not failed. The token never appears in an error's message.
        """
        if not self.configured:
            raise NotConfiguredError(f"{self.token_setting} is not set, so {self.network} sources are skipped (see docs/connectors.md)")
        try:
            return self.read(source, cursor, limit=limit)
        except ConnectorError as error:
            if self.token and self.token in error.message:  # an API echoing the credential back
                error.message = redact(error.message, [self.token])
                error.args = (error.message,)
            raise

    @abstractmethod
    def read(self, source: SourceRef, cursor: Cursor, *, limit: int | None = None) -> FetchResult:
        """The read itself, called by :meth:`fetch` once the connector is known to be configured."""

    def host(self, source: SourceRef) -> str:
        """The host a read of ``source`` talks to, for the poller's per-host politeness: the API's
        host, shared by all the connector's sources, else the source URL's own host."""
        if self.api_url is None:
            return (urlsplit(source.url or "").hostname or "").lower()
        return (urlsplit(self.api_url).hostname or self.network).lower()

    def auth_headers(self) -> dict[str, str]:
        """The headers that authenticate a request: the token as a bearer token, never in the URL,
        where proxies and error messages record it."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @contextmanager
    def transport_errors(self) -> Iterator[None]:
        """Turn a ``requests`` failure inside the block (timeout, refused connection, broken TLS...)
        into a :class:`RetriableError` naming the network, and nothing else: a passing network
        problem is retried later, and the message quotes no URL (which could carry a secret)."""
        try:
            yield
        except requests.Timeout:
            raise RetriableError(f"{self.network} did not answer in time") from None
        except requests.RequestException as exc:
            raise RetriableError(f"could not reach {self.network}: {type(exc).__name__}") from None

    def describe_status(self, status: int, detail: str = "") -> str:
        """The human message for an HTTP status on this network, with the API's own words appended."""
        messages = {**DEFAULT_STATUS_MESSAGES, **self.status_messages}
        text = messages.get(status, f"HTTP {status}")
        return f"{text}: {detail}" if detail else text

    def error_for_status(self, status: int, headers: Mapping[str, str], detail: str = "") -> ConnectorError | None:
        """The classified error an HTTP status means, or None for success (2xx/304).

        ``headers`` must look names up case-insensitively (urllib3's and requests' both do).
        """
        if status < 400:
            return None
        message = self.describe_status(status, detail)
        if status == 429 or status >= 500:
            retry_after = retry_after_seconds(headers.get("Retry-After"))
            if status == 429:
                message = f"rate limited (429){': ' + detail if detail else ''}"
            elif status not in self.status_messages:
                message = f"server error (HTTP {status}){': ' + detail if detail else ''}"
            return RetriableError(message, retry_after=retry_after)
        if status == 410:
            return GoneError(message)
        return FatalError(message, retry_after=self.fatal_retry_seconds)


@dataclass(frozen=True)
class Page:
    """One page of an API listing: its records, the token of the next page, units billed."""

    records: list[Record]
    next_token: str | None
    units: int = 0
    newest_marker: str | None = None  # what the cursor keeps (e.g. the newest id on the page)


class PagedConnector(Connector):
    """An API connector reading newest-first pages until it reaches the cursor or the limit.

    Subclasses implement :meth:`prepare` (one-time lookups kept in the cursor), :meth:`read_page`
    and :meth:`advance`; this class owns the loop, the limit and the next cursor.
    """

    #: Largest page the API serves; pages never exceed the remaining limit.
    max_page_size: ClassVar[int] = 100
    #: Smallest page the API accepts.
    min_page_size: ClassVar[int] = 1
    #: Most pages a later read follows. A first read takes one page only: a source's back
    #: catalogue is not news (and on X it would be billed).
    max_pages: ClassVar[int] = 10

    def prepare(self, source: SourceRef, cursor: Cursor) -> Cursor:
        """Resolve what the cursor lacks (e.g. a username to an id); default: nothing."""
        return cursor

    @abstractmethod
    def read_page(self, source: SourceRef, cursor: Cursor, page_token: str | None, page_size: int) -> Page:
        """Read one page newer than ``cursor``; raise a :class:`ConnectorError` on failure."""

    @abstractmethod
    def advance(self, cursor: Cursor, newest_marker: str | None) -> Cursor:
        """The cursor after a read whose newest item is ``newest_marker`` (None: nothing new)."""

    def read(self, source: SourceRef, cursor: Cursor, *, limit: int | None = None) -> FetchResult:
        """Read newest-first pages until the cursor, the page limit or ``limit`` records; a failed page
        raises with the prepared cursor attached (see :class:`ConnectorError`)."""
        cursor = self.prepare(source, cursor)
        records: list[Record] = []
        units = 0
        newest: str | None = None
        token: str | None = None
        first_read = cursor.since_id is None and not cursor.extra.get("read_once")
        for page_number in range(1 if first_read else self.max_pages):
            remaining = None if limit is None else limit - units
            page_size = self.max_page_size if remaining is None else min(self.max_page_size, remaining)
            if page_size < self.min_page_size:
                break
            try:
                page = self.read_page(source, cursor, token, page_size)
            except ConnectorError as exc:
                exc.units += units
                exc.cursor = cursor  # keeps what prepare() resolved; since_id has not moved
                raise
            except Exception as exc:  # an answer this code could not read: the pages before it were still billed
                raise RetriableError(f"could not read {self.network}'s answer ({type(exc).__name__})", units=units, cursor=cursor) from exc
            records.extend(page.records)
            units += page.units
            if page_number == 0:
                newest = page.newest_marker
            token = page.next_token
            if not token:
                break
        next_cursor = self.advance(cursor, newest)
        next_cursor = replace(next_cursor, extra={**next_cursor.extra, "read_once": True})
        return FetchResult(records=records, cursor=next_cursor, units=units)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by ``***`` (for messages that get stored)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
