"""The suggestion job against the store (SQLite and PostgreSQL) with the real scorer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from digest.seed_world import MONDAY, runtime_for, seed
from sqlalchemy import select

from bot.jobs.suggest import open_suggestions, suggest_job
from bot.rules.gestures import SuggestionPolicy
from bot.runtime import Runtime
from config.settings import SettingsError, load_settings
from models.entities import Customer, Suggestion


def stored(runtime) -> list[Suggestion]:
    with runtime.session() as session:
        return list(session.scalars(select(Suggestion).order_by(Suggestion.id)))


def test_job_stores_each_gesture_once_and_lists_them(db_url):
    runtime = runtime_for(db_url)
    ids = seed(runtime)
    made = suggest_job(runtime, as_of=MONDAY)
    assert {(p.kind, p.customer) for p in made} == {
        ("check_in", "Ann <!channel> Lee"), ("congratulate", "Jane Doe"), ("share", "Bob Roe")}
    rows = stored(runtime)
    assert {(r.kind, r.customer_id, r.status, r.owner_user) for r in rows} == {
        ("check_in", ids["Ann <!channel> Lee"], "open", "U0SAM"),
        ("congratulate", ids["Jane Doe"], "open", "U0DANA"),
        ("share", ids["Bob Roe"], "open", "U0DANA")}
    assert all(r.suggested_at == MONDAY for r in rows)
    (congratulate,) = [r for r in rows if r.kind == "congratulate"]
    assert congratulate.post_url == "https://posts.example/j1?a=1&b=2" and congratulate.post_id is not None

    # a re-run, even a restarted process a little later, adds nothing
    assert suggest_job(runtime_for(db_url), as_of=MONDAY + timedelta(minutes=30)) == []
    assert len(stored(runtime)) == 3

    with runtime.session() as session:
        records = open_suggestions(session=session, as_of=MONDAY)
    # board order, as `strongtie status`, `/tie top` and App Home: heavy users first (revenue 300, 200, 100)
    assert [r["kind"] for r in records] == ["congratulate", "share", "check_in"]
    assert all(set(r) >= {"kind", "customer", "owner", "text", "post_url", "reason", "priority"} for r in records)


def test_dismissed_never_comes_back_and_snoozed_customers_get_nothing(db_url):
    runtime = runtime_for(db_url)
    ids = seed(runtime)
    suggest_job(runtime, as_of=MONDAY)
    with runtime.session() as session:
        for row in session.scalars(select(Suggestion)):
            row.status = "dismissed"
        session.get(Customer, ids["Bob Roe"]).snoozed_until = MONDAY + timedelta(days=30)
    week_later = MONDAY + timedelta(days=4)
    with runtime.session() as session:
        from models.entities import Post, Source

        bob_source = session.scalar(select(Source).where(Source.customer_id == ids["Bob Roe"]))
        session.add(Post(source_id=bob_source.id, customer_id=ids["Bob Roe"], external_id="b2", title="New post",
                         text="", published_at=week_later - timedelta(hours=1)))
    made = suggest_job(runtime, as_of=week_later)
    assert all(p.customer != "Bob Roe" for p in made)  # snoozed
    keys = [r.dedupe_key for r in stored(runtime)]
    assert len(keys) == len(set(keys))
    dismissed = {r.dedupe_key for r in stored(runtime) if r.status == "dismissed"}
    assert not dismissed & {p.dedupe_key for p in made}
    with runtime.session() as session:
        assert all(r["customer"] != "Bob Roe" for r in open_suggestions(session=session, as_of=week_later))


def test_daily_cap_is_a_parameter_of_the_job(db_url):
    runtime = runtime_for(db_url)
    seed(runtime)
    made = suggest_job(runtime, as_of=MONDAY, policy=SuggestionPolicy(daily_cap=1))
    assert sorted((p.owner, p.customer) for p in made) == [("U0DANA", "Jane Doe"), ("U0SAM", "Ann <!channel> Lee")]
    assert suggest_job(runtime, as_of=MONDAY + timedelta(hours=2), policy=SuggestionPolicy(daily_cap=1)) == []


def test_daily_cap_and_cool_down_are_settings(db_url):
    settings = load_settings({"STRONGTIE_DATABASE_URL": db_url, "STRONGTIE_SUGGEST_DAILY_CAP": "1",
                              "STRONGTIE_SUGGEST_COOLDOWN_DAYS": "10"})
    assert (settings.suggest_daily_cap, settings.suggest_cooldown_days) == (1, 10.0)
    runtime = Runtime(settings=settings)
    seed(runtime)
    assert len(suggest_job(runtime, as_of=MONDAY)) == 2  # one each for Dana and Sam
    # a week later Bob's post is still news, but Dana gave Jane a gesture within the 10-day cool-down
    made = suggest_job(runtime, as_of=MONDAY + timedelta(days=6))
    assert [p.customer for p in made] == ["Bob Roe"]
    with pytest.raises(SettingsError, match="STRONGTIE_SUGGEST_DAILY_CAP"):
        load_settings({"STRONGTIE_SUGGEST_DAILY_CAP": "0"})


def test_cli_suggest_json_and_text(cli, db_url):
    seed(runtime_for(db_url))
    result = cli("suggest", "--json", "--as-of", "2026-11-23T14:00:00Z")
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["customer"] for r in records] == ["Jane Doe", "Bob Roe", "Ann <!channel> Lee"]  # heavy users first
    assert {r["owner"] for r in records} == {"U0DANA", "U0SAM"}  # the JSON keeps the Slack id
    text = cli("suggest", "--as-of", "2026-11-23T14:00:00Z")
    assert text.exit_code == 0
    assert "1. [" in text.output and "Congratulate: Jane Doe (owner Dana Reyes)" in text.output
    assert "U0DANA" not in text.output
    assert "why: at risk" in text.output
