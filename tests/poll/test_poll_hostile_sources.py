"""Hostile or odd sources inside a polling pass, on SQLite and PostgreSQL: whatever a source sends
is stored cleaned and bounded (or the read fails alone), a slow source does not hold the pass, and
what X billed is counted even when storing the read then fails."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from fakes.feeds import FeedServer, Item, Route, rss, sample_items
from fakes.x_api import FakeXAPI
from sqlalchemy import select

from bot.jobs import poll as poll_module
from bot.jobs.poll import poll_job
from config.settings import Secret
from models.entities import Post, Source
from models.store.usage import api_units

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
X_TOKEN = "x-test-bearer-token"
CONTROL = "\x1b]0;pwned\x07\x1b[2J\x9b"


@pytest.fixture
def server():
    """A loopback feed server for the test."""
    with FeedServer() as running:
        yield running


def stored(sessions, source_id) -> tuple[Source, list[Post]]:
    """The source row and its posts as stored now."""
    with sessions() as session:
        posts = list(session.scalars(select(Post).where(Post.source_id == source_id).order_by(Post.id)))
        return session.get(Source, source_id), posts


def hostile_feed() -> bytes:
    """A feed whose every field is odd: NUL and terminal escapes, GUIDs longer than the column
    sharing a 500-character prefix, dates in the years 10000, 9999 and 0 (in UTC), a huge author."""
    prefix = "g" * 500
    body = rss([
        Item(title="Clean title", guid=prefix + "-one", description="first"),
        Item(title="Other title", guid=prefix + "-two", description="second"),
        Item(title="late", guid="late", description="x"),
        Item(title="future", guid="future", description="x", published=datetime(9999, 12, 31, 12, tzinfo=timezone.utc)),
        Item(title="early", guid="early", description="x"),
    ])
    return (
        body.replace(b"Clean title", ("A\x00B " + CONTROL + " title").encode())
        .replace(b"<title>late</title>", b"<title>late</title><pubDate>Fri, 31 Dec 9999 23:00:00 -0500</pubDate>"
                 b"<dc:date xmlns:dc='http://purl.org/dc/elements/1.1/'>9999-12-31T23:59:59-01:00</dc:date>")
        .replace(b"<title>early</title>", b"<title>early</title><dc:date xmlns:dc='http://purl.org/dc/elements/1.1/'>"
                 b"0001-01-01T00:00:00+01:00</dc:date>")
        .replace(b"<description>second</description>", b"<description>second</description><author>"
                 + b"a" * 1000 + b"</author>")
    )


def test_whatever_a_feed_sends_is_stored_cleaned_and_bounded(server, make_runtime, add_sources, sessions):
    headers = {"ETag": '"' + "e" * 600 + '"', "Last-Modified": "Sat, 01 Nov 2026 00:00:00 GMT" + " " * 100 + "x"}
    url = server.add("/hostile.xml", Route(body=hostile_feed(), validators=False, headers=headers))
    (source_id,) = add_sources(("rss", url, url))
    summary = poll_job(make_runtime(), now=NOW)
    source, posts = stored(sessions, source_id)
    assert summary.errors == 0, summary.problems
    assert source.last_status == "ok"
    assert source.etag is None and source.last_modified is None  # would not fit: dropped, not cut
    assert len(posts) == 5  # the two long GUIDs sharing a 500-character prefix stay two posts
    assert len({p.external_id for p in posts}) == 5 and all(len(p.external_id) <= 500 for p in posts)
    by_title = {p.title: p for p in posts}
    assert any(title.startswith("AB ]0;pwned[2J") for title in by_title)  # NUL, ESC and BEL gone
    for post in posts:
        for text in (post.title, post.text, post.author or "", post.external_id):
            assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text), text
        assert post.author is None or len(post.author) <= 300
    assert by_title["late"].published_at is None  # in the year 10000 (UTC): no date
    assert by_title["future"].published_at == NOW  # after it was read: it was published by then
    assert by_title["early"].published_at is None  # before 1970: no date


def test_a_trickling_source_does_not_hold_the_pass(server, make_runtime, add_sources, sessions):
    fine = [server.add(f"/f{n}.xml", Route(body=rss(sample_items(f"c{n}", 2, now=NOW)))) for n in range(3)]
    slow = server.add("/slow.xml", Route(trickle=0.02, endless=True))
    ids = add_sources(*[("rss", u, u) for u in [*fine, slow]])
    started = time.monotonic()
    summary = poll_job(make_runtime(poll_fetch_timeout_seconds=0.5), now=NOW)
    assert time.monotonic() - started < 3.0  # the slow body would never end
    assert (summary.new_posts, summary.errors) == (6, 1)
    slow_row, _ = stored(sessions, ids[-1])
    assert slow_row.last_status == "retrying" and slow_row.last_error.startswith("timed out")


def test_a_failure_message_is_stored_and_reported_without_terminal_escapes(server, make_runtime, add_sources, sessions):
    # feedparser quotes the charset the server declared in its message: escapes included.
    url = server.add("/page.html", Route(body=b"<html>nothing</html>", content_type="text/html; charset=\x1b[2Jx\x07"))
    (source_id,) = add_sources(("rss", url, url))
    summary = poll_job(make_runtime(), now=NOW)
    source, _ = stored(sessions, source_id)
    assert summary.errors == 1 and "declared as [2Jx," in source.last_error
    for text in (source.last_error, *summary.problems):
        assert "\x1b" not in text and "\x07" not in text


@pytest.fixture
def x_api():
    """A loopback fake of the X API for the test."""
    with FakeXAPI(token=X_TOKEN) as running:
        yield running


def test_x_units_are_counted_even_when_storing_the_read_fails(x_api, make_runtime, add_sources, sessions, monkeypatch):
    x_api.add_user("janedoe", tweets=7)
    add_sources(("twitter", "janedoe", None))
    runtime = make_runtime(x_bearer_token=Secret(X_TOKEN), twitter_api_url=x_api.base_url)

    def refuse(*args, **kwargs):
        raise RuntimeError("the store refused the posts")

    monkeypatch.setattr(poll_module, "store_posts_of", refuse)
    summary = poll_job(runtime, now=NOW)
    assert summary.errors == 1 and x_api.posts_served == 7
    with sessions() as session:
        assert api_units("x", "2026-11", session=session) == 7
