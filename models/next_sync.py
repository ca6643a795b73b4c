"""When a connection (a member's calendar or mailbox) is synced next: the scheduling rule of the
:class:`~models.entities.Connection` row, pure like :mod:`models.next_check` (whose failure rule it
shares).

- After a sync that worked, every poll interval (``STRONGTIE_POLL_INTERVAL_MINUTES``), calendars
  and mailboxes alike: a calendar's conditional GET (a 304 while no meeting has begun since the
  last full read) and a mailbox's read of UIDs above the last one make a quiet check cheap, and
  contact is worth seeing the same day.
- After a failed sync, as a source: a dropped connection or a timeout backs off exponentially
  (:data:`models.next_check.RETRIABLE`); a refused login, a wrong address or an unreadable file
  waits :data:`FATAL_RECHECK_SECONDS` (a person must act: no retry storm against a mail server that
  would lock the account); a setting that refused it (a private address, a missing key) is
  looked at again at the next pass, since a restart may change it; a calendar gone for good (410)
  is disabled (``None``) until it is connected again.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from models import next_check

#: How long a connection that failed in a way only a person can fix waits before the next try.
FATAL_RECHECK_SECONDS = next_check.DAY_SECONDS

GONE = "gone"


def after_sync(*, now: datetime, poll_interval_seconds: int) -> datetime:
    """The next sync after one that worked."""
    return now + timedelta(seconds=poll_interval_seconds)


def after_failure(
    failure: next_check.Failure | str, *, now: datetime, poll_interval_seconds: int, error_count: int,
    retry_after: float | None = None, jitter: next_check.Jitter = random.uniform,
) -> datetime | None:
    """The next sync after a failed one (see this module's docstring); None for :data:`GONE`.
    ``error_count`` is the failures in a row before this one."""
    if failure == GONE:
        return None
    return next_check.after_failure(
        failure, now=now, min_interval_seconds=poll_interval_seconds, error_count=error_count,  # type: ignore[arg-type]
        retry_after=retry_after, recheck_seconds=FATAL_RECHECK_SECONDS, jitter=jitter).at
