"""A source that failed because of a setting is read at the very next pass once the setting changes,
and a quiet source is read again within the quiet-source cap, not a day later."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fakes.feeds import FeedServer, Route, rss, sample_items

from bot.jobs.poll import poll_job
from config.settings import Secret
from models.entities import Source

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def test_a_feed_refused_as_private_is_read_at_the_next_pass_after_allowing_private_networks(
        server, make_runtime, add_sources, sessions):
    url = server.add("/f.xml", Route(body=rss(sample_items("a", 2, now=NOW))))
    (source_id,) = add_sources(("rss", url, url))
    refused = poll_job(make_runtime(allow_private_networks=False), now=NOW)
    assert refused.errors == 1
    with sessions() as session:
        assert session.get(Source, source_id).last_status == "refused"
    # The operator sets STRONGTIE_ALLOW_PRIVATE_NETWORKS=1 and restarts; the next pass, a minute
    # later and without --force, reads the feed.
    allowed = poll_job(make_runtime(allow_private_networks=True), now=NOW + timedelta(minutes=1))
    assert (allowed.sources, allowed.new_posts, allowed.errors) == (1, 2, 0)


def test_a_source_skipped_for_a_missing_token_is_read_at_the_next_pass_after_the_token_is_set(
        make_runtime, add_sources, sessions):
    (source_id,) = add_sources(("twitter", "janedoe", None))
    skipped = poll_job(make_runtime(), now=NOW)
    assert skipped.skipped == 1
    with sessions() as session:
        assert session.get(Source, source_id).next_check_at <= NOW
    again = poll_job(make_runtime(x_bearer_token=Secret("set-now"), twitter_api_url="http://127.0.0.1:9"),
                     now=NOW + timedelta(minutes=1))
    assert again.sources == 1  # due at once: the setting may have changed


def test_a_quiet_feed_is_checked_again_within_the_cap_not_a_day_later(server, make_runtime, add_sources, sessions):
    old = NOW - timedelta(days=30)
    url = server.add("/f.xml", Route(body=rss(sample_items("a", 2, now=old))))
    (source_id,) = add_sources(("rss", url, url))
    runtime = make_runtime(poll_max_interval_hours=3)
    poll_job(runtime, now=NOW)
    with sessions() as session:
        source = session.get(Source, source_id)
        assert source.check_interval_seconds == 3 * 3600
        assert source.next_check_at == NOW + timedelta(hours=3)
    assert poll_job(runtime, now=NOW + timedelta(hours=3)).sources == 1
