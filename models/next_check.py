"""When a source is checked next: the scheduling rule of the :class:`~models.entities.Source` row.

The rule lives beside the model whose ``next_check_at`` and ``check_interval_seconds`` it fills,
not in the job that happens to apply it, so it can be read, changed and tested on its own. It is
pure: plain values in, a :class:`NextCheck` out; no session, no network, no connector.

- After a successful read the interval follows the source's publishing rhythm: a week divided by
  last week's posts, never shorter than the poll interval (``STRONGTIE_POLL_INTERVAL_MINUTES``)
  and never longer than the quiet-source cap (``STRONGTIE_POLL_MAX_INTERVAL_HOURS``, default
  :data:`DEFAULT_MAX_INTERVAL_SECONDS`: 3 hours), so a source that has been silent for weeks still
  has a new post picked up within a few hours (:func:`after_read`). A quiet source costs one
  conditional GET (usually a 304) per cap.
- After a failed read (:func:`after_failure`) it depends on what failed:

  ========================  ==============================================================
  :data:`RATE_LIMITED`      the moment the API named, plus up to 5 s of jitter
  :data:`RETRIABLE`         exponential backoff from a minute (jitter x1-1.5, at most a day
                            before jitter), never before the server's Retry-After
  :data:`NOT_CONFIGURED`    at the very next pass: a token is missing, and it may be set at
                            any restart (the check costs no request)
  :data:`SETTING`           at the very next pass: refused by a setting (a private address
                            while ``STRONGTIE_ALLOW_PRIVATE_NETWORKS`` is off), which may
                            change at any restart (the check sends no request)
  :data:`FATAL`             the wait the error asked for, else the connector's slow recheck
  ========================  ==============================================================

  and never more than :data:`MAX_WAIT_SECONDS`, whatever a server or connector asked for.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable, Literal

DAY_SECONDS = 86_400
WEEK_SECONDS = 7 * DAY_SECONDS
#: The longest interval between two checks of a healthy source by default (a quiet one is still
#: read every 3 hours); ``STRONGTIE_POLL_MAX_INTERVAL_HOURS`` sets it.
DEFAULT_MAX_INTERVAL_SECONDS = 3 * 3600
#: Retriable failures back off to at most this long before jitter (politeness to a server in trouble).
MAX_BACKOFF_SECONDS = DAY_SECONDS
#: The first retriable failure waits this long; every further one doubles it.
RETRY_BASE_SECONDS = 60
#: No failure parks a source longer than this, whatever a server's Retry-After or an API's reset
#: time said: a larger value is a misconfiguration or hostile, and could overflow datetimes.
MAX_WAIT_SECONDS = WEEK_SECONDS

RATE_LIMITED = "rate_limited"
RETRIABLE = "retriable"
NOT_CONFIGURED = "not_configured"
SETTING = "setting"
FATAL = "fatal"
Failure = Literal["rate_limited", "retriable", "not_configured", "setting", "fatal"]

#: ``jitter(low, high)``: a number between ``low`` and ``high`` (``random.uniform`` in production).
Jitter = Callable[[float, float], float]


@dataclass(frozen=True)
class NextCheck:
    """When to read the source again, and the publishing-rhythm interval to store on its row
    (None: keep the stored one, as after a failure)."""

    at: datetime
    interval_seconds: int | None = None


def max_interval(min_interval_seconds: int, max_interval_seconds: int = DEFAULT_MAX_INTERVAL_SECONDS) -> int:
    """The longest interval between two checks of a healthy source: the quiet-source cap, unless
    the poll interval is longer."""
    return max(min_interval_seconds, max_interval_seconds)


def after_read(
    *,
    now: datetime,
    min_interval_seconds: int,
    previous_interval_seconds: int | None,
    not_modified: bool,
    published: Iterable[datetime | None],
    max_interval_seconds: int = DEFAULT_MAX_INTERVAL_SECONDS,
) -> NextCheck:
    """The next check after a successful read of a source whose records were ``published``.

    A week divided by the posts of the last week, within [poll interval, quiet-source cap]. A 304
    and a read with nothing new keep the stored pace (the minimum when none is stored), within the
    same bounds; a read of only older posts means a quiet source, checked at the cap. ``published``
    holds one entry per record read (None when the record's date is unknown).
    """
    longest = max_interval(min_interval_seconds, max_interval_seconds)
    dates = list(published)
    week_ago = now - timedelta(days=7)
    recent = sum(1 for moment in dates if moment is not None and moment >= week_ago)
    if not_modified or (not recent and not dates):
        interval = previous_interval_seconds or min_interval_seconds
    elif not recent:
        interval = longest
    else:
        interval = WEEK_SECONDS / recent
    interval = int(min(longest, max(min_interval_seconds, interval)))
    return NextCheck(at=now + timedelta(seconds=interval), interval_seconds=interval)


def failure_wait_seconds(
    failure: Failure,
    *,
    min_interval_seconds: int,
    error_count: int,
    retry_after: float | None,
    recheck_seconds: float,
    jitter: Jitter = random.uniform,
) -> float:
    """How many seconds to wait after a failed read (see the table in this module's docstring).

    ``error_count`` is the failures in a row before this one; ``retry_after`` what the server or
    API asked for (None: nothing); ``recheck_seconds`` the connector's wait after a fatal error.
    A rate limit that named no moment backs off like any retriable failure.
    """
    if failure == RATE_LIMITED and retry_after is not None:
        wait = retry_after + jitter(0, 5)
    elif failure in (RATE_LIMITED, RETRIABLE):
        longest = max(min_interval_seconds, MAX_BACKOFF_SECONDS)
        backoff = min(longest, RETRY_BASE_SECONDS * 2 ** min(error_count, 20)) * jitter(1.0, 1.5)
        wait = max(backoff, retry_after or 0)
    elif failure in (NOT_CONFIGURED, SETTING):
        wait = 0
    else:
        wait = retry_after or recheck_seconds
    return min(wait, MAX_WAIT_SECONDS)


def after_failure(
    failure: Failure,
    *,
    now: datetime,
    min_interval_seconds: int,
    error_count: int,
    retry_after: float | None,
    recheck_seconds: float,
    jitter: Jitter = random.uniform,
) -> NextCheck:
    """The next check after a failed read: ``now`` plus :func:`failure_wait_seconds`; the stored
    publishing-rhythm interval is left as it is."""
    wait = failure_wait_seconds(
        failure,
        min_interval_seconds=min_interval_seconds,
        error_count=error_count,
        retry_after=retry_after,
        recheck_seconds=recheck_seconds,
        jitter=jitter,
    )
    return NextCheck(at=now + timedelta(seconds=wait))
