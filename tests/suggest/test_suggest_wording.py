"""What suggestions say: tense (good luck vs congratulations), check-ins that open with their news,
results reviews that name what was bought, and drafts that name the post and fit the stage."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from bot.rules.drafts import MAX_DRAFT_CHARS, topic_word
from bot.rules.gestures import PostFact, PurchaseFact, SuggestionFacts, SuggestionPolicy
from bot.rules.status import RelationshipStatus
from bot.rules.suggestions import suggest

THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)


def status(**changes) -> RelationshipStatus:
    base = RelationshipStatus(
        customer_id=1, customer="Carlos Ruiz", company="Bluefin", team="East", team_id=1, owner="U1",
        owner_name="Dana", revenue_rank=1, score=40.0, stage="weak_tie", hourglass="like", at_risk=False,
        last_interaction_at=THURSDAY - timedelta(days=40),
    )
    return dataclasses.replace(base, **changes)


def post(title: str, text: str = "", *, days_ago: float = 0.2, post_id: int = 10) -> PostFact:
    return PostFact(post_id=post_id, customer_id=1, url=f"https://blog.example/{post_id}", title=title, text=text,
                    published_at=THURSDAY - timedelta(days=days_ago))


def only(facts: SuggestionFacts, as_of: datetime = THURSDAY):
    (proposal,) = suggest(facts, as_of)
    return proposal


@pytest.mark.parametrize("title, kind, says, never", [
    pytest.param("I'm speaking at re:Invent next week", "good_luck", "Good luck with the talk", "Congratulations",
                 id="reinvent-next-week-is-not-congratulations"),
    pytest.param("We will launch Acme Cloud on Dec 3", "good_luck", "Good luck with the launch", "Congratulations",
                 id="launch-on-a-date"),
    pytest.param("Join us at our booth at NRF next week", "good_luck", "Looking forward", "Congratulations",
                 id="event-upcoming"),
    pytest.param("Slides from my talk at RoboCon", "congratulate", "Congratulations on the talk", "Good luck",
                 id="past-talk-congratulated"),
    pytest.param("Acme raises $20M Series B", "congratulate", "Congratulations on the new funding", "Good luck",
                 id="present-tense-headline-is-news"),
])
def test_tense_decides_the_gesture(title, kind, says, never):
    proposal = only(SuggestionFacts([status()], posts=[post(title)]))
    assert proposal.kind == kind
    assert says in proposal.text and never not in proposal.text
    assert proposal.dedupe_key == "post:10"


def test_after_an_upcoming_dated_event_it_asks_how_it_went_with_a_new_key():
    facts = SuggestionFacts([status()], posts=[post("Speaking at DevDays on Nov 27", days_ago=1)])
    before = only(facts, THURSDAY)
    after = only(facts, THURSDAY + timedelta(days=2))  # the talk was on the 27th; now the 28th
    assert before.kind == "good_luck" and "27 Nov" in before.text
    assert after.kind == "congratulate" and "How did the talk go" in after.text
    assert after.dedupe_key == "post:10:after" != before.dedupe_key


@pytest.mark.parametrize("posts, says", [
    pytest.param([post("Promoted to Chief Operating Officer at Bluefin", days_ago=20),
                  post("Bluefin celebrates 25 years in business", days_ago=30, post_id=11)],
                 "Congratulations on the Chief Operating Officer role, Carlos! How is the new job treating you?",
                 id="newest-milestone-a-new-role"),
    pytest.param([post("Bluefin celebrates its 25th anniversary", days_ago=20)],
                 "Congratulations on the anniversary, Carlos!", id="a-past-milestone"),
    pytest.param([post("Speaking at DataConf next month", days_ago=3)], "the talk is coming up: good luck",
                 id="an-upcoming-milestone"),
    pytest.param([post("Cold chain is a data problem", days_ago=10)], "I read \u201cCold chain is a data problem\u201d",
                 id="no-milestone-the-latest-post"),
    pytest.param([], "you came to mind today", id="nothing-to-mention"),
    pytest.param([post("Promoted to Chief Operating Officer", days_ago=60)], "you came to mind today",
                 id="too-old-to-mention"),
])
def test_check_in_opens_with_their_latest_news(posts, says):
    proposal = only(SuggestionFacts([status(at_risk=True, risk_reason="quiet")], posts=posts))
    assert proposal.kind == "check_in" and says in proposal.text
    assert "nothing to sell" in proposal.text


def test_results_review_names_what_they_bought_and_when():
    bought = PurchaseFact(1, "the analytics add-on", THURSDAY - timedelta(days=50))
    proposal = only(SuggestionFacts([status(hourglass="buy")], purchases={1: bought}))
    assert proposal.kind == "results_review"
    assert "results review of their purchase on 7 Oct (\u201cthe analytics add-on\u201d)" in proposal.text
    assert "since your purchase (7 Oct)" in proposal.text
    assert "bought on 7 Oct: the analytics add-on" in proposal.reason


def test_results_review_without_a_recorded_purchase_stays_general():
    proposal = only(SuggestionFacts([status(hourglass="buy")]))
    assert "short results review:" in proposal.text and "since your purchase (recently)" in proposal.text


@pytest.mark.parametrize("hourglass, talks_shop", [
    pytest.param("know", False, id="know"), pytest.param("like", False, id="like"),
    pytest.param("trust", True, id="trust"), pytest.param("repeat", True, id="repeat"),
])
def test_share_draft_names_the_post_and_waits_for_trust_to_talk_shop(hourglass, talks_shop):
    proposal = only(SuggestionFacts([status(hourglass=hourglass)],
                                    posts=[post("Why we rebuilt our warehouse on Postgres")]))
    draft = proposal.text.split("Draft: ", 1)[1]
    assert "Why we rebuilt our warehouse on Postgres" in draft and "warehouse" in draft
    assert ("compare notes" in draft) is talks_shop
    assert len(draft) <= MAX_DRAFT_CHARS + 2


def test_drafts_differ_by_kind():
    drafts = {only(SuggestionFacts([status(**extra)], posts=posts)).text.split("Draft: ", 1)[1]
              for extra, posts in [({}, [post("Notes on pricing")]), ({}, [post("We just launched our API")]),
                                   ({"at_risk": True}, []), ({"hourglass": "trust"}, [])]}
    assert len(drafts) == 4


def test_a_team_template_replaces_the_default():
    policy = SuggestionPolicy(templates={"share_early": "Loved {title}, {first}; {topic} is on our minds too."})
    proposal = only(SuggestionFacts([status()], posts=[post("Rail or road? Our 2027 freight outlook")], policy=policy))
    assert "Loved Rail or road? Our 2027 freight outlook, Carlos; freight is on our minds too." in proposal.text


@pytest.mark.parametrize("title, text, expected", [
    pytest.param("What we learned moving 2 million parcels through one hub", "", "parcels", id="longest-telling"),
    pytest.param("Notes on pricing", "", "pricing", id="short-title"),
    pytest.param("Thoughts", "Cold chain logistics is a data problem", "logistics", id="falls-back-to-text"),
    pytest.param("Bluefin news", "", "", id="only-their-own-name"),
])
def test_topic_word(title, text, expected):
    assert topic_word(title, text, ignore="Carlos Ruiz Bluefin") == expected
