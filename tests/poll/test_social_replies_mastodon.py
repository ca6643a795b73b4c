"""Mastodon through the poll pass, as Bluesky is: a customer's reply to a member's status is a
``mention`` from them, stored once however often the feeds are read; a member's boost of the
customer's status is a ``share`` from us that closes the "share their post" suggestion; a member's
reply to the customer's status is a ``comment`` from us (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fakes.mastodon_api import FakeMastodonAPI
from sqlalchemy import select

from bot.jobs.poll import poll_job
from bot.jobs.score import relationship_statuses
from models.entities import Customer, Interaction, Member, Post, Source, Suggestion, Team

JANE, DANA = "@jane@mastodon.example", "@dana@mastodon.example"
DEC_3 = datetime(2026, 12, 3, 15, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 4, 9, tzinfo=timezone.utc)


@pytest.fixture
def fake():
    with FakeMastodonAPI() as server:
        yield server


@pytest.fixture
def world(sessions):
    """A team with Dana (on Mastodon) who owns Jane, whose Mastodon account is her source."""
    with sessions.begin() as session:
        team = Team(name="Enterprise", slack_channel="C0TEAM", timezone="UTC")
        session.add(team)
        session.flush()
        dana = Member(team_id=team.id, slack_user="U012ABC", name="Dana Reyes", mastodon=DANA)
        session.add(dana)
        session.flush()
        jane = Customer(team_id=team.id, name="Jane Doe", name_key="jane doe", company="Acme", owner_id=dana.id)
        session.add(jane)
        session.flush()
        session.add(Source(customer_id=jane.id, kind="mastodon", target=JANE, url="https://mastodon.example/@jane.rss"))
        return jane.id


def touches(sessions, customer_id: int) -> list[tuple[str, str, str, str | None, datetime]]:
    with sessions() as session:
        rows = session.scalars(select(Interaction).where(Interaction.customer_id == customer_id).order_by(Interaction.id))
        return [(i.kind, i.direction, i.origin, i.by_user, i.occurred_at.astimezone(timezone.utc)) for i in rows]


def test_a_customer_reply_on_mastodon_counts_once_and_moves_the_relationship(fake, world, make_runtime, sessions):
    dana_status = fake.post(DANA, "We shipped the new importer", DEC_3 - timedelta(days=1))
    fake.post(JANE, "Our roadmap", DEC_3 - timedelta(hours=2))
    fake.post(JANE, "Congrats, this is great!", DEC_3, reply_to=dana_status)
    runtime = make_runtime(mastodon_api_url=fake.base_url)

    poll_job(runtime, force=True, now=NOW)
    poll_job(runtime, force=True, now=NOW + timedelta(hours=1))  # a re-read changes nothing

    assert touches(sessions, world) == [("mention", "inbound", "mastodon", "U012ABC", DEC_3)]
    with sessions() as session:
        assert [p.text for p in session.scalars(select(Post))] == ["Our roadmap"]  # the reply is no post of theirs
        status = next(s for s in relationship_statuses(session=session, as_of=NOW, params=runtime.scoring)
                      if s.customer_id == world)
    assert any("1 contact(s), 1 in the last 90 days" in reason for reason in status.explanation)


def test_a_member_boost_is_a_share_from_us_and_a_member_reply_a_comment(fake, world, make_runtime, sessions):
    jane_status = fake.post(JANE, "Our roadmap", DEC_3 - timedelta(hours=2))
    runtime = make_runtime(mastodon_api_url=fake.base_url)
    poll_job(runtime, force=True, now=DEC_3)
    with sessions.begin() as session:
        post = session.scalars(select(Post)).one()
        session.add(Suggestion(customer_id=world, owner_user="U012ABC", kind="share", text="Share Jane's roadmap",
                               post_id=post.id, post_url=post.url, dedupe_key="share:1", status="open", suggested_at=DEC_3))
    fake.boost(DANA, jane_status, DEC_3 + timedelta(hours=1))
    fake.post(DANA, "Looks great, Jane", DEC_3 + timedelta(hours=2), reply_to=jane_status)
    fake.post(DANA, "Dana's own news", DEC_3 + timedelta(hours=3))

    poll_job(runtime, force=True, now=NOW)
    poll_job(runtime, force=True, now=NOW + timedelta(hours=1))

    assert sorted(touches(sessions, world)) == [
        ("comment", "outbound", "mastodon", "U012ABC", DEC_3 + timedelta(hours=2)),
        ("share", "outbound", "mastodon", "U012ABC", DEC_3 + timedelta(hours=1)),
    ]
    with sessions() as session:
        suggestion = session.scalars(select(Suggestion)).one()
        assert (suggestion.status, suggestion.acted_by) == ("done", "U012ABC")
