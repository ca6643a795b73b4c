"""The Bluesky connector against a loopback fake of the AppView's getAuthorFeed: posts, replies,
reposts and mentions told apart, cursor paging that stops where the last read did, rate limits
honoured, and the profile's RSS feed read instead when the account refuses logged-out readers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fakes.bluesky_api import CLOCK, FakeBlueskyAPI
from fakes.feeds import FeedServer, Route, rss, sample_items

from connectors.base import Cursor, FatalError, RateLimitedError, RetriableError, SourceRef
from connectors.bluesky import BlueskyConnector
from connectors.feeds import FeedConnector
from connectors.http import HttpClient
from connectors.social import POST, REPLY, REPOST, RSS_UNTIL, SocialRecord

JANE, DANA = "jane.example.com", "dana.bsky.social"
T0 = datetime(2026, 12, 3, 10, tzinfo=timezone.utc)


@pytest.fixture
def fake():
    with FakeBlueskyAPI() as server:
        yield server


def connector(fake: FakeBlueskyAPI, *, page_size: int | None = None, feeds: FeedConnector | None = None) -> BlueskyConnector:
    declared = {"clock": staticmethod(lambda: float(CLOCK)), **({"max_page_size": page_size} if page_size else {})}
    cls = type("TestBluesky", (BlueskyConnector,), declared)
    return cls(HttpClient(allow_private=True), api_url=fake.base_url, feeds=feeds)


def source(url: str | None = None) -> SourceRef:
    return SourceRef("bluesky", JANE, url)


def test_posts_replies_reposts_and_mentions_are_told_apart(fake):
    dana_post = fake.post(DANA, "We shipped the new importer", T0)
    fake.post(JANE, "Our Q4 roadmap is out", T0 + timedelta(hours=1))
    reply = fake.post(JANE, "Congrats, this is great!", T0 + timedelta(hours=2), reply_to=dana_post)
    fake.repost(JANE, dana_post, T0 + timedelta(hours=3))
    fake.post(JANE, "Thanks for the help", T0 + timedelta(hours=4), mention=DANA)
    own = fake.post(JANE, "A thread", T0 + timedelta(hours=5))
    fake.post(JANE, "continued", T0 + timedelta(hours=6), reply_to=own)

    result = connector(fake).fetch(source(), Cursor())
    records = result.records
    assert all(isinstance(r, SocialRecord) and r.network == "bluesky" for r in records)
    assert [(r.action, r.actor, r.target_author, r.mentions) for r in records] == [
        (POST, JANE, "", ()),  # a thread its author continued is still a post
        (POST, JANE, "", ()),
        (POST, JANE, "", (DANA,)),
        (REPOST, JANE, DANA, ()),
        (REPLY, JANE, DANA, ()),
        (POST, JANE, "", ()),
    ]
    reply_record = records[4]
    assert reply_record.external_id == reply and reply_record.target_id == dana_post
    assert reply_record.target_author_id == fake.dids[DANA]
    assert reply_record.url.startswith(f"https://bsky.app/profile/{JANE}/post/")
    assert reply_record.published_at == T0 + timedelta(hours=2)
    repost = records[3]
    assert repost.target_id == dana_post and repost.published_at == T0 + timedelta(hours=3)
    assert repost.external_id == f"repost:{fake.dids[JANE]}:{dana_post}"
    assert result.cursor.external_user_id == fake.dids[JANE]  # the handle was resolved once, to its DID
    assert [r.params.get("actor") for r in fake.feed_reads()] == [fake.dids[JANE]]


def test_later_reads_page_until_what_was_read_and_nothing_new_is_nothing(fake):
    fake.post(JANE, "first", T0)
    bluesky = connector(fake, page_size=2)
    first = bluesky.fetch(source(), Cursor())
    for n in range(5):
        fake.post(JANE, f"new {n}", T0 + timedelta(hours=n + 1))
    before = len(fake.feed_reads())
    second = bluesky.fetch(source(), first.cursor)
    assert [r.text for r in second.records] == [f"new {n}" for n in (4, 3, 2, 1, 0)]
    assert [r.params.get("cursor") for r in fake.feed_reads()[before:]] == [None, "2", "4"]
    assert not [r for r in fake.requests[before:] if "resolveHandle" in r.path]  # the DID is in the cursor
    third = bluesky.fetch(source(), second.cursor)
    assert third.records == [] and third.cursor.since_id == second.cursor.since_id


def test_a_repost_of_an_old_post_is_new_by_the_time_it_was_reposted(fake):
    old = fake.post(DANA, "an old post", T0 - timedelta(days=30))
    fake.post(JANE, "hello", T0)
    bluesky = connector(fake)
    first = bluesky.fetch(source(), Cursor())
    fake.repost(JANE, old, T0 + timedelta(hours=1))
    second = bluesky.fetch(source(), first.cursor)
    assert [(r.action, r.target_id) for r in second.records] == [(REPOST, old)]


def test_a_rate_limit_waits_until_bluesky_s_reset_moment(fake):
    fake.post(JANE, "hello", T0)
    fake.rate_limit(reset_in=420)
    with pytest.raises(RateLimitedError) as raised:
        connector(fake).fetch(source(), Cursor())
    assert raised.value.retry_after == 420
    assert len(fake.feed_reads()) == 1  # no retry loop


def test_a_used_up_rate_limit_stops_paging_until_the_reset(fake):
    fake.post(JANE, "first", T0)
    bluesky = connector(fake, page_size=2)
    first = bluesky.fetch(source(), Cursor())
    for n in range(5):
        fake.post(JANE, f"new {n}", T0 + timedelta(hours=n + 1))
    fake.remaining = 0
    before = len(fake.feed_reads())
    with pytest.raises(RateLimitedError) as raised:
        bluesky.fetch(source(), first.cursor)
    assert raised.value.retry_after == 300 and len(fake.feed_reads()) == before + 1
    assert raised.value.cursor.since_id == first.cursor.since_id  # read again, whole, after the reset


@pytest.mark.parametrize(
    "status, error",
    [
        pytest.param(500, RetriableError, id="500-retried"),
        pytest.param(404, FatalError, id="404-fatal"),
    ],
)
def test_other_failures_keep_their_classes(fake, status, error):
    fake.post(JANE, "hello", T0)
    fake.fail(1, status)
    with pytest.raises(error) as raised:
        connector(fake).fetch(source(), Cursor())
    assert str(status) in raised.value.message


def test_an_unknown_handle_is_fatal(fake):
    with pytest.raises(FatalError):
        connector(fake).fetch(SourceRef("bluesky", "nobody.example.com"), Cursor())


def test_an_account_refusing_logged_out_readers_is_read_from_its_rss_feed_for_a_day(fake):
    fake.post(JANE, "hello", T0)
    fake.refuse(JANE)
    with FeedServer() as feeds_server:
        url = feeds_server.add("/profile/jane/rss", Route(body=rss(sample_items("jane", 2))))
        http = HttpClient(allow_private=True)
        bluesky = connector(fake, feeds=FeedConnector(http))
        first = bluesky.fetch(source(url), Cursor(url=url))
        assert [r.title for r in first.records] == ["jane post 0", "jane post 1"]
        assert "refuses" in first.warning and "RSS" in first.warning and "403" in first.warning
        assert first.cursor.extra[RSS_UNTIL] == CLOCK + 86_400
        reads = len(fake.feed_reads())
        again = bluesky.fetch(source(url), first.cursor)  # within the day: straight to the feed, a 304
        assert again.not_modified and len(fake.feed_reads()) == reads

    with pytest.raises(FatalError, match="403"):  # without a feed to fall back on, the refusal stands
        connector(fake).fetch(source(), Cursor())
