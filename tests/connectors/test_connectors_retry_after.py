"""Retry-After, in both of its forms, becomes seconds from now, never more than a week."""

from datetime import datetime, timezone

import pytest

from connectors.base import MAX_RETRY_AFTER_SECONDS, retry_after_seconds

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
WEEK = 7 * 24 * 3600


@pytest.mark.parametrize(
    "value, seconds",
    [
        pytest.param("120", 120.0, id="delta-seconds"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("315360000", WEEK, id="ten-years-capped"),
        pytest.param("9" * 400, WEEK, id="overflowing-number-capped"),
        pytest.param("Sat, 21 Nov 2026 11:00:00 GMT", 7200.0, id="http-date"),
        pytest.param("Saturday, 21-Nov-26 09:01:30 GMT", 90.0, id="rfc850-date"),
        pytest.param("Sat, 21 Nov 2026 08:00:00 GMT", 0.0, id="http-date-in-the-past"),
        pytest.param("Fri, 31 Dec 9999 23:59:59 GMT", WEEK, id="http-date-far-away-capped"),
        pytest.param("-5", None, id="negative"),
        pytest.param("1.5", None, id="fraction"),
        pytest.param("soon, please", None, id="garbage"),
        pytest.param("Sat, 99 Foo 2026 99:99:99 GMT", None, id="broken-date"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_retry_after_forms(value, seconds):
    assert retry_after_seconds(value, now=NOW) == seconds


def test_the_cap_is_a_week():
    assert MAX_RETRY_AFTER_SECONDS == WEEK
