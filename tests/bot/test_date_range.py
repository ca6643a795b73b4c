"""Every date a person gives (--as-of, --at, a CSV's occurred_at) is within 1970..2200, or refused in
one line naming the option; never an OverflowError traceback."""

from datetime import date, datetime, timezone

import pytest

from bot.timeutil import EARLIEST_DATE, LATEST_DATE, parse_date_or_instant, parse_instant
from config.errors import InputError


@pytest.mark.parametrize("text", [
    pytest.param("0001-01-01", id="year-one"),
    pytest.param("9999-12-31", id="year-9999"),
    pytest.param("1969-12-31", id="day-before-1970"),
    pytest.param("2201-01-01", id="day-after-2200"),
    pytest.param("9999-12-31T23:00-05:00", id="past-9999-once-in-utc"),
    pytest.param("0001-01-01T00:30+01:00", id="before-year-one-once-in-utc"),
    pytest.param("1970-01-01T00:30+01:00", id="1969-in-utc"),
])
def test_dates_outside_the_range_are_refused_by_every_parser(text):
    for parse in (parse_instant, lambda t: parse_instant(t, end_of_day=True), parse_date_or_instant):
        with pytest.raises(InputError, match=r"outside the range of dates strongtie accepts \(1970-01-01 to 2200-12-31\)"):
            parse(text)


def test_the_edges_of_the_range_are_accepted():
    assert parse_instant("1970-01-01") == datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert parse_instant("2200-12-31", end_of_day=True).date() == LATEST_DATE
    assert parse_date_or_instant("2200-12-31") == LATEST_DATE
    assert parse_date_or_instant("1970-01-01") == EARLIEST_DATE == date(1970, 1, 1)


def test_a_refused_value_is_quoted_short():
    with pytest.raises(InputError) as caught:
        parse_instant("2026-01-01T" + "9" * 10_000)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("command", [
    pytest.param(["digest", "--dry-run", "--as-of"], id="digest"),
    pytest.param(["suggest", "--as-of"], id="suggest"),
    pytest.param(["status", "--as-of"], id="status"),
    pytest.param(["log", "Jane Doe", "call", "--at"], id="log"),
])
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_commands_refuse_dates_out_of_range_in_one_line(cli, command, value):
    result = cli(*command, value)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "OverflowError" not in result.output
    assert f"'{value}' is outside the range of dates strongtie accepts" in result.output.splitlines()[-1]
