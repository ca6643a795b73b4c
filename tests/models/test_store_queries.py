"""Store functions the commands, jobs and listeners call instead of writing SQL of their own: the
listings and look-ups they read, and the changes a manager's answer makes, stamped with the ``now``
the caller gives (never the store's own clock). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from helpers import customer, member, roster, store_roster, team
from sqlalchemy import select

from models.entities import Customer, Interaction, Member, Post, Rating, Source, Suggestion, Team
from models.store.customers import customer_names, customer_with_owner, snooze_customer
from models.store.digest_runs import claim_digest_run, finish_digest_run
from models.store.interactions import interactions_for, latest_interactions, log_interaction
from models.store.posts import newest_posts
from models.store.ratings import latest_ratings, record_rating
from models.store.suggestions import (
    complete_suggestion,
    dismiss_suggestion,
    snooze_suggestion,
    suggestion_in_teams,
)
from models.store.teams import team_by_id, teams_by_member

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)
DANA, WES = "U0DANA", "U0WEST"

WORLD = roster(
    team("East", slack_channel="C0EAST", members=[member(DANA, "Dana")],
         customers=[customer("Jane Doe", owner=DANA, revenue=10), customer("Omar Haddad", owner=DANA, revenue=5)]),
    team("West", slack_channel="C0WEST", members=[member(WES, "Wes"), member(DANA, "Dana")],
         customers=[customer("Wanda West", owner=WES, revenue=7)]),
)


@pytest.fixture
def world(session):
    store_roster(session, WORLD)
    session.flush()
    return session


def named(session, name: str) -> Customer:
    return session.scalar(select(Customer).where(Customer.name == name))


def team_named(session, name: str) -> Team:
    return session.scalar(select(Team).where(Team.name == name))


def add_suggestion(session, name: str, *, status: str = "sent", kind: str = "share") -> Suggestion:
    row = Suggestion(customer_id=named(session, name).id, owner_user=DANA, kind=kind, text=f"Share {name}'s post",
                     dedupe_key=f"test:{name}:{kind}", status=status, suggested_at=NOW - timedelta(hours=1))
    session.add(row)
    session.flush()
    return row


def test_done_logs_the_gesture_once_and_closes_the_suggestion_at_the_time_given(world):
    suggestion = add_suggestion(world, "Jane Doe")
    assert complete_suggestion(suggestion, session=world, by_user=DANA, now=NOW, interaction_kind="share")
    assert (suggestion.status, suggestion.acted_by, suggestion.acted_at) == ("done", DANA, NOW)
    [logged] = interactions_for(session=world)
    assert (logged.kind, logged.direction, logged.occurred_at, logged.origin) == ("share", "outbound", NOW, "button")
    later = NOW + timedelta(minutes=5)
    assert not complete_suggestion(suggestion, session=world, by_user=DANA, now=later, interaction_kind="share")
    assert not snooze_suggestion(suggestion, session=world, by_user=DANA, now=later, until=later + timedelta(days=7))
    assert not dismiss_suggestion(suggestion, session=world, by_user=DANA, now=later)
    assert (suggestion.status, suggestion.acted_at) == ("done", NOW)
    assert len(interactions_for(session=world)) == 1


def test_a_snooze_holds_until_it_runs_out_and_may_then_be_renewed(world):
    suggestion = add_suggestion(world, "Omar Haddad")
    until = NOW + timedelta(days=7)
    assert snooze_suggestion(suggestion, session=world, by_user=DANA, now=NOW, until=until)
    assert (suggestion.status, suggestion.snoozed_until, suggestion.acted_at) == ("snoozed", until, NOW)
    assert not snooze_suggestion(suggestion, session=world, by_user=DANA, now=NOW + timedelta(days=1),
                                 until=NOW + timedelta(days=8))
    assert suggestion.snoozed_until == until
    after = until + timedelta(hours=1)
    assert snooze_suggestion(suggestion, session=world, by_user=DANA, now=after, until=after + timedelta(days=7))
    assert suggestion.snoozed_until == after + timedelta(days=7)
    assert dismiss_suggestion(suggestion, session=world, by_user=DANA, now=after)
    assert (suggestion.status, suggestion.acted_at) == ("dismissed", after)
    assert interactions_for(session=world) == []


def test_a_suggestion_is_found_only_within_the_teams_given(world):
    suggestion = add_suggestion(world, "Wanda West")
    west, east = team_named(world, "West").id, team_named(world, "East").id
    assert suggestion_in_teams(suggestion.id, session=world, team_ids=(east, west)) is suggestion
    assert suggestion_in_teams(suggestion.id, session=world, team_ids=(east,)) is None
    assert suggestion_in_teams(suggestion.id + 1, session=world, team_ids=(east, west)) is None


def test_a_customer_snooze_counts_from_the_time_given(world):
    jane = named(world, "Jane Doe")
    assert snooze_customer(jane, session=world, now=NOW, days=5) == NOW + timedelta(days=5)
    world.expire_all()
    assert named(world, "Jane Doe").snoozed_until == NOW + timedelta(days=5)


def test_a_digest_run_is_stamped_with_the_times_given(world):
    east = team_named(world, "East").id
    run = claim_digest_run(east, date(2026, 11, 23), session=world, covered_from=NOW - timedelta(days=1),
                           covered_to=NOW, now=NOW + timedelta(seconds=1))
    assert run is not None and run.started_at == NOW + timedelta(seconds=1)
    finish_digest_run(run.id, session=world, status="sent", text="t", slack_ts="1.1", now=NOW + timedelta(seconds=2))
    world.flush()
    world.expire_all()
    assert world.get(type(run), run.id).sent_at == NOW + timedelta(seconds=2)


def test_look_ups_by_id_and_the_names_an_unknown_name_is_compared_with(world):
    jane = named(world, "Jane Doe")
    found = customer_with_owner(jane.id, session=world)
    assert (found.owner.slack_user, found.team.name) == (DANA, "East")
    assert customer_with_owner(jane.id + 100, session=world) is None
    assert customer_names(session=world, team_id=jane.team_id) == ["Jane Doe", "Omar Haddad"]
    assert sorted(customer_names(session=world)) == ["Jane Doe", "Omar Haddad", "Wanda West"]
    assert team_by_id(jane.team_id, session=world).name == "East"
    assert team_by_id(jane.team_id + 100, session=world) is None


def test_each_active_member_has_their_teams_in_roster_order(world):
    by_member = teams_by_member(session=world)
    assert {user: [t.name for t in teams] for user, teams in by_member.items()} == {
        DANA: ["East", "West"], WES: ["West"]}
    world.scalar(select(Member).where(Member.slack_user == WES)).active = False
    world.flush()
    assert set(teams_by_member(session=world)) == {DANA}


def test_interaction_listings_by_team_customer_and_recency(world):
    jane, omar, wanda = (named(world, n) for n in ("Jane Doe", "Omar Haddad", "Wanda West"))
    for hours, who, kind in ((3, jane, "call"), (2, wanda, "email"), (1, jane, "meeting"), (0, omar, "gift")):
        log_interaction(who, kind, session=world, occurred_at=NOW - timedelta(hours=hours))
    listed = interactions_for(session=world, team_id=jane.team_id)
    assert [(i.customer.name, i.kind) for i in listed] == [("Jane Doe", "call"), ("Jane Doe", "meeting"), ("Omar Haddad", "gift")]
    assert [i.kind for i in interactions_for([wanda.id], session=world)] == ["email"]
    assert [i.kind for i in interactions_for(session=world, until=NOW - timedelta(hours=2))] == ["call", "email"]
    assert [i.kind for i in latest_interactions(jane.id, session=world, limit=5)] == ["meeting", "call"]
    assert [i.kind for i in latest_interactions(jane.id, session=world, limit=1)] == ["meeting"]
    assert world.query(Interaction).count() == 4


def test_posts_newest_first_by_team_customer_and_limit(world):
    jane, omar, wanda = (named(world, n) for n in ("Jane Doe", "Omar Haddad", "Wanda West"))
    for who in (jane, omar, wanda):
        feed = Source(customer_id=who.id, kind="rss", target=f"https://{who.id}.example/f")
        world.add(feed)
        world.flush()
        for day in (1, 2):
            world.add(Post(source_id=feed.id, customer_id=who.id, external_id=str(day), title=f"{who.name} {day}",
                           published_at=datetime(2026, 11, day + who.id, tzinfo=timezone.utc)))
        world.add(Post(source_id=feed.id, customer_id=who.id, external_id="undated", title=f"{who.name} undated"))
    world.flush()
    east = [p.title for p in newest_posts(session=world, team_id=jane.team_id)]
    assert set(east) == {f"{n} {x}" for n in ("Jane Doe", "Omar Haddad") for x in ("1", "2", "undated")}
    assert east[-2:] == sorted(east[-2:], reverse=True) and all(t.endswith("undated") for t in east[-2:])
    assert [p.title for p in newest_posts(session=world, customer_id=wanda.id, limit=2)] == ["Wanda West 2", "Wanda West 1"]
    assert newest_posts(session=world, customer_id=wanda.id, team_id=jane.team_id) == []
    assert newest_posts(session=world, limit=1)[0].source.kind == "rss"


def test_the_latest_rating_of_each_customer_the_later_stored_of_a_tie(world):
    jane, wanda = named(world, "Jane Doe"), named(world, "Wanda West")
    record_rating(wanda, 3, session=world, rated_at=NOW - timedelta(days=2))
    record_rating(jane, 9, session=world, rated_at=NOW - timedelta(days=1))
    record_rating(jane, 4, session=world, rated_at=NOW)
    record_rating(jane, 6, session=world, rated_at=NOW)
    latest = latest_ratings(session=world)
    assert [(r.customer.name, r.rating) for r in latest] == [("Jane Doe", 6), ("Wanda West", 3)]
    assert world.query(Rating).count() == 4
