"""The time axis the store's bulk loader and the tie-strength model share.

Time is a float of days since the Unix epoch (UTC), so that daily checkpoints fall on whole numbers
and decays are plain exponentials of a difference. An interaction's own time is kept as it was
given (an aware datetime, or an int of exact microseconds since the epoch, the store loader's cheap
form) and turned into a datetime only when a reader needs one. The one clock, :func:`utcnow`, lives
here too.

It sits beside the store and the model rather than in either, so that the store can hand the model
a million interactions already in its form (:class:`Replayable`) without either importing the
other.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

SECONDS_PER_DAY = 86400.0
MICROSECONDS_PER_DAY = 86_400_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

#: One interaction on the axis: (t in days since the epoch, kind, direction, time as given; see
#: as_datetime()). A plain tuple: built a million times, and its natural order is the replay order.
Event = tuple[float, str, str, "datetime | int"]


class Replayable(list):
    """Interactions already in the replay's own form, as the store loader builds them: ``(t, kind,
    direction, at)`` events, ``at`` an int of microseconds since the epoch and
    ``t = at / MICROSECONDS_PER_DAY``, notes left out, in any order. The model takes them as they
    are, which spares a second pass over a million interactions."""


def utcnow() -> datetime:
    """The current time as an aware UTC datetime: the one clock that jobs, commands, listeners and
    column defaults read. The pure model and rules never call it; they are given ``as_of``."""
    return datetime.now(timezone.utc)


_MICROSECOND = timedelta(microseconds=1)


def to_microseconds(moment: datetime) -> int:
    """Exact integer microseconds since the Unix epoch of an aware datetime."""
    return (moment - EPOCH) // _MICROSECOND


def to_days(moment: datetime) -> float:
    """Days since the Unix epoch: the model's time axis (checkpoints fall on whole days).

    Always ``to_microseconds(moment) / MICROSECONDS_PER_DAY``, the very expression the store loader
    uses for an interaction's time, so one instant is one float whichever way it came: an
    interaction logged at the moment a score is asked for is never a last bit after it.
    (``moment.timestamp() / 86400`` differs from it in the last bit for about one instant in five.)
    """
    return to_microseconds(moment) / MICROSECONDS_PER_DAY


def day_start(day: int) -> datetime:
    """Midnight UTC opening ``day`` (whole days since the epoch): when a daily checkpoint happens."""
    return EPOCH + timedelta(days=day)


def as_datetime(stamp: datetime | int) -> datetime:
    """An interaction's time as given (an aware datetime, or microseconds since the epoch) as an
    aware datetime, made only when a reader needs one."""
    return stamp if isinstance(stamp, datetime) else EPOCH + timedelta(microseconds=stamp)
