"""Calendars by their ICS address (Google's "secret address in iCal format", Outlook's published
calendar): fetched through the guarded HTTP client, read by :mod:`connectors.ics`.

The address is a secret (whoever has it reads the calendar), so it is kept out of every message
this connector raises and out of the cursor; a permanent redirect is returned as ``moved_url`` for
the caller to store encrypted, never in the cursor.

A conditional GET saves the download when the file is unchanged, but a 304 is only trusted until
the next upcoming meeting begins (``refresh_after`` in the cursor): from then on the file is read
again in full, because a meeting that was in the future has become one to capture.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import ClassVar, Mapping

from connectors.base import Connector, ConnectorError, Cursor, FatalError, FetchResult, SourceRef
from connectors.http import HttpClient, HttpLimits
from connectors.ics import MAX_OCCURRENCES, Expansion, Identity, Window, expand

#: Limits suited to calendars: a busy calendar's full history is larger than any feed.
CALENDAR_LIMITS = HttpLimits(max_body_bytes=20 * 1024 * 1024, https_only_redirects=True)

_URL = re.compile(r"(?i)\b(https?|webcals?)://(?:[^/\s'\"@]*@)?([^/\s'\"?#]+)[^\s'\"]*")


def normalise_calendar_url(url: str) -> str:
    """``webcal://`` and ``webcals://`` (what calendar apps hand out) as the ``https://`` they mean."""
    url = url.strip()
    lowered = url.lower()
    for scheme in ("webcals://", "webcal://"):
        if lowered.startswith(scheme):
            return "https://" + url[len(scheme):]
    return url


def scrub_urls(message: str) -> str:
    """``message`` with every URL cut to its scheme and host: a calendar's path is its secret."""
    return _URL.sub(lambda m: f"{m.group(1)}://{m.group(2)}/…", message)


@dataclass(frozen=True)
class CalendarSync:
    """One sync: the expansion (None when the file was unchanged), the cursor to store, notes."""

    expansion: Expansion | None
    cursor: Cursor
    not_modified: bool = False
    moved_url: str | None = None  # the calendar moved for good (301/308): store this address instead
    warning: str | None = None


class CalendarConnector(Connector):
    """Syncs one calendar: conditional GET, then :func:`connectors.ics.expand`."""

    kind: ClassVar[str] = "calendar"
    network: ClassVar[str] = "calendar"
    status_messages: ClassVar[Mapping[int, str]] = {
        401: "the calendar address asks for a login (401): use the secret iCal address, not the calendar's web address",
        403: "the calendar address was refused (403): it may have been reset; connect the calendar again with the new address",
        404: "no calendar at this address (404): it may have been reset; connect the calendar again with the new address",
        410: "the calendar was removed for good (410)",
    }

    def __init__(self, http: HttpClient, *, window: Window = Window(), max_occurrences: int = MAX_OCCURRENCES) -> None:
        """``http`` fetches (build it with :data:`CALENDAR_LIMITS`); ``window`` and
        ``max_occurrences`` bound what one sync expands."""
        super().__init__()
        self.http = http
        self.window = window
        self.max_occurrences = max_occurrences

    def read(self, source: SourceRef, cursor: Cursor, *, limit: int | None = None) -> FetchResult:
        """Not a source of posts: a calendar is read with :meth:`sync`, which needs who is who and ``as_of``."""
        raise NotImplementedError("calendars are read with CalendarConnector.sync()")

    def sync(
        self,
        url: str,
        cursor: Cursor,
        identity: Identity,
        *,
        as_of: datetime,
        capture_subjects: bool = False,
        default_zone: tzinfo = timezone.utc,
    ) -> CalendarSync:
        """Fetch the calendar at ``url`` (conditionally while the cursor allows) and expand it
        around ``as_of``. Errors are the connector classes, with no part of the address's path."""
        url = normalise_calendar_url(url)
        headers = self._validators(cursor, as_of)
        try:
            response = self.http.get(url, headers)
            error = self.error_for_status(response.status, response.headers)
            if error is not None:
                raise error
            if response.status == 304:
                return CalendarSync(None, cursor, not_modified=True)
            if response.status != 200:
                raise FatalError(f"unexpected HTTP {response.status} from the calendar address")
            expansion = expand(
                response.body, identity, as_of=as_of, window=self.window, capture_subjects=capture_subjects,
                default_zone=default_zone, max_occurrences=self.max_occurrences)
        except ConnectorError as error:
            error.message = scrub_urls(error.message)
            error.args = (error.message,)
            raise
        next_cursor = Cursor(
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            extra={"refresh_after": expansion.refresh_after.isoformat()},
        )
        moved = response.permanent_url if response.permanent_url != url else None
        return CalendarSync(expansion, next_cursor, moved_url=moved, warning=expansion.warning)

    @staticmethod
    def _validators(cursor: Cursor, as_of: datetime) -> dict[str, str]:
        """The conditional-GET headers, while no meeting has begun since the last full read."""
        refresh_after = cursor.extra.get("refresh_after")
        try:
            fresh = refresh_after is not None and as_of < datetime.fromisoformat(str(refresh_after))
        except ValueError:
            fresh = False
        if not fresh:
            return {}
        headers = {}
        if cursor.etag:
            headers["If-None-Match"] = cursor.etag
        if cursor.last_modified:
            headers["If-Modified-Since"] = cursor.last_modified
        return headers


class _HideRequestPaths(logging.Filter):
    """urllib3 logs every request line at DEBUG with its path and query, and a calendar's path is
    its secret: every path is cut from urllib3's connection-pool records (feeds' paths too, since
    which request is a calendar's is not known there)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple("/…" if isinstance(arg, str) and arg.startswith("/") else arg for arg in record.args)
        return True


_URLLIB3_LOG = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _HideRequestPaths) for f in _URLLIB3_LOG.filters):
    _URLLIB3_LOG.addFilter(_HideRequestPaths())
