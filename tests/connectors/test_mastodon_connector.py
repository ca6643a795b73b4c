"""The Mastodon connector against a loopback fake of a server's public API: posts, replies, boosts
and mentions told apart, since_id and Link-header paging, rate limits and the RSS fall back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fakes.mastodon_api import CLOCK, FakeMastodonAPI

from connectors.base import Cursor, RateLimitedError, RetriableError, SourceRef
from connectors.http import HttpClient
from connectors.mastodon import MastodonConnector
from connectors.social import POST, REPLY, REPOST, RefusedError

JANE, DANA = "@jane@mastodon.example", "@dana@other.example"
T0 = datetime(2026, 12, 3, 10, tzinfo=timezone.utc)
SOURCE = SourceRef("mastodon", JANE)


@pytest.fixture
def fake():
    with FakeMastodonAPI() as server:
        yield server


def connector(fake: FakeMastodonAPI, *, page_size: int | None = None) -> MastodonConnector:
    declared = {"clock": staticmethod(CLOCK.timestamp), **({"max_page_size": page_size} if page_size else {})}
    return type("TestMastodon", (MastodonConnector,), declared)(HttpClient(allow_private=True), api_url=fake.base_url)


def test_posts_replies_boosts_and_mentions_are_told_apart(fake):
    dana_post = fake.post(DANA, "We shipped", T0)
    fake.post(JANE, "Roadmap", T0 + timedelta(hours=1))
    fake.post(JANE, "Congrats!", T0 + timedelta(hours=2), reply_to=dana_post)
    fake.boost(JANE, dana_post, T0 + timedelta(hours=3))
    fake.post(JANE, "Thanks", T0 + timedelta(hours=4), mention=DANA)
    result = connector(fake).fetch(SOURCE, Cursor())
    assert [(r.action, r.actor, r.target_author, r.mentions) for r in result.records] == [
        (POST, JANE, "", (DANA,)), (REPOST, JANE, DANA, ()), (REPLY, JANE, DANA, (DANA,)), (POST, JANE, "", ()),
    ]
    assert result.records[1].target_id == dana_post and result.records[1].text == "We shipped"
    assert result.records[3].text == "Roadmap" and result.records[3].published_at == T0 + timedelta(hours=1)
    assert result.cursor.external_user_id == fake.account(JANE)["id"]


def test_later_reads_use_since_id_and_page_back_through_the_link_header(fake):
    fake.post(JANE, "first", T0)
    mastodon = connector(fake, page_size=2)
    first = mastodon.fetch(SOURCE, Cursor())
    for n in range(5):
        fake.post(JANE, f"new {n}", T0 + timedelta(hours=n + 1))
    before = len(fake.status_reads())
    second = mastodon.fetch(SOURCE, first.cursor)
    assert [r.text for r in second.records] == [f"new {n}" for n in (4, 3, 2, 1, 0)]
    reads = fake.status_reads()[before:]
    assert all(r.params["since_id"] == first.cursor.since_id for r in reads)
    assert [("max_id" in r.params) for r in reads] == [False, True, True]
    assert mastodon.fetch(SOURCE, second.cursor).records == []


def test_a_rate_limit_waits_until_x_ratelimit_reset(fake):
    fake.account(JANE)
    fake.rate_limit(reset_in=600)
    with pytest.raises(RateLimitedError) as raised:
        connector(fake).fetch(SOURCE, Cursor())
    assert raised.value.retry_after == 600


@pytest.mark.parametrize("status", [pytest.param(401, id="401-login-required"), pytest.param(403, id="403-forbidden")])
def test_a_server_requiring_a_login_is_refused_without_a_feed_to_fall_back_on(fake, status):
    fake.account(JANE)
    fake.fail(1, status)
    with pytest.raises(RefusedError, match=str(status)):
        connector(fake).fetch(SOURCE, Cursor())


def test_a_server_error_is_retriable(fake):
    fake.account(JANE)
    fake.fail(1, 503)
    with pytest.raises(RetriableError):
        connector(fake).fetch(SOURCE, Cursor())
