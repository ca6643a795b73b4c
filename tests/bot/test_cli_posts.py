"""`strongtie posts --json` prints the contract's fields, newest first, on both databases."""

import json
from datetime import datetime, timezone

from models.entities import Customer, Post, Source, Team


def add_customer_with_feed(session, team_name: str, customer_name: str) -> tuple[Customer, Source]:
    team = Team(name=team_name, slack_channel="C0123456", timezone="UTC", digest_time="09:00", top_n=20)
    session.add(team)
    session.flush()
    customer = Customer(team_id=team.id, name=customer_name, name_key=customer_name.casefold(), company="Acme")
    session.add(customer)
    session.flush()
    feed = Source(customer_id=customer.id, kind="rss", target=f"https://{team.id}.example/f", url=f"https://{team.id}.example/f")
    session.add(feed)
    session.flush()
    return customer, feed


def test_posts_json_fields_and_order(cli, sessions):
    with sessions() as session, session.begin():
        jane, feed = add_customer_with_feed(session, "East", "Jane Doe")
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


def test_team_option_without_a_customer_lists_only_that_teams_posts(cli, sessions):
    with sessions() as session, session.begin():
        for team_name, customer_name, day in (("East", "Jane Doe", 1), ("West", "Wanda West", 2)):
            customer, feed = add_customer_with_feed(session, team_name, customer_name)
            session.add(Post(source_id=feed.id, customer_id=customer.id, external_id="p", title=f"{customer_name}'s post",
                             published_at=datetime(2026, 11, day, tzinfo=timezone.utc)))
    west = json.loads(cli("posts", "--json", "--team", "west").output)
    assert [row["customer"] for row in west] == ["Wanda West"]
    assert [row["customer"] for row in json.loads(cli("posts", "--json").output)] == ["Wanda West", "Jane Doe"]
    assert [row["customer"] for row in json.loads(cli("posts", "--json", "--team", "East", "--limit", "1").output)] == ["Jane Doe"]
