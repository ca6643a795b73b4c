"""A customer's reply on Bluesky to a member's post moves the relationship as a logged message
would, exactly once, through the poll pass (on SQLite and PostgreSQL); a member's repost of the
customer's post is a share from us and closes its "share their post" suggestion."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fakes.bluesky_api import FakeBlueskyAPI
from sqlalchemy import select

from bot.jobs.poll import poll_job
from bot.jobs.score import relationship_statuses
from bot.slack.listeners.formatting import interaction_line
from models.entities import Customer, Interaction, Member, Post, Source, Suggestion, Team

JANE, DANA = "jane.example.com", "dana.bsky.social"
DEC_3 = datetime(2026, 12, 3, 15, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 4, 9, tzinfo=timezone.utc)


@pytest.fixture
def fake():
    with FakeBlueskyAPI() as server:
        yield server


@pytest.fixture
def world(sessions):
    """A team with Dana (on Bluesky) who owns Jane, whose Bluesky account is her source."""
    with sessions.begin() as session:
        team = Team(name="Enterprise", slack_channel="C0TEAM", timezone="UTC")
        session.add(team)
        session.flush()
        dana = Member(team_id=team.id, slack_user="U012ABC", name="Dana Reyes", bluesky=DANA)
        session.add(dana)
        session.flush()
        jane = Customer(team_id=team.id, name="Jane Doe", name_key="jane doe", company="Acme", owner_id=dana.id)
        session.add(jane)
        session.flush()
        session.add(Source(customer_id=jane.id, kind="bluesky", target=JANE, url=f"https://bsky.app/profile/{JANE}/rss"))
        return jane.id


def touches(sessions, customer_id: int) -> list[Interaction]:
    with sessions() as session:
        return list(session.scalars(select(Interaction).where(Interaction.customer_id == customer_id).order_by(Interaction.id)))


def test_a_customer_reply_to_a_member_counts_once_and_status_explains_it(fake, world, make_runtime, sessions):
    dana_post = fake.post(DANA, "We shipped the new importer", DEC_3 - timedelta(days=1))
    fake.post(JANE, "Our roadmap", DEC_3 - timedelta(hours=2))
    fake.post(JANE, "Congrats, this is great!", DEC_3, reply_to=dana_post)
    runtime = make_runtime(bluesky_api_url=fake.base_url)
    with sessions() as session:
        before = next(s for s in relationship_statuses(session=session, as_of=NOW, params=runtime.scoring) if s.customer_id == world)

    poll_job(runtime, force=True, now=NOW)
    poll_job(runtime, force=True, now=NOW + timedelta(hours=1))  # a re-read (and a fresh cursor) changes nothing

    [reply] = touches(sessions, world)
    assert (reply.kind, reply.direction, reply.origin, reply.by_user) == ("mention", "inbound", "bluesky", "U012ABC")
    assert reply.occurred_at == DEC_3
    line = interaction_line(reply, ZoneInfo("UTC"))
    assert line == "• mention from them on Bluesky, a reply to Dana Reyes's post on 3 Dec 2026"
    with sessions() as session:
        assert [p.text for p in session.scalars(select(Post))] == ["Our roadmap"]  # the reply is no post of theirs
        after = next(s for s in relationship_statuses(session=session, as_of=NOW, params=runtime.scoring) if s.customer_id == world)
    assert before.explanation == ["no interaction yet"]  # it moved the relationship, as a logged message would:
    assert any("1 contact(s), 1 in the last 90 days" in reason for reason in after.explanation)


def test_a_member_repost_is_a_share_from_us_and_closes_the_share_suggestion(fake, world, make_runtime, sessions):
    jane_post = fake.post(JANE, "Our roadmap", DEC_3 - timedelta(hours=2))
    runtime = make_runtime(bluesky_api_url=fake.base_url)
    poll_job(runtime, force=True, now=DEC_3)
    with sessions.begin() as session:
        post = session.scalars(select(Post)).one()
        session.add(Suggestion(customer_id=world, owner_user="U012ABC", kind="share", text="Share Jane's roadmap",
                               post_id=post.id, post_url=post.url, dedupe_key="share:1", status="open", suggested_at=DEC_3))
    fake.repost(DANA, jane_post, DEC_3 + timedelta(hours=1))
    fake.post(DANA, "Dana's own news", DEC_3 + timedelta(hours=2))

    poll_job(runtime, force=True, now=NOW)
    poll_job(runtime, force=True, now=NOW + timedelta(hours=1))

    [share] = touches(sessions, world)
    assert (share.kind, share.direction, share.origin, share.by_user) == ("share", "outbound", "bluesky", "U012ABC")
    with sessions() as session:
        suggestion = session.scalars(select(Suggestion)).one()
        assert (suggestion.status, suggestion.acted_by) == ("done", "U012ABC")


def test_a_customer_refusing_logged_out_readers_still_has_its_posts_read_from_rss(fake, world, make_runtime, sessions):
    fake.post(JANE, "hello", DEC_3)
    fake.refuse(JANE)
    with sessions.begin() as session:
        source = session.scalars(select(Source)).one()
        source.url = fake.base_url + "/no-feed-here"  # the fake has no feed: the fall back is tried, and fails
    poll_job(make_runtime(bluesky_api_url=fake.base_url), force=True, now=NOW)
    with sessions() as session:
        source = session.scalars(select(Source)).one()
        assert "404" in (source.last_error or "")  # the RSS feed was read instead of the API's 403
