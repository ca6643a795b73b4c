"""Parsing and formatting of the times people type and read."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from config.errors import InputError, quoted

# The dates a person may give (--as-of, --at, a CSV's occurred_at): wide enough for any history
# and any plan, narrow enough that every week, year or look-back computed from them stays a date.
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2200, 12, 31)


def _in_range(text: str, day: date) -> None:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InputError(f"{quoted(text)} is outside the range of dates strongtie accepts "
                         f"({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()})")


def parse_instant(text: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime, on a UTC date from
    :data:`EARLIEST_DATE` to :data:`LATEST_DATE` (anything else is an :class:`InputError`).

    A bare date means the start of that UTC day, or its last microsecond with ``end_of_day``
    (so ``--as-of 2026-11-01`` includes everything that happened on the 1st). A date-time without
    a zone is taken as UTC.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            _in_range(text, day)
            moment = datetime.combine(day, time.min, tzinfo=timezone.utc)
            return moment + timedelta(days=1, microseconds=-1) if end_of_day else moment
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        _in_range(text, moment.date())  # before converting: 9999-12-31T23:00-05:00 is past year 9999 in UTC
        moment = moment.astimezone(timezone.utc)
        _in_range(text, moment.date())
        return moment
    except OverflowError:
        raise InputError(f"{quoted(text)} is outside the range of dates strongtie accepts "
                         f"({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()})") from None
    except InputError:
        raise
    except ValueError:
        raise InputError(f"{quoted(text)} is not an ISO 8601 date or date-time (e.g. 2026-11-03 or 2026-11-03T14:30)") from None


def parse_date_or_instant(text: str) -> date | datetime:
    """A bare ISO 8601 date as a :class:`date` (a calendar day, to be read in some team's own zone);
    anything else as an aware UTC datetime, as :func:`parse_instant` reads it.

    Keeping the bare date a date lets a caller decide which zone's day it means, instead of fixing
    it to the UTC day (for a team in Tokyo the UTC day ends at 08:59 the next local morning).
    """
    stripped = text.strip()
    if len(stripped) == 10:
        try:
            day = date.fromisoformat(stripped)
        except ValueError:
            pass  # parse_instant names the problem
        else:
            _in_range(stripped, day)
            return day
    return parse_instant(stripped)


def local_moment(day: date, wall_clock: time, zone: str) -> datetime:
    """The UTC instant at which it is ``wall_clock`` on ``day`` in the IANA ``zone``.

    A wall-clock time that a DST change skips resolves as :mod:`zoneinfo` does (fold 0)."""
    return datetime.combine(day, wall_clock, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def local_date(moment: datetime, zone: str) -> date:
    """The calendar date at ``moment`` in the IANA ``zone`` (what people there call today)."""
    return moment.astimezone(ZoneInfo(zone)).date()


def local_days(moment: datetime, zones: dict[int, str]) -> dict[int, date]:
    """Key (a team id, say) -> the calendar date at ``moment`` in that key's IANA zone."""
    return {key: local_date(moment, zone) for key, zone in zones.items()}


#: Weekday names, Monday first, as :meth:`date.weekday` numbers them.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def next_weekday(day: date, weekday: int) -> date:
    """The first date strictly after ``day`` that falls on ``weekday`` (0 = Monday): said on a
    Friday, "friday" is a week ahead."""
    return day + timedelta(days=(weekday - day.weekday() - 1) % 7 + 1)


def previous_weekday(day: date, weekday: int) -> date:
    """The last date strictly before ``day`` that falls on ``weekday`` (0 = Monday)."""
    return day - timedelta(days=(day.weekday() - weekday - 1) % 7 + 1)


def end_of_local_day(day: date, zone: str) -> datetime:
    """The last microsecond of ``day`` in the IANA ``zone``, as a UTC instant."""
    return local_moment(day + timedelta(days=1), time.min, zone) - timedelta(microseconds=1)


def iso(moment: datetime | date | None) -> str | None:
    """ISO 8601 text for JSON output (``None`` stays ``None``)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return moment.isoformat()

