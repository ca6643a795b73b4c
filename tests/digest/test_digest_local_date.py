"""Which team-local day a digest is for, and the moment it covers up to: a bare ``--as-of DATE``
means that day in the team's own zone (at its digest time), a date-time means an instant, and the
scheduler's ``local_date`` names the day outright. Teams east and west of UTC."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from digest.seed_world import runtime_for, seed
from sqlalchemy import select, update

from bot.jobs.digest import digest_job, digest_moment
from models.entities import DigestRun, Team


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def team(zone: str, digest_time: str = "09:00") -> Team:
    return Team(name="T", slack_channel="C0T", timezone=zone, digest_time=digest_time)


@pytest.mark.parametrize(
    ("zone", "as_of", "local_date", "moment", "day"),
    [
        pytest.param("Asia/Tokyo", None, date(2026, 11, 23), utc(2026, 11, 23, 0, 0), date(2026, 11, 23),
                     id="tokyo-date-at-its-09:00"),
        pytest.param("America/Los_Angeles", None, date(2026, 11, 23), utc(2026, 11, 23, 17, 0), date(2026, 11, 23),
                     id="los-angeles-date-at-its-09:00"),
        pytest.param("Asia/Tokyo", utc(2026, 11, 23, 23, 59), None, utc(2026, 11, 23, 23, 59), date(2026, 11, 24),
                     id="tokyo-instant-is-already-the-24th"),
        pytest.param("America/Los_Angeles", utc(2026, 11, 24, 3, 0), None, utc(2026, 11, 24, 3, 0),
                     date(2026, 11, 23), id="los-angeles-instant-is-still-the-23rd"),
        pytest.param("Asia/Tokyo", utc(2026, 11, 23, 5, 0), date(2026, 11, 23), utc(2026, 11, 23, 5, 0),
                     date(2026, 11, 23), id="both-given-late-scheduled-run"),
        pytest.param("America/Los_Angeles", None, date(2026, 3, 8), utc(2026, 3, 8, 16, 0), date(2026, 3, 8),
                     id="los-angeles-dst-starts"),
    ],
)
def test_digest_moment(zone, as_of, local_date, moment, day):
    assert digest_moment(team(zone), as_of=as_of, local_date=local_date, now=utc(2030, 1, 1)) == (moment, day)


def test_neither_given_means_now_in_the_team_zone():
    now = utc(2026, 11, 23, 20, 0)
    assert digest_moment(team("Asia/Tokyo"), as_of=None, local_date=None, now=now) == (now, date(2026, 11, 24))


@pytest.fixture(params=[pytest.param("Asia/Tokyo", id="tokyo"), pytest.param("America/Los_Angeles", id="los-angeles")])
def zoned_world(request, db_url):
    runtime = runtime_for(db_url)
    seed(runtime)
    with runtime.session() as session:
        session.execute(update(Team).values(timezone=request.param))
    return runtime, request.param


def test_dry_run_of_a_bare_date_is_that_local_day(cli, zoned_world):
    result = cli("digest", "--dry-run", "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert "Daily digest \u00b7 East \u00b7 Mon 23 Nov 2026" in result.output


def test_sending_a_bare_date_claims_that_local_day_at_its_digest_time(zoned_world):
    runtime, zone = zoned_world
    expected_moment = {"Asia/Tokyo": utc(2026, 11, 23, 0, 0), "America/Los_Angeles": utc(2026, 11, 23, 17, 0)}[zone]

    class Slack:
        def chat_postMessage(self, **kwargs):
            return {"ts": "1.0"}

        def files_upload_v2(self, **kwargs):
            return {}

    (outcome,) = digest_job(runtime, local_date=date(2026, 11, 23), client=Slack())
    assert (outcome.status, outcome.local_date) == ("sent", date(2026, 11, 23))
    with runtime.session() as session:
        (run,) = session.scalars(select(DigestRun))
        assert (run.local_date, run.covered_to) == (date(2026, 11, 23), expected_moment)
