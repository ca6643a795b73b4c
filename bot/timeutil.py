"""Parsing and formatting of the times people type and read."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone


def parse_instant(text: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime.

    A bare date means the start of that UTC day, or its last microsecond with ``end_of_day``
    (so ``--as-of 2026-11-01`` includes everything that happened on the 1st). A date-time without
    a zone is taken as UTC.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.min, tzinfo=timezone.utc)
            return moment + timedelta(days=1, microseconds=-1) if end_of_day else moment
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or date-time (e.g. 2026-11-03 or 2026-11-03T14:30)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso(moment: datetime | date | None) -> str | None:
    """ISO 8601 text for JSON output (``None`` stays ``None``)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
