"""One polling pass end to end on the store (SQLite and PostgreSQL) against loopback feeds."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from fakes.feeds import FeedServer, Item, Route, rss, sample_items
from sqlalchemy import func, select

from bot.jobs import poll as poll_module
from bot.jobs.poll import PollSummary, poll_job
from models.entities import Post, Source

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def server():
    """A loopback feed server for the test."""
    with FeedServer() as running:
        yield running


def source(sessions, source_id) -> Source:
    """The source row as stored now."""
    with sessions() as session:
        return session.get(Source, source_id)


def post_ids(sessions, source_id) -> list[str]:
    """The external ids of the source's stored posts, sorted."""
    with sessions() as session:
        return sorted(session.scalars(select(Post.external_id).where(Post.source_id == source_id)))


def total_posts(sessions) -> int:
    """How many posts are stored, all sources together."""
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Post))


def test_a_pass_stores_new_posts_and_a_second_pass_is_all_304(server, make_runtime, add_sources, sessions):
    urls = [server.add(f"/f{n}.xml", Route(body=rss(sample_items(f"c{n}", 3, now=NOW)))) for n in range(4)]
    ids = add_sources(*[("rss", url, url) for url in urls])
    runtime = make_runtime()

    first = poll_job(runtime, now=NOW)
    assert (first.sources, first.new_posts, first.not_modified, first.errors) == (4, 12, 0, 0)
    assert post_ids(sessions, ids[0]) == ["c0-0", "c0-1", "c0-2"]
    row = source(sessions, ids[0])
    assert row.last_status == "ok" and row.etag and row.last_error is None
    assert row.last_polled_at == NOW

    sent = sum(server.body_bytes.values())
    second = poll_job(runtime, force=True, now=NOW + timedelta(minutes=1))
    assert (second.sources, second.new_posts, second.not_modified, second.errors) == (4, 0, 4, 0)
    assert sum(server.body_bytes.values()) == sent  # no feed body re-sent
    assert total_posts(sessions) == 12
    assert source(sessions, ids[0]).last_status == "not_modified"
    assert "4 not modified (304)" in second.line()


def test_only_due_sources_are_read_unless_forced(server, make_runtime, add_sources):
    url = server.add("/f.xml", Route(body=rss(sample_items("a", 1, now=NOW))))
    add_sources(("rss", url, url))
    runtime = make_runtime()
    poll_job(runtime, now=NOW)
    assert poll_job(runtime, now=NOW + timedelta(minutes=1)).sources == 0
    assert poll_job(runtime, force=True, now=NOW + timedelta(minutes=1)).sources == 1
    assert poll_job(runtime, now=NOW + timedelta(days=2)).sources == 1


def test_changed_feed_stores_only_the_new_entry(server, make_runtime, add_sources, sessions):
    items = sample_items("a", 3, now=NOW)
    url = server.add("/f.xml", Route(body=rss(items)))
    (source_id,) = add_sources(("rss", url, url))
    runtime = make_runtime()
    poll_job(runtime, now=NOW)
    server.add("/f.xml", Route(body=rss([Item(title="fresh", guid="a-new", published=NOW)] + items)))
    summary = poll_job(runtime, force=True, now=NOW + timedelta(hours=1))
    assert summary.new_posts == 1
    assert post_ids(sessions, source_id) == ["a-0", "a-1", "a-2", "a-new"]


def test_duplicate_entries_within_one_feed_are_stored_once(server, make_runtime, add_sources, sessions):
    item = Item(title="twice", guid="same", published=NOW)
    url = server.add("/f.xml", Route(body=rss([item, item])))
    (source_id,) = add_sources(("rss", url, url))
    assert poll_job(make_runtime(), now=NOW).new_posts == 1
    assert post_ids(sessions, source_id) == ["same"]


def test_one_bad_source_never_stops_the_pass(server, make_runtime, add_sources, sessions):
    good = server.add("/good.xml", Route(body=rss(sample_items("g", 2, now=NOW))))
    specs = {
        "good": good,
        "missing": server.url("/nowhere.xml"),
        "gone": server.add("/gone.xml", Route(status=410)),
        "broken": server.add("/down.xml", Route(status=503)),
        "busy": server.add("/busy.xml", Route(status=429, headers={"Retry-After": "3600"})),
        "html": server.add("/page.html", Route(body=b"<html><body>hi</body></html>", content_type="text/html")),
    }
    ids = dict(zip(specs, add_sources(*[("rss", url, url) for url in specs.values()])))
    summary = poll_job(make_runtime(), now=NOW)
    assert (summary.sources, summary.new_posts, summary.errors, summary.disabled) == (6, 2, 5, 1)

    rows = {name: source(sessions, source_id) for name, source_id in ids.items()}
    assert rows["good"].last_status == "ok" and rows["good"].error_count == 0
    assert rows["missing"].last_status == "error" and "404" in rows["missing"].last_error
    assert rows["missing"].next_check_at == NOW + timedelta(days=1)
    assert rows["gone"].last_status == "disabled" and rows["gone"].enabled is False
    assert rows["broken"].last_status == "retrying" and rows["broken"].error_count == 1
    assert NOW + timedelta(seconds=60) <= rows["broken"].next_check_at <= NOW + timedelta(seconds=180)
    assert rows["busy"].next_check_at >= NOW + timedelta(seconds=3600)
    assert "not a readable feed" in rows["html"].last_error
    assert len(summary.problems) == 5


def test_retriable_errors_back_off_exponentially(server, make_runtime, add_sources, sessions):
    url = server.add("/down.xml", Route(status=500))
    (source_id,) = add_sources(("rss", url, url))
    runtime = make_runtime()
    waits = []
    moment = NOW
    for _ in range(4):
        poll_job(runtime, force=True, now=moment)
        waits.append((source(sessions, source_id).next_check_at - moment).total_seconds())
    assert source(sessions, source_id).error_count == 4
    for earlier, later in zip(waits, waits[1:]):
        assert later > earlier * 1.3  # doubles each time, jitter of at most 1.5x cannot undo it


def test_disabled_sources_are_not_read_even_when_forced(server, make_runtime, add_sources):
    url = server.add("/gone.xml", Route(status=410))
    add_sources(("rss", url, url))
    runtime = make_runtime()
    poll_job(runtime, now=NOW)
    assert poll_job(runtime, force=True, now=NOW).sources == 0
    assert server.hits["/gone.xml"] == 1


def test_a_permanent_redirect_updates_the_stored_url(server, make_runtime, add_sources, sessions):
    new = server.add("/new.xml", Route(body=rss(sample_items("m", 1, now=NOW))))
    old = server.add("/old.xml", Route(status=308, location="/new.xml"))
    (source_id,) = add_sources(("rss", old, old))
    poll_job(make_runtime(), now=NOW)
    row = source(sessions, source_id)
    assert row.url == new and row.target == old


def test_an_ill_formed_feed_is_ok_with_its_warning_recorded(server, make_runtime, add_sources, sessions):
    body = rss(sample_items("b", 2, now=NOW)).replace(b"</channel></rss>", b"<item><title>oops &")
    url = server.add("/bozo.xml", Route(body=body))
    (source_id,) = add_sources(("rss", url, url))
    summary = poll_job(make_runtime(), now=NOW)
    row = source(sessions, source_id)
    assert summary.errors == 0 and row.last_status == "ok"
    assert row.last_error.startswith("ill-formed feed")
    assert len(post_ids(sessions, source_id)) >= 2


def test_private_addresses_are_refused_without_the_setting(server, make_runtime, add_sources, sessions):
    url = server.add("/f.xml", Route(body=rss(sample_items("p", 1, now=NOW))))
    (source_id,) = add_sources(("rss", url, url))
    poll_job(make_runtime(allow_private_networks=False), now=NOW)
    row = source(sessions, source_id)
    assert row.last_status == "refused" and "STRONGTIE_ALLOW_PRIVATE_NETWORKS" in row.last_error
    assert server.hits["/f.xml"] == 0


@pytest.mark.parametrize(
    "recent_posts, expected_seconds",
    [
        pytest.param(1, 3 * 3600, id="weekly-poster-checked-at-the-3-hour-cap"),
        pytest.param(14, 3 * 3600, id="twice-a-day-poster-at-the-cap"),
        pytest.param(84, 2 * 3600, id="every-other-hour-poster"),
        pytest.param(500, 30 * 60, id="prolific-poster-clamped-to-minimum"),
    ],
)
def test_the_next_check_follows_the_publishing_rhythm(server, make_runtime, add_sources, sessions, recent_posts, expected_seconds):
    items = [Item(title=f"p{n}", guid=f"p{n}", published=NOW - timedelta(minutes=10 * n)) for n in range(recent_posts)]
    url = server.add("/f.xml", Route(body=rss(items)))
    (source_id,) = add_sources(("rss", url, url))
    poll_job(make_runtime(), now=NOW)
    row = source(sessions, source_id)
    assert row.check_interval_seconds == expected_seconds
    assert row.next_check_at == NOW + timedelta(seconds=expected_seconds)


def test_at_most_poll_per_host_requests_at_once(server, make_runtime, add_sources):
    urls = [server.add(f"/f{n}.xml", Route(body=rss(sample_items(f"h{n}", 1, now=NOW)), delay=0.05)) for n in range(8)]
    add_sources(*[("rss", url, url) for url in urls])
    poll_job(make_runtime(poll_concurrency=8, poll_per_host=2), now=NOW)
    assert 1 <= server.max_in_flight <= 2


def test_requests_to_one_host_do_overlap_up_to_the_limit(server, make_runtime, add_sources):
    # Each request waits at the barrier for a second one: if the poller sent them one at a time,
    # they would be answered 500 and counted as errors.
    pair = threading.Barrier(2)
    urls = [server.add(f"/f{n}.xml", Route(body=rss(sample_items(f"o{n}", 1, now=NOW)), barrier=pair)) for n in range(6)]
    add_sources(*[("rss", url, url) for url in urls])
    summary = poll_job(make_runtime(poll_concurrency=8, poll_per_host=2), now=NOW)
    assert summary.errors == 0 and summary.new_posts == 6
    assert server.max_in_flight <= 2


def test_a_slack_mention_in_a_feed_is_stored_as_the_plain_text_it_shows(server, make_runtime, add_sources, sessions):
    # The feed's HTML says "&lt;!channel&gt;": readers see the text <!channel>, and so is it
    # stored (plain text; the Slack layer escapes it when it displays it).
    item = Item(title="&lt;!channel&gt; all hands", guid="m1", description="<p>&lt;!channel&gt; &amp; &lt;@U123&gt; please read</p>", published=NOW)
    url = server.add("/mention.xml", Route(body=rss([item])))
    (source_id,) = add_sources(("rss", url, url))
    poll_job(make_runtime(), now=NOW)
    with sessions() as session:
        post = session.scalars(select(Post).where(Post.source_id == source_id)).one()
    assert post.title == "<!channel> all hands"
    assert post.text == "<!channel> & <@U123> please read"


class Crash(BaseException):
    """Stands for the process dying (not an Exception: nothing in the pass may swallow it)."""


@pytest.mark.parametrize(
    "failure, pass_survives",
    [
        pytest.param(RuntimeError("disk full"), True, id="store-error-for-one-source"),
        pytest.param(Crash(), False, id="process-dies-mid-pass"),
    ],
)
def test_a_failure_mid_pass_neither_loses_nor_duplicates(server, make_runtime, add_sources, sessions, monkeypatch, failure, pass_survives):
    urls = [server.add(f"/f{n}.xml", Route(body=rss(sample_items(f"s{n}", 3, now=NOW)))) for n in range(5)]
    ids = add_sources(*[("rss", url, url) for url in urls])
    victim = ids[2]
    real_store = poll_module.store_posts_of

    def failing_store(reads, **kwargs):
        inserted = real_store(reads, **kwargs)  # rows written, then the failure
        if victim in {read.source_id for read in reads}:
            raise failure
        return inserted

    monkeypatch.setattr(poll_module, "store_posts_of", failing_store)
    runtime = make_runtime(poll_concurrency=1)
    if pass_survives:
        summary = poll_job(runtime, now=NOW)
        assert summary.errors == 1 and summary.new_posts == 12
        row = source(sessions, victim)
        assert row.last_status == "retrying" and "could not store" in row.last_error
        assert row.etag is None  # the cursor did not move: the next pass reads it again
    else:
        with pytest.raises(Crash):
            poll_job(runtime, now=NOW)
    assert post_ids(sessions, victim) == []  # the victim's transaction rolled back whole

    monkeypatch.setattr(poll_module, "store_posts_of", real_store)
    poll_job(runtime, force=True, now=NOW + timedelta(minutes=5))
    for n, source_id in enumerate(ids):
        assert post_ids(sessions, source_id) == [f"s{n}-0", f"s{n}-1", f"s{n}-2"]
    assert total_posts(sessions) == 15


def test_progress_is_reported_per_source(server, make_runtime, add_sources):
    urls = [server.add(f"/f{n}.xml", Route(body=rss(sample_items(f"q{n}", 1, now=NOW)))) for n in range(3)]
    add_sources(*[("rss", url, url) for url in urls])
    seen = []
    poll_job(make_runtime(), now=NOW, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_summary_line_reads_well():
    line = PollSummary(sources=3, new_posts=1, not_modified=2, errors=0).line()
    assert line.startswith("Polled 3 sources: 1 new post, 2 not modified (304), 0 errors in ")


@pytest.mark.parametrize(
    "retry_after, low, high",
    [
        pytest.param("315360000", 7 * 86400, 7 * 86400, id="ten-years-capped-at-a-week"),
        pytest.param("9" * 30, 7 * 86400, 7 * 86400, id="overflowing-capped-at-a-week"),
        pytest.param("Fri, 31 Dec 9999 23:59:59 GMT", 7 * 86400, 7 * 86400, id="far-http-date-capped"),
        pytest.param("Thu, 01 Jan 2015 00:00:00 GMT", 60, 90, id="past-http-date-backs-off"),
        pytest.param("-30", 60, 90, id="negative-ignored"),
        pytest.param("whenever", 60, 90, id="garbage-ignored"),
    ],
)
def test_retry_after_is_capped_and_never_breaks_the_store(server, make_runtime, add_sources, sessions, retry_after, low, high):
    url = server.add("/busy.xml", Route(status=429, headers={"Retry-After": retry_after}))
    (source_id,) = add_sources(("rss", url, url))
    summary = poll_job(make_runtime(), now=NOW)
    row = source(sessions, source_id)
    assert summary.errors == 1 and row.last_status == "retrying"
    assert "rate limited" in row.last_error  # not "could not store ... OverflowError"
    assert NOW + timedelta(seconds=low) <= row.next_check_at <= NOW + timedelta(seconds=high)


def test_retry_after_as_an_http_date_sets_the_next_check(server, make_runtime, add_sources, sessions):
    from email.utils import format_datetime

    now = datetime.now(timezone.utc).replace(microsecond=0)  # the connector reads the wall clock
    url = server.add("/busy.xml", Route(status=503, headers={"Retry-After": format_datetime(now + timedelta(hours=6), usegmt=True)}))
    (source_id,) = add_sources(("rss", url, url))
    poll_job(make_runtime(), now=now)
    waited = (source(sessions, source_id).next_check_at - now).total_seconds()
    # Six hours counted from the moment the answer was read, a little after the pass began;
    # an exponential backoff alone would be 60-90 s.
    assert 5 * 3600 <= waited <= 6 * 3600
