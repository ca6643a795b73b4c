"""X and LinkedIn inside a polling pass: budget pacing, rate limits, access refusals, skipping."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from fakes.feeds import FeedServer, Route, rss, sample_items
from fakes.linkedin_api import FakeLinkedInAPI
from fakes.x_api import FakeXAPI

from bot.jobs.poll import poll_job
from config.settings import Secret
from connectors.twitter import XConnector
from models.entities import Source
from models.store.usage import api_units

NOW = datetime(2026, 11, 16, 0, 0, tzinfo=timezone.utc)  # mid-month
X_TOKEN = "x-test-bearer-token"


@pytest.fixture
def x_api():
    """A loopback fake of the X API for the test."""
    with FakeXAPI(token=X_TOKEN) as running:
        yield running


def x_runtime(make_runtime, x_api, **overrides):
    """A Runtime whose X token and API URL point at the fake."""
    return make_runtime(x_bearer_token=Secret(X_TOKEN), twitter_api_url=x_api.base_url, **overrides)


def row(sessions, source_id) -> Source:
    """The source row as stored now."""
    with sessions() as session:
        return session.get(Source, source_id)


def test_x_reads_are_incremental_and_billed_units_are_counted(x_api, make_runtime, add_sources, sessions):
    x_api.add_user("janedoe", tweets=6)
    (source_id,) = add_sources(("twitter", "janedoe", None))
    runtime = x_runtime(make_runtime, x_api)
    assert poll_job(runtime, now=NOW).new_posts == 6
    x_api.post("janedoe", 2)
    assert poll_job(runtime, force=True, now=NOW + timedelta(hours=1)).new_posts == 2
    source = row(sessions, source_id)
    assert source.external_user_id and source.since_id == x_api.users["janedoe"].tweets[0]["id"]
    with sessions() as session:
        assert api_units("x", "2026-11", session=session) == 8 == x_api.posts_served


def test_a_failed_first_read_stores_the_resolved_user_id(x_api, make_runtime, add_sources, sessions):
    x_api.add_user("janedoe", tweets=4)
    x_api.fail_timelines(1)
    (source_id,) = add_sources(("twitter", "janedoe", None))
    runtime = x_runtime(make_runtime, x_api)
    assert poll_job(runtime, now=NOW).errors == 1
    source = row(sessions, source_id)
    assert source.last_status == "retrying" and source.external_user_id == x_api.users["janedoe"].id
    assert source.since_id is None
    assert poll_job(runtime, force=True, now=NOW + timedelta(hours=1)).new_posts == 4
    assert len([r for r in x_api.requests if "/by/username/" in r.path]) == 1  # not looked up again


def test_the_monthly_budget_is_never_passed_and_polls_are_spaced(x_api, make_runtime, add_sources, sessions, cli, monkeypatch):
    for name in ("ann", "bob"):
        x_api.add_user(name, tweets=40)
    ids = add_sources(("twitter", "ann", None), ("twitter", "bob", None))
    # $0.06 at $0.005 a post: 12 posts this month.
    runtime = x_runtime(make_runtime, x_api, x_monthly_budget_usd=0.06, x_price_per_post_usd=0.005)
    first = poll_job(runtime, now=NOW)
    assert first.new_posts == 12 and x_api.posts_served == 12  # 6 each: the cap, split fairly

    x_api.post("ann", 10)
    later = poll_job(runtime, force=True, now=NOW + timedelta(days=1))
    assert later.new_posts == 0 and later.skipped == 2 and later.sources == 2
    assert x_api.posts_served == 12
    next_month = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert all(row(sessions, i).last_status == "budget" and row(sessions, i).next_check_at == next_month for i in ids)
    assert row(sessions, ids[0]).last_error == (
        "X monthly budget (STRONGTIE_X_MONTHLY_BUDGET_USD) is paced: next read after 2026-12-01 00:00 UTC"
    )

    monkeypatch.setenv("STRONGTIE_X_PRICE_PER_POST_USD", "0.005")
    rows = json.loads(cli("sources", "--json").output)
    # the CLI reads the real clock; the spend is recorded under NOW's month
    if datetime.now(timezone.utc).strftime("%Y-%m") == "2026-11":
        assert {r["api_month_spend_usd"] for r in rows} == {0.06}


def test_an_x_rate_limit_sets_the_next_check_and_the_pass_goes_on(x_api, make_runtime, add_sources, sessions, monkeypatch):
    frozen = NOW.timestamp()  # X and the connector read the same pinned clock: the reset is 900 s away
    x_api.clock = lambda: frozen
    monkeypatch.setattr(XConnector, "clock", staticmethod(lambda: frozen))
    x_api.add_user("janedoe", tweets=3)
    with FeedServer() as feeds:
        url = feeds.add("/f.xml", Route(body=rss(sample_items("f", 2))))
        x_id, feed_id = add_sources(("twitter", "janedoe", None), ("rss", url, url))
        x_api.rate_limit(1)
        summary = poll_job(x_runtime(make_runtime, x_api, poll_concurrency=1), now=NOW)
    assert summary.new_posts == 2 and summary.errors == 1
    source = row(sessions, x_id)
    assert source.last_status == "rate_limited"
    assert NOW + timedelta(seconds=900) <= source.next_check_at <= NOW + timedelta(seconds=905)  # + jitter
    assert row(sessions, feed_id).last_status == "ok"


def test_an_x_access_level_refusal_is_retried_daily(x_api, make_runtime, add_sources, sessions):
    x_api.add_user("janedoe", tweets=3)
    x_api.refuse_access_level()
    (source_id,) = add_sources(("twitter", "janedoe", None))
    poll_job(x_runtime(make_runtime, x_api), now=NOW)
    source = row(sessions, source_id)
    assert source.last_status == "error" and "access level" in source.last_error
    assert source.next_check_at == NOW + timedelta(days=1)
    assert X_TOKEN not in source.last_error


def test_linkedin_posts_arrive_and_a_refusal_names_the_missing_access(make_runtime, add_sources, sessions):
    with FakeLinkedInAPI() as linkedin:
        linkedin.publish("urn:li:organization:1", 3)
        ok_id, denied_id = add_sources(("linkedin", "urn:li:organization:1", None), ("linkedin", "urn:li:organization:2", None))
        runtime = make_runtime(linkedin_access_token=Secret(linkedin.token), linkedin_api_url=linkedin.base_url)
        assert poll_job(runtime, now=NOW).new_posts == 3
        linkedin.deny_access()
        poll_job(runtime, force=True, now=NOW + timedelta(hours=1))
    denied = row(sessions, denied_id)
    assert denied.last_status == "error" and "r_organization_social" in denied.last_error
    assert row(sessions, ok_id).last_status == "error"


def test_networks_without_a_token_are_skipped_quietly(make_runtime, add_sources, sessions):
    ids = add_sources(("twitter", "janedoe", None), ("linkedin", "urn:li:organization:1", None))
    summary = poll_job(make_runtime(), now=NOW)
    assert (summary.sources, summary.skipped, summary.errors) == (2, 2, 0)
    for source_id in ids:
        source = row(sessions, source_id)
        assert source.last_status == "skipped" and source.error_count == 0
        assert "is not set" in source.last_error
