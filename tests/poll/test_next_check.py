"""The next-check rule of a source, as a table: what happened, and when it is read again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models import next_check
from models.next_check import (
    FATAL,
    NOT_CONFIGURED,
    RATE_LIMITED,
    SETTING,
    RETRIABLE,
    after_failure,
    after_read,
)

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
MINUTE, HOUR, DAY, WEEK = 60, 3600, 86_400, 7 * 86_400
MIN_INTERVAL = 30 * MINUTE  # the default STRONGTIE_POLL_INTERVAL_MINUTES
WEEK_AGO = NOW - timedelta(days=7)
CAP = 3 * HOUR  # the default STRONGTIE_POLL_MAX_INTERVAL_HOURS


def lowest(low: float, high: float) -> float:
    """Jitter that always draws the bottom of its range."""
    return low


def highest(low: float, high: float) -> float:
    """Jitter that always draws the top of its range."""
    return high


def posts_every(minutes: int, count: int) -> list[datetime]:
    """``count`` publication times, ``minutes`` apart, the newest now."""
    return [NOW - timedelta(minutes=minutes * n) for n in range(count)]


@pytest.mark.parametrize(
    "published, not_modified, previous, min_interval, expected",
    [
        pytest.param(posts_every(60, 1), False, None, MIN_INTERVAL, CAP, id="one-post-a-week-checked-at-the-cap"),
        pytest.param(posts_every(60, 14), False, None, MIN_INTERVAL, CAP, id="twice-a-day-poster-at-the-cap"),
        pytest.param(posts_every(60, 7 * 24 // 2), False, None, MIN_INTERVAL, 2 * HOUR, id="every-other-hour-poster"),
        pytest.param(posts_every(60, 7 * 24), False, None, MIN_INTERVAL, HOUR, id="hourly-poster"),
        pytest.param(posts_every(10, 500), False, None, MIN_INTERVAL, MIN_INTERVAL, id="prolific-poster-clamped-to-minimum"),
        pytest.param([NOW - timedelta(days=30)] * 3, False, 2 * HOUR, MIN_INTERVAL, CAP, id="only-old-posts-quiet-source-at-the-cap"),
        pytest.param([None, None], False, 2 * HOUR, MIN_INTERVAL, CAP, id="undated-posts-count-as-old"),
        pytest.param(posts_every(60, 83) + [WEEK_AGO], False, None, MIN_INTERVAL, 2 * HOUR, id="a-week-ago-to-the-second-counts"),
        pytest.param(posts_every(60, 83) + [WEEK_AGO - timedelta(seconds=1)], False, None, MIN_INTERVAL, 7286, id="older-does-not"),
        pytest.param([], False, 2 * HOUR, MIN_INTERVAL, 2 * HOUR, id="nothing-new-keeps-the-pace"),
        pytest.param([], False, None, MIN_INTERVAL, MIN_INTERVAL, id="nothing-new-no-pace-yet-minimum"),
        pytest.param([], True, 2 * HOUR, MIN_INTERVAL, 2 * HOUR, id="not-modified-keeps-the-pace"),
        pytest.param([], True, DAY, MIN_INTERVAL, CAP, id="a-daily-pace-stored-before-is-brought-to-the-cap"),
        pytest.param([], True, None, MIN_INTERVAL, MIN_INTERVAL, id="not-modified-no-pace-yet-minimum"),
        pytest.param(posts_every(60, 1), False, None, 2 * DAY, 2 * DAY, id="minimum-over-a-day-wins"),
    ],
)
def test_after_a_read_the_interval_follows_the_publishing_rhythm(published, not_modified, previous, min_interval, expected):
    result = after_read(
        now=NOW,
        min_interval_seconds=min_interval,
        previous_interval_seconds=previous,
        not_modified=not_modified,
        published=published,
    )
    assert result.interval_seconds == expected
    assert result.at == NOW + timedelta(seconds=expected)


@pytest.mark.parametrize(
    "failure, error_count, retry_after, recheck, low, high",
    [
        pytest.param(RETRIABLE, 0, None, DAY, 60, 90, id="first-retriable-a-minute-or-so"),
        pytest.param(RETRIABLE, 1, None, DAY, 120, 180, id="second-retriable-doubles"),
        pytest.param(RETRIABLE, 3, None, DAY, 480, 720, id="fourth-retriable-doubles-again"),
        pytest.param(RETRIABLE, 11, None, DAY, DAY, 1.5 * DAY, id="backoff-stops-growing-at-a-day"),
        pytest.param(RETRIABLE, 10_000, None, DAY, DAY, 1.5 * DAY, id="a-long-failing-source-does-not-overflow"),
        pytest.param(RETRIABLE, 0, 3600, DAY, 3600, 3600, id="never-before-retry-after"),
        pytest.param(RETRIABLE, 5, 10, DAY, 1920, 2880, id="backoff-longer-than-retry-after-wins"),
        pytest.param(RETRIABLE, 0, 315_360_000, DAY, WEEK, WEEK, id="retry-after-of-ten-years-capped-at-a-week"),
        pytest.param(RATE_LIMITED, 0, 900, DAY, 900, 905, id="rate-limit-reset-plus-jitter"),
        pytest.param(RATE_LIMITED, 7, 900, DAY, 900, 905, id="rate-limit-ignores-the-error-count"),
        pytest.param(RATE_LIMITED, 2, None, DAY, 240, 360, id="rate-limit-without-reset-backs-off"),
        pytest.param(RATE_LIMITED, 0, 30 * DAY, DAY, WEEK, WEEK, id="rate-limit-reset-capped-at-a-week"),
        pytest.param(NOT_CONFIGURED, 4, None, DAY, 0, 0, id="missing-token-rechecked-at-the-next-pass"),
        pytest.param(SETTING, 4, None, DAY, 0, 0, id="refused-by-a-setting-rechecked-at-the-next-pass"),
        pytest.param(FATAL, 0, None, DAY, DAY, DAY, id="fatal-rechecked-by-the-connectors-rule"),
        pytest.param(FATAL, 9, None, 6 * HOUR, 6 * HOUR, 6 * HOUR, id="fatal-recheck-is-the-connectors"),
        pytest.param(FATAL, 0, 2 * DAY, DAY, 2 * DAY, 2 * DAY, id="fatal-with-its-own-wait"),
        pytest.param(FATAL, 0, None, 30 * DAY, WEEK, WEEK, id="fatal-recheck-capped-at-a-week"),
    ],
)
def test_after_a_failure_the_wait_depends_on_what_failed(failure, error_count, retry_after, recheck, low, high):
    waits = [
        (after_failure(
            failure,
            now=NOW,
            min_interval_seconds=MIN_INTERVAL,
            error_count=error_count,
            retry_after=retry_after,
            recheck_seconds=recheck,
            jitter=jitter,
        ).at - NOW).total_seconds()
        for jitter in (lowest, highest)
    ]
    assert waits == [low, high]


def test_a_failure_keeps_the_stored_interval_and_real_jitter_stays_in_range():
    results = [
        after_failure(RETRIABLE, now=NOW, min_interval_seconds=MIN_INTERVAL, error_count=2, retry_after=None, recheck_seconds=DAY)
        for _ in range(50)
    ]
    assert all(r.interval_seconds is None for r in results)
    assert all(NOW + timedelta(seconds=240) <= r.at <= NOW + timedelta(seconds=360) for r in results)


def test_no_wait_is_longer_than_a_week_and_a_quiet_source_is_read_every_few_hours():
    assert next_check.MAX_WAIT_SECONDS == WEEK
    assert next_check.max_interval(MIN_INTERVAL) == CAP


@pytest.mark.parametrize(
    "published, cap, expected",
    [
        pytest.param(posts_every(60, 1), HOUR, HOUR, id="a-one-hour-cap"),
        pytest.param(posts_every(60, 1), DAY, DAY, id="a-one-day-cap"),
        pytest.param(posts_every(60, 14), DAY, 12 * HOUR, id="under-the-cap-the-rhythm-decides"),
    ],
)
def test_the_quiet_source_cap_is_a_setting(published, cap, expected):
    result = after_read(now=NOW, min_interval_seconds=MIN_INTERVAL, previous_interval_seconds=None,
                        not_modified=False, published=published, max_interval_seconds=cap)
    assert result.interval_seconds == expected
