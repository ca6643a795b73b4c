"""A small known world for the suggestion and digest job tests: one team in New York, three
customers with interaction histories the scorer reads, posts, and stage changes stored by hand so
the digest's figures are known exactly."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from helpers import customer, member, roster, store_roster, team
from sqlalchemy import select

from bot.runtime import Runtime
from config.settings import Secret, Settings
from models.entities import Customer, Post, Source, StageChange
from models.store.interactions import log_interaction

# Monday 23 Nov 2026, 09:00 in New York.
MONDAY = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)

ROSTER = roster(team(
    "East", slack_channel="C0EAST", timezone="America/New_York", digest_time="09:00",
    members=[member("U0DANA", "Dana Reyes"), member("U0SAM", "Sam Lee")],
    customers=[
        customer("Jane Doe", company="Acme", owner="U0DANA", revenue=300, sources=[{"rss": "https://acme.example/feed.xml"}]),
        customer("Bob Roe", company="Globex", owner="U0DANA", revenue=200, sources=[{"rss": "https://globex.example/feed.xml"}]),
        customer("Ann <!channel> Lee", company="Initech", owner="U0SAM", revenue=100,
                 sources=[{"rss": "https://initech.example/feed.xml"}]),
    ],
))


def runtime_for(db_url: str, **settings) -> Runtime:
    """A fresh Runtime on the test database (a new one stands for a restarted process)."""
    return Runtime(settings=dataclasses.replace(Settings(database_url=db_url), **settings))


def slack_runtime(db_url: str, fake) -> Runtime:
    return runtime_for(db_url, slack_api_url=fake.base_url, slack_bot_token=Secret(fake.token))


def seed(runtime: Runtime, *, now: datetime = MONDAY) -> dict[str, int]:
    """Roster, interaction histories and posts; returns customer name -> id.

    The histories are clear-cut on purpose (weekly meetings up to two days ago; weekly calls, then
    40 days of silence; no contact at all) so the tests do not hang on the scorer's fine tuning."""
    with runtime.session() as session:
        store_roster(session, ROSTER)
        customers = {c.name: c for c in session.scalars(select(Customer))}
        jane, bob, ann = customers["Jane Doe"], customers["Bob Roe"], customers["Ann <!channel> Lee"]
        # Jane: met weekly for three months, up to two days ago: healthy.
        for week in range(13):
            log_interaction(jane, "meeting", session=session, occurred_at=now - timedelta(days=2 + 7 * week))
        # Ann: weekly calls for three months, then silence for 40 days: at risk.
        for week in range(13):
            log_interaction(ann, "call", session=session, occurred_at=now - timedelta(days=40 + 7 * week))
        # Bob: no contact yet, so nothing can have broken: never at risk.
        sources = {s.customer_id: s for s in session.scalars(select(Source))}
        add_post(session, sources[jane.id], "j1", "We raised a $20M Series B!", now - timedelta(hours=20))
        add_post(session, sources[bob.id], "b1", "Some thoughts on pricing pages", now - timedelta(hours=5))
        add_post(session, sources[bob.id], "b-old", "An old musing", now - timedelta(days=20))
        return {name: c.id for name, c in customers.items()}


def add_post(session, source: Source, external_id: str, title: str, published_at: datetime,
             fetched_at: datetime | None = None) -> Post:
    """A post as the poller stores it; fetched when published unless said otherwise."""
    post = Post(source_id=source.id, customer_id=source.customer_id, external_id=external_id,
                url=f"https://posts.example/{external_id}?a=1&b=2", title=title, text="", published_at=published_at,
                fetched_at=fetched_at or published_at)
    session.add(post)
    session.flush()
    return post


def add_change(session, customer_id: int, track: str, from_stage: str | None, to_stage: str, at: datetime,
               reason: str = "") -> None:
    session.add(StageChange(customer_id=customer_id, track=track, from_stage=from_stage, to_stage=to_stage,
                            changed_at=at, reason=reason))
    session.flush()
