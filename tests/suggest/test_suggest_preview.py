"""``strongtie suggest --as-of`` is a pure preview (nothing stored, so nothing back-dated or future
is ever delivered), and a bare date is read as the end of that day in each team's own zone, so the
Friday rule fires on the team's Friday east and west of UTC."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from digest.seed_world import MONDAY, runtime_for, seed
from sqlalchemy import func, select, update

from bot.jobs.suggest import preview_suggestions, suggest_job
from models.entities import Customer, Suggestion, Team
from models.store.interactions import log_interaction

FRIDAY = date(2026, 11, 27)


def count_suggestions(runtime) -> int:
    with runtime.session() as session:
        return session.scalar(select(func.count()).select_from(Suggestion))


def test_suggest_as_of_stores_nothing(cli, db_url):
    runtime = runtime_for(db_url)
    seed(runtime)
    for as_of in ("2026-11-23T14:00:00Z", "2026-11-23", "2027-01-01"):
        result = cli("suggest", "--json", "--as-of", as_of)
        assert result.exit_code == 0, result.output
        assert count_suggestions(runtime) == 0, as_of
    records = json.loads(cli("suggest", "--json", "--as-of", "2026-11-23T14:00:00Z").output)
    assert [r["customer"] for r in records] == ["Jane Doe", "Bob Roe", "Ann <!channel> Lee"]  # heavy users first
    text = cli("suggest", "--as-of", "2026-11-23T14:00:00Z").output
    assert "nothing stored" in text and count_suggestions(runtime) == 0


def test_suggest_help_says_as_of_is_a_preview(cli):
    assert "store nothing" in " ".join(cli("suggest", "--help").output.split())


@pytest.mark.parametrize(
    ("zone", "shared_at"),
    [
        # Friday 10:00 in Tokyo; the end of the UTC Friday is already Saturday morning there
        pytest.param("Asia/Tokyo", datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc), id="tokyo"),
        # Friday 20:00 in Los Angeles, after the end of the UTC Friday
        pytest.param("America/Los_Angeles", datetime(2026, 11, 28, 4, 0, tzinfo=timezone.utc), id="los-angeles"),
    ],
)
def test_bare_date_is_the_end_of_the_team_local_day(db_url, zone, shared_at):
    runtime = runtime_for(db_url)
    ids = seed(runtime)
    suggest_job(runtime, as_of=MONDAY)
    with runtime.session() as session:
        session.execute(update(Team).values(timezone=zone))
        session.execute(update(Suggestion).values(status="dismissed"))  # Monday's gestures are spent
        log_interaction(session.get(Customer, ids["Bob Roe"]), "share", session=session, occurred_at=shared_at)
    before = count_suggestions(runtime)
    proposals = preview_suggestions(runtime, as_of=FRIDAY)
    assert ("follow_friday", "Bob Roe") in {(p.kind, p.customer) for p in proposals}
    assert count_suggestions(runtime) == before
