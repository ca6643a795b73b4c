"""Tense and timing: a milestone still to come is told from one that happened, with real phrasings
and dates read relative to the post's own date (not to today)."""

from datetime import date

import pytest

from bot.rules.milestones import find_milestones

PUBLISHED = date(2026, 11, 20)  # a Friday


@pytest.mark.parametrize("text, kind, timing, on", [
    pytest.param("I'm speaking at re:Invent next week", "talk", "upcoming", None, id="speaking-next-week"),
    pytest.param("I'm speaking at re:Invent", "talk", "upcoming", None, id="present-progressive-talk"),
    pytest.param("I'll be speaking at KubeCon on Thursday", "talk", "upcoming", date(2026, 11, 26), id="on-weekday"),
    pytest.param("Excited to announce that I will be presenting at SaaStr", "talk", "upcoming", None,
                 id="excited-to-announce-will-be"),
    pytest.param("My talk at DevDays is on Dec 3 - come say hi", "talk", "upcoming", date(2026, 12, 3),
                 id="month-day-after-post"),
    pytest.param("My talk at DevDays on 3 December 2026", "talk", "upcoming", date(2026, 12, 3), id="day-month-year"),
    pytest.param("Keynoting at Money20/20 on 2027-01-14", "talk", "upcoming", date(2027, 1, 14), id="iso-date"),
    pytest.param("My talk at DevDays on Nov 12 was a blast", "talk", "past", date(2026, 11, 12),
                 id="date-before-post"),
    pytest.param("Slides from my talk at RoboCon", "talk", "past", None, id="slides-from"),
    pytest.param("I spoke at re:Invent yesterday", "talk", "past", date(2026, 11, 19), id="spoke-yesterday"),
    pytest.param("I gave a talk at RoboCon this week", "talk", "past", None, id="gave-a-talk-this-week"),
    pytest.param("Speaking at the summit tomorrow!", "talk", "upcoming", date(2026, 11, 21), id="tomorrow"),
    pytest.param("We are launching Acme Cloud next week", "launch", "upcoming", None, id="launching-next-week"),
    pytest.param("We will launch Acme Cloud on December 12th", "launch", "upcoming", date(2026, 12, 12),
                 id="will-launch-on-date"),
    pytest.param("Introducing Acme Cloud, now generally available", "launch", "past", None, id="headline-present"),
    pytest.param("We just launched the new dashboard", "launch", "past", None, id="launched"),
    pytest.param("Excited to announce we have launched our API", "launch", "past", None,
                 id="excited-to-announce-done"),
    pytest.param("Bluefin Analytics launches real-time churn dashboards. We are launching a new product today",
                 "launch", "past", None, id="launching-today"),
    pytest.param("Acme raises $20M Series B", "funding", "past", None, id="funding-headline-present-tense"),
    pytest.param("We raised $60M to build three parks next year", "funding", "past", None,
                 id="past-verb-beats-future-words"),
    pytest.param("I've been promoted to Chief Operating Officer", "new_role", "past", None, id="promoted"),
    pytest.param("Excited to announce I'm starting a new role next month", "new_role", "upcoming", None,
                 id="new-role-next-month"),
    pytest.param("Join us at our booth at NRF next week", "event", "upcoming", None, id="event-join-us"),
    pytest.param("We hosted a customer roundtable in Lisbon last week", "event", "past", None, id="event-hosted"),
    pytest.param("Northwind celebrates 25 years in business", "anniversary", "past", None, id="anniversary"),
])
def test_milestone_timing(text, kind, timing, on):
    found = {m.kind: m for m in find_milestones(text, PUBLISHED)}
    assert kind in found, found
    assert (found[kind].timing, found[kind].on) == (timing, on)


def test_without_a_post_date_only_the_wording_decides():
    (talk,) = find_milestones("Speaking at DevDays on Dec 3")
    assert talk.timing == "upcoming" and talk.on is None and talk.upcoming


def test_timing_is_read_in_the_milestones_own_sentence():
    """A later sentence about next year does not make a done funding round a future one."""
    (funding,) = find_milestones("We closed our Series C. Next year will be busy.", PUBLISHED)
    assert funding.timing == "past"


def test_the_digest_lists_an_upcoming_milestone_as_upcoming():
    from datetime import datetime, timezone

    from bot.rules.digest import notable_posts
    from bot.rules.gestures import PostFact
    from bot.rules.status import RelationshipStatus

    at = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    carlos = RelationshipStatus(customer_id=1, customer="Carlos", company="", team="T", team_id=1, owner=None,
                                owner_name=None, revenue_rank=1, score=0.0, stage="weak_tie", hourglass="like",
                                at_risk=False, last_interaction_at=None)
    posts = [PostFact(1, 1, None, "I'm speaking at re:Invent next week", "", at),
             PostFact(2, 1, None, "Promoted to COO", "", at)]
    labels = {p.title: p.milestone for p in notable_posts(posts, {1: carlos}, at)}
    assert labels == {"I'm speaking at re:Invent next week": "upcoming talk", "Promoted to COO": "new role"}
