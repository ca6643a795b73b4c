"""LinkedIn organization posts through python-linkedin-v2 and the Posts API (``/rest/posts``).

LinkedIn lets an app read the posts of organization pages its signed-in member administers
(Community Management API, ``r_organization_social``); members' own posts are closed to apps.

The library's application is used for requests, but its error mapping is not (it misreads the
REST API's error bodies): status codes are checked here. The library would also put the token in
the query string (``oauth2_access_token``), where proxies and error messages record URLs; it is
given no token at all and the token travels only in the ``Authorization`` header. Its
``make_request`` opens a new requests session per call, which nothing can bound; the application
here sends through one session whose adapter gives each request a total deadline.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, ClassVar, Mapping
from urllib.parse import quote

import requests
from linkedin_v2.linkedin import LinkedInApplication, LinkedInAuthentication
from linkedin_v2.models import AccessToken

from connectors.base import (
    Cursor,
    Page,
    PagedConnector,
    Record,
    RetriableError,
    SourceRef,
)
from connectors.deadline import DeadlineAdapter
from connectors.text import TITLE_LIMIT, plain_text, truncate

LINKEDIN_VERSION = "202610"  # YYYYMM; LinkedIn serves each version for at least a year
#: Cursor key: ids of the posts created in the cursor's millisecond, already read. Two posts can
#: share a millisecond; the next read keeps a post at that moment unless its id is listed here.
SEEN_AT_CURSOR = "linkedin_seen_at_cursor"
_MENTION = re.compile(r"@\[([^\]]*)\]\(urn:li:[^)]*\)")
_HASHTAG = re.compile(r"\{hashtag\|\\?#\|([^}]*)\}")
_ESCAPE = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")


def commentary_text(commentary: str) -> str:
    """Plain text of a post's "little text" commentary: mentions and hashtags as shown, no escapes."""
    text = _MENTION.sub(r"\1", commentary)
    text = _HASHTAG.sub(r"#\1", text)
    return _ESCAPE.sub(r"\1", text)


class _Application(LinkedInApplication):
    """python-linkedin-v2's application without a token of its own, sending through ``session``."""

    def __init__(self, session: requests.Session) -> None:
        authentication = LinkedInAuthentication("", "", "")
        authentication.token = AccessToken(None, None)
        super().__init__(authentication=authentication)
        self.session = session

    def make_request(self, method: str, url: str, data: Any = None, params: Any = None, headers: Any = None,
                     timeout: Any = 60) -> requests.Response:
        """The library's request (its JSON headers), through the bounded session."""
        headers = {**(headers or {}), "x-li-format": "json", "Content-Type": "application/json"}
        return self.session.request(method.upper(), url, data=data, params=params or {}, headers=headers, timeout=timeout)


def _epoch_ms(value: Any) -> int:
    """Milliseconds since the epoch from an API field; 0 when absent or not a number."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def _moment(ms: int) -> datetime | None:
    """An epoch-milliseconds moment as an aware datetime; None when 0 or out of range."""
    try:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc) if ms else None
    except (ValueError, OverflowError, OSError):
        return None


class LinkedInConnector(PagedConnector):
    """Posts of an organization page (``urn:li:organization:N``), newest first."""

    kind: ClassVar[str] = "linkedin"
    network: ClassVar[str] = "LinkedIn"
    token_setting: ClassVar[str] = "LINKEDIN_ACCESS_TOKEN"
    max_page_size: ClassVar[int] = 50
    status_messages: ClassVar[Mapping[int, str]] = {
        401: "LinkedIn rejected the access token (401): it may have expired (tokens last 60 days); renew LINKEDIN_ACCESS_TOKEN",
        403: (
            "LinkedIn refused access (403): reading an organization's posts needs the Community Management API "
            "product and the r_organization_social scope, granted by a member who administers this page"
        ),
        404: "LinkedIn has no such organization (404): check the URN in the roster",
    }

    def __init__(
        self, *, access_token: str, api_url: str, timeout: tuple[float, float] = (5.0, 20.0), total_timeout: float = 30.0
    ) -> None:
        """The library's application, given no token of its own (see this module's docstring),
        each request bounded by ``timeout`` (connect, read) and ``total_timeout`` seconds in all."""
        super().__init__(token=access_token, api_url=api_url)
        self.timeout = timeout
        session = requests.Session()
        session.mount(self.api_url or "https://", DeadlineAdapter(total_timeout=total_timeout, timeout=timeout, max_retries=0))
        self.application = _Application(session)

    def read_page(self, source: SourceRef, cursor: Cursor, page_token: str | None, page_size: int) -> Page:
        """One page of the organization's posts, newest created first, stopping at the cursor.

        ``sortBy=CREATED``: the finder's default order, LAST_MODIFIED, would put an old post that
        was just edited before new ones, and the read would stop there, missing the rest.
        """
        start = int(page_token or 0)
        url = (
            f"{self.api_url}/rest/posts?q=author&author={quote(source.target, safe='')}"
            f"&sortBy=CREATED&start={start}&count={page_size}"
        )
        headers = {**self.auth_headers(), "LinkedIn-Version": LINKEDIN_VERSION, "X-Restli-Protocol-Version": "2.0.0"}
        with self.transport_errors():
            response = self.application.make_request("GET", url, headers=headers, timeout=self.timeout)
        error = self.error_for_status(response.status_code, response.headers, self._error_detail(response))
        if error is not None:
            raise error
        try:
            body = response.json()
        except ValueError:
            raise RetriableError("LinkedIn answered with something that is not JSON") from None
        elements = [post for post in (body.get("elements") or []) if isinstance(post, Mapping)]
        new = [post for post in elements if self._is_new(post, cursor)]
        records = [record for record in map(self._record, new) if record is not None]
        paging = body.get("paging") or {}
        total = paging.get("total")
        more = len(elements) == page_size and (total is None or start + len(elements) < total)
        reached_cursor = len(new) < len(elements)
        return Page(records, str(start + len(elements)) if more and not reached_cursor else None, newest_marker=self._marker(elements))

    def advance(self, cursor: Cursor, newest_marker: str | None) -> Cursor:
        """since_id holds the newest creation time (epoch ms) read, and the cursor's extra the ids
        read at that millisecond: the Posts API has no since filter, so the cursor is applied here."""
        known_ms, known_ids = int(cursor.since_id or 0), list(cursor.extra.get(SEEN_AT_CURSOR) or [])
        marker = json.loads(newest_marker) if newest_marker else {"ms": 0, "ids": []}
        if marker["ms"] > known_ms:
            known_ms, known_ids = marker["ms"], marker["ids"]
        elif marker["ms"] == known_ms:
            known_ids = sorted(set(known_ids) | set(marker["ids"]))
        return replace(cursor, since_id=str(known_ms) if known_ms else None, extra={**cursor.extra, SEEN_AT_CURSOR: known_ids})

    @classmethod
    def _is_new(cls, post: Mapping[str, Any], cursor: Cursor) -> bool:
        """Whether ``post`` is past the cursor: created later, or at its millisecond and not yet read."""
        created, since = cls._created_ms(post), int(cursor.since_id or 0)
        return created > since or (created == since and str(post.get("id")) not in (cursor.extra.get(SEEN_AT_CURSOR) or []))

    @classmethod
    def _marker(cls, elements: list[Mapping[str, Any]]) -> str | None:
        """The newest creation time on a page and the ids created at that millisecond."""
        newest = max((cls._created_ms(p) for p in elements), default=0)
        if not newest:
            return None
        return json.dumps({"ms": newest, "ids": sorted(str(p.get("id")) for p in elements if cls._created_ms(p) == newest)})

    @staticmethod
    def _created_ms(post: Mapping[str, Any]) -> int:
        """When the post was created (epoch ms): the order of ``sortBy=CREATED``."""
        return _epoch_ms(post.get("createdAt") or post.get("publishedAt"))

    @staticmethod
    def _published_ms(post: Mapping[str, Any]) -> int:
        """When the post was published (epoch ms), else created: the moment shown to readers."""
        return _epoch_ms(post.get("publishedAt") or post.get("createdAt"))

    @classmethod
    def _record(cls, post: Mapping[str, Any]) -> Record | None:
        """One post as a :class:`Record`: its commentary as plain text, an article's title as the
        title; None for a post without an id (dropped alone, the rest of the page is kept)."""
        if not post.get("id"):
            return None
        commentary = post.get("commentary")
        text = plain_text(commentary_text(commentary if isinstance(commentary, str) else ""))
        content = post.get("content")
        article = (content.get("article") if isinstance(content, Mapping) else None) or {}
        title = article.get("title") if isinstance(article, Mapping) else None
        author = post.get("author")
        return Record(
            external_id=str(post["id"]),
            url=f"https://www.linkedin.com/feed/update/{quote(str(post['id']), safe=':')}/",
            title=plain_text(title if isinstance(title, str) else None, limit=TITLE_LIMIT) or truncate(text, TITLE_LIMIT // 3),
            text=text,
            published_at=_moment(cls._published_ms(post)),
            author=author if isinstance(author, str) else None,
        )

    @staticmethod
    def _error_detail(response: requests.Response) -> str:
        """LinkedIn's own words from an error body (``code``, ``serviceErrorCode``, ``message``)."""
        if response.status_code < 400:
            return ""
        try:
            body = response.json()
        except ValueError:
            return ""
        parts = [str(body[key]) for key in ("code", "message") if body.get(key)]
        if body.get("serviceErrorCode") is not None:
            parts.insert(0, f"serviceErrorCode {body['serviceErrorCode']}")
        return ", ".join(parts)
