"""What text from outside may be stored as: the one place every value a source sent is made
storable, the same way on SQLite and PostgreSQL.

PostgreSQL refuses a NUL character in text and a value longer than a ``VARCHAR(n)``; SQLite takes
both. Without this, one odd feed (a NUL in a title, a 600-character ETag) made its source
unstorable on PostgreSQL forever, failing again at every pass. So, before anything a source sent
is written:

- control characters (C0 but tab and newline, DEL, C1: terminal escapes among them) and lone
  surrogates (unencodable) are removed from every text;
- prose (titles, text, authors, error messages) is cut to its bound, ending with an ellipsis;
- an identifier too long for its column, or not clean, is replaced by a hash of it (a cut would
  make two entries sharing a prefix one), so it stays unique and stable from read to read;
- a validator or cursor value (ETag, Last-Modified, since id, user id) or a URL that does not fit
  is dropped: a cut one would be wrong, and without it the next read is merely unconditional;
- a publication date before 1970 is no date; one after the moment it was fetched is that moment.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Column

from models.entities import Post, Source

#: Bounds of what a source sends, in characters (the column's own length where it has one).
TITLE_LIMIT = 300
TEXT_LIMIT = 2000
URL_LIMIT = 2048
ERROR_LIMIT = 2000
#: Publication dates before this are placeholders or mistakes (feeds use 0001-01-01), not dates.
EARLIEST_PUBLISHED = datetime(1970, 1, 1, tzinfo=timezone.utc)

_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _length(column: Column) -> int:
    length = getattr(column.type, "length", None)
    if not length:
        raise AssertionError(f"{column} has no length")
    return int(length)


EXTERNAL_ID_LIMIT = _length(Post.__table__.c.external_id)
AUTHOR_LIMIT = _length(Post.__table__.c.author)
ETAG_LIMIT = _length(Source.__table__.c.etag)
LAST_MODIFIED_LIMIT = _length(Source.__table__.c.last_modified)
SINCE_ID_LIMIT = _length(Source.__table__.c.since_id)
EXTERNAL_USER_ID_LIMIT = _length(Source.__table__.c.external_user_id)
STATUS_LIMIT = _length(Source.__table__.c.last_status)


def clean(value: str) -> str:
    """``value`` without control characters (tab and newline kept) and lone surrogates."""
    return _UNSTORABLE.sub("", value)


def prose(value: str | None, limit: int) -> str | None:
    """Clean text cut to ``limit`` characters, the cut marked with an ellipsis; None stays None."""
    if value is None:
        return None
    text = clean(value)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def identifier(value: str, limit: int) -> str:
    """``value`` as a stored identifier: itself when clean and within ``limit``, else
    ``sha256:`` and the hash of it whole (unique and stable, unlike a cut)."""
    if len(value) <= limit and clean(value) == value:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def token(value: str | None, limit: int) -> str | None:
    """A validator or cursor value: itself when clean and within ``limit``, else None."""
    if value is None or len(value) > limit or clean(value) != value:
        return None
    return value


def url(value: str | None) -> str | None:
    """A URL within :data:`URL_LIMIT` without control characters, else None (a cut URL is wrong)."""
    return token(value.strip(), URL_LIMIT) if value else None


def json_value(value: Any) -> Any:
    """A JSON document (a cursor's extra) with every string in it :func:`clean`."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(key)): json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    return value


def published(value: datetime | None, *, fetched_at: datetime) -> datetime | None:
    """A usable publication date: None before :data:`EARLIEST_PUBLISHED`, ``fetched_at`` when
    later (nothing is published after it is read)."""
    if value is None or value < EARLIEST_PUBLISHED:
        return None
    return min(value, fetched_at)
