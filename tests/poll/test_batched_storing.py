"""Storing a pass's reads in batches: several sources' posts in one statement, each new post
once, the known ones left alone; several sources' cursors saved in one statement, a URL that did
not move and an interval left unset keeping their stored values. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.entities import Customer, Post, Source, Team
from models.store.posts import SourcePosts, store_posts_of
from models.store.sources import CursorUpdate, ReadSuccess, save_successes

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Entry:
    external_id: str
    url: str | None = None
    title: str = "a title"
    text: str = "some text"
    published_at: datetime | None = None
    author: str | None = None


def three_sources(session) -> list[Source]:
    team = Team(name="T", slack_channel="C0T", top_n=5)
    session.add(team)
    session.flush()
    customer = Customer(team_id=team.id, name="C", name_key="c")
    session.add(customer)
    session.flush()
    sources = [Source(customer_id=customer.id, kind="rss", target=f"http://f.example/{n}", url=f"http://f.example/{n}",
                      check_interval_seconds=600) for n in range(3)]
    session.add_all(sources)
    session.flush()
    return sources


def test_posts_of_several_sources_are_stored_once_each(session):
    a, b, c = three_sources(session)
    first = store_posts_of([SourcePosts(a.id, a.customer_id, [Entry("1"), Entry("2")]),
                            SourcePosts(b.id, b.customer_id, [Entry("1")])], session=session, fetched_at=NOW)
    assert first == [2, 1]
    again = store_posts_of([SourcePosts(a.id, a.customer_id, [Entry("2"), Entry("3"), Entry("3")]),
                            SourcePosts(b.id, b.customer_id, [Entry("2")]),
                            SourcePosts(c.id, c.customer_id, []),
                            SourcePosts(b.id, b.customer_id, [Entry("2")])], session=session, fetched_at=NOW)
    assert again == [1, 1, 0, 0]  # a's "2" known, its "3" twice in the read; b read twice in one batch
    stored = sorted((row.source_id, row.external_id) for row in session.scalars(select(Post)))
    assert stored == [(a.id, "1"), (a.id, "2"), (a.id, "3"), (b.id, "1"), (b.id, "2")]


def test_cursors_of_several_sources_are_saved_in_one_go(session):
    a, b, _ = three_sources(session)
    later = NOW + timedelta(hours=1)
    save_successes([
        ReadSuccess(a.id, CursorUpdate("http://moved.example/a", '"e1"', None, None, None, {"k": 1}), NOW, "ok", None, later, 1200),
        ReadSuccess(b.id, CursorUpdate(None, None, "Mon, 02 Nov 2026 00:00:00 GMT", "9", None, {}), NOW, "not_modified",
                    "ill-formed feed", later, None),
    ], session=session)
    session.expire_all()
    moved, kept = session.get(Source, a.id), session.get(Source, b.id)
    assert (moved.url, moved.etag, moved.cursor_extra, moved.check_interval_seconds) == ("http://moved.example/a", '"e1"', {"k": 1}, 1200)
    assert (kept.url, kept.last_modified, kept.since_id, kept.check_interval_seconds) == ("http://f.example/1", "Mon, 02 Nov 2026 00:00:00 GMT", "9", 600)
    assert (kept.last_status, kept.last_error, kept.error_count, kept.cursor_extra) == ("not_modified", "ill-formed feed", 0, None)
    assert kept.next_check_at == later and kept.last_polled_at == NOW
