"""The model's time axis, and what lies on it: interactions going in, transitions coming out.

Time is a float of days since the Unix epoch (UTC), so that daily checkpoints fall on whole numbers
and decays are plain exponentials of a difference. An interaction's own time is kept as it was
given (an aware datetime, or an int of microseconds since the epoch, the store loader's cheap form)
and turned into a datetime only when a reader needs one. Every other module of the model uses
these helpers, so they sit at the bottom of its imports.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import NamedTuple

SECONDS_PER_DAY = 86400.0
MICROSECONDS_PER_DAY = 86_400_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

#: One interaction in the replay: (t in days since the epoch, kind, direction, time as given; see
#: as_datetime()). A plain tuple: built a million times, and its natural order is the replay order.
Event = tuple[float, str, str, "datetime | int"]


class Transition(NamedTuple):
    """A move on one track: ``tie`` stages, ``hourglass`` stages or ``risk`` (ok <-> at_risk).

    The replay records one for every change, with the score then and the reason in words, so the
    stored stage history can say why each move happened.
    """

    track: str
    at: datetime
    from_stage: str | None
    to_stage: str
    score: float
    reason: str


def to_days(moment: datetime) -> float:
    """Days since the Unix epoch: the model's time axis (checkpoints fall on whole days)."""
    return moment.timestamp() / SECONDS_PER_DAY


def day_start(day: int) -> datetime:
    """Midnight UTC opening ``day`` (whole days since the epoch): when a daily checkpoint happens."""
    return EPOCH + timedelta(days=day)


def as_datetime(stamp: datetime | int) -> datetime:
    """An interaction's time as given (an aware datetime, or microseconds since the epoch) as an
    aware datetime, made only when a reader needs one."""
    return stamp if isinstance(stamp, datetime) else EPOCH + timedelta(microseconds=stamp)
