"""`strongtie posts --json` prints the contract's fields, newest first, on both databases."""

import json
from datetime import datetime, timezone

from models.entities import Customer, Post, Source, Team


def test_posts_json_fields_and_order(cli, sessions):
    with sessions() as session, session.begin():
        team = Team(name="East", slack_channel="C0123456", timezone="UTC", digest_time="09:00", top_n=20)
        session.add(team)
        session.flush()
        jane = Customer(team_id=team.id, name="Jane Doe", name_key="jane doe", company="Acme")
        session.add(jane)
        session.flush()
        feed = Source(customer_id=jane.id, kind="rss", target="https://acme.example/f", url="https://acme.example/f")
        session.add(feed)
        session.flush()
        for external_id, day in (("old", 1), ("new", 20)):
            session.add(Post(source_id=feed.id, customer_id=jane.id, external_id=external_id, url=f"https://acme.example/{external_id}",
                             title=f"{external_id} post", text="<b>not html</b> just text",
                             published_at=datetime(2026, 11, day, tzinfo=timezone.utc)))
        session.add(Post(source_id=feed.id, customer_id=jane.id, external_id="undated", title="undated", text=""))
    rows = json.loads(cli("posts", "--json").output)
    assert [set(row) for row in rows] == [{"id", "customer", "source_kind", "url", "title", "text", "published_at"}] * 3
    assert [row["title"] for row in rows] == ["new post", "old post", "undated"]
    assert rows[0]["customer"] == "Jane Doe" and rows[0]["source_kind"] == "rss"
    assert rows[0]["published_at"] == "2026-11-20T00:00:00Z"
