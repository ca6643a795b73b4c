"""The hourglass chart is dated on the team's own calendar, as its digest is (not the UTC date)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from digest.seed_world import runtime_for, seed
from sqlalchemy import update

from bot.report import hourglass_title, report_title
from models.entities import Team
from models.store.teams import team_by_name

# 20:00 UTC on Monday 23 Nov: Tuesday already in Tokyo, Monday still in Los Angeles.
EVENING_UTC = datetime(2026, 11, 23, 20, 0, tzinfo=timezone.utc)


def test_hourglass_title():
    assert hourglass_title("East", date(2026, 11, 24)) == "East: hourglass, 2026-11-24"


@pytest.mark.parametrize("zone, expected", [
    pytest.param("Asia/Tokyo", "2026-11-24", id="tokyo"),
    pytest.param("America/Los_Angeles", "2026-11-23", id="los-angeles"),
])
def test_report_title_uses_the_team_local_date(db_url, zone, expected):
    runtime = runtime_for(db_url)
    seed(runtime)
    with runtime.session() as session:
        session.execute(update(Team).values(timezone=zone))
    with runtime.session() as session:
        east = team_by_name("East", session=session)
        assert report_title(session=session, team=east, as_of=EVENING_UTC) == f"East: hourglass, {expected}"
        assert report_title(session=session, team=None, as_of=EVENING_UTC) == f"All teams: hourglass, {expected}"


def test_teams_in_different_zones_get_the_utc_date_said_so(db_url):
    runtime = runtime_for(db_url)
    seed(runtime)
    with runtime.session() as session:
        session.add(Team(name="Far East", slack_channel="C0FAR", timezone="Asia/Tokyo", digest_time="09:00"))
    with runtime.session() as session:
        assert report_title(session=session, team=None, as_of=EVENING_UTC) == "All teams: hourglass, 2026-11-23 (UTC)"
