"""The suggestion rules and every guard, table-style, on hand-built facts (no database)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from bot.rules.gestures import (
    STAGE_GATES,
    PastSuggestion,
    PostFact,
    SuggestionFacts,
    SuggestionPolicy,
    stage_allows,
)
from bot.rules.status import RelationshipStatus
from bot.rules.suggestions import suggest
from config.vocabulary import HOURGLASS_STAGES as HOURGLASS_ORDER

FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
THURSDAY = FRIDAY - timedelta(days=1)


def status(customer_id: int = 1, **changes) -> RelationshipStatus:
    base = RelationshipStatus(
        customer_id=customer_id, customer=f"Jane Doe{customer_id}", company="Acme", team="East", team_id=1,
        owner="U1", owner_name="Dana", revenue_rank=customer_id, score=40.0, stage="weak_tie", hourglass="like",
        at_risk=False, last_interaction_at=THURSDAY - timedelta(days=3), trend=0.0,
    )
    return dataclasses.replace(base, **changes)


def post(post_id: int = 10, customer_id: int = 1, *, title: str = "Notes on pricing", hours_ago: float = 3,
         at: datetime = THURSDAY) -> PostFact:
    return PostFact(post_id=post_id, customer_id=customer_id, url=f"https://blog.example/{post_id}", title=title,
                    text="", published_at=at - timedelta(hours=hours_ago))


def past(key: str, *, customer_id: int = 1, status: str = "open", days_ago: float = 10, at: datetime = THURSDAY,
         owner: str = "U1", **extra) -> PastSuggestion:
    return PastSuggestion(customer_id=customer_id, owner=owner, dedupe_key=key, status=status,
                          suggested_at=at - timedelta(days=days_ago), **extra)


def kinds(facts: SuggestionFacts, as_of: datetime = THURSDAY) -> list[str]:
    return [p.kind for p in suggest(facts, as_of)]


@pytest.mark.parametrize("facts, as_of, expected", [
    pytest.param(SuggestionFacts([status()], posts=[post()]), THURSDAY, ["share"], id="new-post-share"),
    pytest.param(SuggestionFacts([status()], posts=[post(title="We just launched our new API")]), THURSDAY,
                 ["congratulate"], id="milestone-congratulate"),
    pytest.param(SuggestionFacts([status()], posts=[post(hours_ago=24 * 8)]), THURSDAY, [], id="old-post-is-no-news"),
    pytest.param(SuggestionFacts([status()], posts=[post(hours_ago=-5)]), THURSDAY, [], id="future-post-ignored"),
    pytest.param(SuggestionFacts([status()], posts=[post(customer_id=99)]), THURSDAY, [], id="untracked-customer-post"),
    pytest.param(SuggestionFacts([status()], shared_this_week={1: 2}), FRIDAY, ["follow_friday"], id="friday-shout-out"),
    pytest.param(SuggestionFacts([status()], shared_this_week={1: 2}), THURSDAY, [], id="no-shout-out-on-thursday"),
    pytest.param(SuggestionFacts([status()], shared_this_week={}), FRIDAY, [], id="no-shout-out-without-shares"),
    pytest.param(SuggestionFacts([status(at_risk=True)]), THURSDAY, ["check_in"], id="at-risk-check-in"),
    pytest.param(SuggestionFacts([status()]), THURSDAY, [], id="quiet-healthy-tie-gets-nothing"),
    pytest.param(SuggestionFacts([status(hourglass="trust")]), THURSDAY, ["invite_trial"], id="trust-invite-to-try"),
    pytest.param(SuggestionFacts([status(hourglass="buy")]), THURSDAY, ["results_review"], id="buy-results-review"),
    pytest.param(SuggestionFacts([status(hourglass="repeat")]), THURSDAY, ["referral_ask"], id="repeat-referral-ask"),
])
def test_each_rule_proposes_its_gesture(facts, as_of, expected):
    assert kinds(facts, as_of) == expected


@pytest.mark.parametrize("hourglass", HOURGLASS_ORDER)
def test_stage_gates_referral_only_in_repeat_and_no_pitch_before_trust(hourglass):
    facts = SuggestionFacts([status(hourglass=hourglass)])
    proposed = set(kinds(facts))
    assert ("referral_ask" in proposed) == (hourglass == "repeat")
    before_trust = HOURGLASS_ORDER.index(hourglass) < HOURGLASS_ORDER.index("trust")
    if before_trust:
        assert proposed == set()


@pytest.mark.parametrize("kind, stage, allowed", [
    pytest.param("referral_ask", "buy", False, id="referral-not-in-buy"),
    pytest.param("referral_ask", "refer", False, id="referral-not-in-refer"),
    pytest.param("referral_ask", "repeat", True, id="referral-in-repeat"),
    pytest.param("invite_trial", "like", False, id="pitch-not-in-like"),
    pytest.param("invite_trial", "trust", True, id="pitch-in-trust"),
    pytest.param("results_review", "try", False, id="review-not-before-buy"),
    pytest.param("share", "know", True, id="share-anywhere"),
    pytest.param("made_up", "repeat", False, id="unknown-kind-never"),
])
def test_stage_allows(kind, stage, allowed):
    assert stage_allows(kind, stage) is allowed


def test_every_pitch_kind_waits_for_trust():
    pitches = {"invite_trial", "results_review", "referral_ask"}
    early = set(HOURGLASS_ORDER[:HOURGLASS_ORDER.index("trust")])
    assert all(not (STAGE_GATES[kind] & early) for kind in pitches)


@pytest.mark.parametrize("facts, expected", [
    pytest.param(SuggestionFacts([status()], posts=[post()], past=[past("post:10", status="dismissed", days_ago=1)]),
                 [], id="dismissed-never-comes-back"),
    pytest.param(SuggestionFacts([status()], posts=[post()], past=[past("post:10", status="done", days_ago=20)]),
                 [], id="same-post-only-once"),
    pytest.param(SuggestionFacts([status()], posts=[post(), post(11, title="Another one", hours_ago=1)],
                                 past=[past("post:10", status="dismissed", days_ago=0.1)]),
                 ["share"], id="dismissal-does-not-start-a-cool-down"),
    pytest.param(SuggestionFacts([status()], posts=[post(11)], past=[past("post:10", days_ago=1)]),
                 [], id="cool-down-after-a-recent-suggestion"),
    pytest.param(SuggestionFacts([status()], posts=[post(11)], past=[past("post:10", status="done", days_ago=8,
                                                                          acted_at=THURSDAY - timedelta(days=1))]),
                 [], id="cool-down-after-a-recent-gesture"),
    pytest.param(SuggestionFacts([status()], posts=[post(11)], past=[past("post:10", days_ago=4)]),
                 ["share"], id="cool-down-over"),
    pytest.param(SuggestionFacts([status()], posts=[post()], customer_snoozed_until={1: THURSDAY + timedelta(days=1)}),
                 [], id="customer-snoozed"),
    pytest.param(SuggestionFacts([status()], posts=[post()], customer_snoozed_until={1: THURSDAY - timedelta(days=1)}),
                 ["share"], id="customer-snooze-expired"),
    pytest.param(SuggestionFacts([status()], posts=[post(11)],
                                 past=[past("post:10", status="snoozed", days_ago=9, acted_at=THURSDAY - timedelta(hours=2),
                                            snoozed_until=THURSDAY + timedelta(days=6))]),
                 ["share"], id="snoozing-one-suggestion-hides-only-that-one"),
    pytest.param(SuggestionFacts([status()], posts=[post()],
                                 past=[past("post:10", status="snoozed", days_ago=9, acted_at=THURSDAY - timedelta(days=8),
                                            snoozed_until=THURSDAY - timedelta(days=1))]),
                 [], id="snoozed-suggestion-is-not-proposed-again"),
    pytest.param(SuggestionFacts([status()], posts=[post(11)],
                                 past=[past("post:10", status="snoozed", days_ago=1,
                                            snoozed_until=THURSDAY + timedelta(days=6))]),
                 [], id="snoozed-suggestion-still-counts-for-the-cool-down"),
    pytest.param(SuggestionFacts([status(at_risk=True)], past=[past("check_in:1:2026-11-23", status="dismissed")]),
                 [], id="same-risk-episode-once"),
    pytest.param(SuggestionFacts([status(at_risk=True, last_interaction_at=THURSDAY - timedelta(days=5))],
                                 past=[past("check_in:1:2026-10-01", status="done", days_ago=20)]),
                 ["check_in"], id="new-risk-episode-new-check-in"),
])
def test_guards(facts, expected):
    assert kinds(facts) == expected


def test_one_suggestion_per_customer_per_run_the_best_one():
    facts = SuggestionFacts([status(at_risk=True)], posts=[post(title="We raised $5M in our seed round"), post(11)])
    (only,) = suggest(facts, THURSDAY)
    assert only.kind == "check_in"


def test_one_suggestion_per_post_even_with_several_milestones():
    facts = SuggestionFacts([status()], posts=[post(title="We raised a Series B and we're hiring!")])
    (only,) = suggest(facts, THURSDAY)
    assert (only.kind, only.dedupe_key) == ("congratulate", "post:10")
    assert "funding round" in only.text


@pytest.mark.parametrize("cap, already_today, expected", [
    pytest.param(5, 0, 5, id="default-cap"),
    pytest.param(5, 3, 2, id="cap-counts-earlier-runs-today"),
    pytest.param(2, 0, 2, id="cap-is-a-parameter"),
    pytest.param(5, 5, 0, id="cap-reached"),
])
def test_daily_cap_per_manager(cap, already_today, expected):
    statuses = [status(i) for i in range(1, 9)] + [status(i, owner="U2") for i in range(9, 12)]
    posts = [post(100 + i, i) for i in range(1, 12)]
    earlier = [past(f"old:{i}", customer_id=50 + i, days_ago=0.01) for i in range(already_today)]
    facts = SuggestionFacts(statuses, posts=posts, past=earlier, policy=SuggestionPolicy(daily_cap=cap))
    proposed = suggest(facts, THURSDAY)
    assert sum(p.owner == "U1" for p in proposed) == expected
    assert sum(p.owner == "U2" for p in proposed) == min(cap, 3)


def test_cap_keeps_the_heavy_users():
    statuses = [status(i) for i in range(1, 9)]
    facts = SuggestionFacts(statuses, posts=[post(100 + i, i) for i in range(1, 9)], policy=SuggestionPolicy(daily_cap=3))
    assert [p.customer_id for p in suggest(facts, THURSDAY)] == [1, 2, 3]


def test_yesterdays_suggestions_do_not_count_towards_todays_cap_in_the_team_zone():
    # 23:30 in New York on Wednesday is Thursday in UTC: still "yesterday" for a New York team.
    as_of = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)  # Thursday 10:00 New York
    yesterday_evening = datetime(2026, 11, 26, 4, 30, tzinfo=timezone.utc)  # Wednesday 23:30 New York
    earlier = [PastSuggestion(customer_id=50 + i, owner="U1", dedupe_key=f"old:{i}", status="open",
                              suggested_at=yesterday_evening) for i in range(5)]
    facts = SuggestionFacts([status()], posts=[post(at=as_of)], past=earlier, team_timezones={1: "America/New_York"})
    assert kinds(facts, as_of) == ["share"]
    assert kinds(dataclasses.replace(facts, team_timezones={}), as_of) == []


@pytest.mark.parametrize("better, worse", [
    pytest.param(status(1), status(2), id="revenue-rank"),
    pytest.param(status(2, trend=15.0), status(2, trend=0.0), id="momentum"),
])
def test_priority_heavy_users_and_momentum_first(better, worse):
    worse = dataclasses.replace(worse, customer_id=2)
    better = dataclasses.replace(better, customer_id=1)
    facts = SuggestionFacts([better, worse], posts=[post(10, 1), post(11, 2)])
    first, second = suggest(facts, THURSDAY)
    assert first.customer_id == 1 and first.priority > second.priority


def test_priority_fresher_post_first():
    facts = SuggestionFacts([status(1), status(2, revenue_rank=1)], posts=[post(10, 1, hours_ago=60), post(11, 2, hours_ago=2)])
    first, second = suggest(facts, THURSDAY)
    assert first.customer_id == 2 and first.priority > second.priority


def test_congratulation_names_the_milestone_and_links_the_post():
    facts = SuggestionFacts([status()], posts=[post(title="Thrilled to share I've been promoted to CTO")])
    (proposal,) = suggest(facts, THURSDAY)
    assert "CTO role" in proposal.text and "Jane" in proposal.text  # the role by its title
    assert proposal.post_url == "https://blog.example/10" and proposal.post_id == 10
    assert "new role" in proposal.reason


def test_share_has_an_editable_draft_and_json_fields():
    (proposal,) = suggest(SuggestionFacts([status()], posts=[post()]), THURSDAY)
    assert "Draft:" in proposal.text and "Notes on pricing" in proposal.text
    assert set(proposal.as_json()) == {"kind", "customer", "owner", "text", "post_url", "reason", "priority"}
    assert 0 <= proposal.priority <= 100


def test_check_in_asks_for_nothing():
    (proposal,) = suggest(SuggestionFacts([status(at_risk=True)]), THURSDAY)
    lowered = proposal.text.lower()
    assert "nothing to sell" in lowered
    assert not any(word in lowered for word in ("buy", "offer", "demo", "upgrade", "referral"))


def test_follow_friday_is_decided_in_the_team_zone():
    # Friday 02:00 UTC is still Thursday evening in Los Angeles.
    as_of = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
    facts = SuggestionFacts([status()], shared_this_week={1: 1})
    assert kinds(facts, as_of) == ["follow_friday"]
    assert kinds(dataclasses.replace(facts, team_timezones={1: "America/Los_Angeles"}), as_of) == []


def test_same_facts_same_answer():
    facts = SuggestionFacts([status(i, at_risk=i % 2 == 0) for i in range(1, 6)], posts=[post(100 + i, i) for i in range(1, 6)])
    assert suggest(facts, THURSDAY) == suggest(facts, THURSDAY)


def test_rerun_after_storing_proposes_nothing():
    facts = SuggestionFacts([status(i) for i in range(1, 4)], posts=[post(100 + i, i) for i in range(1, 4)])
    first = suggest(facts, THURSDAY)
    stored = [past(p.dedupe_key, customer_id=p.customer_id, days_ago=0) for p in first]
    assert first and suggest(dataclasses.replace(facts, past=stored), THURSDAY + timedelta(minutes=5)) == []


@pytest.mark.parametrize("facts, expected", [
    pytest.param(SuggestionFacts([status()], posts=[post(at=datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc),
                                                        hours_ago=0)]),
                 "posted \u201cNotes on pricing\u201d on 25 Nov", id="post-date-utc"),
    pytest.param(SuggestionFacts([status()], posts=[post(at=datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc),
                                                        hours_ago=0)], team_timezones={1: "Asia/Tokyo"}),
                 "posted \u201cNotes on pricing\u201d on 26 Nov", id="post-date-team-local"),
    pytest.param(SuggestionFacts([status(at_risk=True, risk_reason="",
                                         last_interaction_at=datetime(2026, 9, 30, 12, 0, tzinfo=timezone.utc))]),
                 "(last contact on 30 Sep)", id="check-in-last-contact-date"),
])
def test_stored_reasons_say_absolute_dates_not_ages(facts, expected):
    """The reason is stored and read days later: '20 hours ago' would soon be wrong."""
    (proposal,) = suggest(facts, THURSDAY)
    assert expected in proposal.reason
    assert " ago" not in proposal.reason and "just now" not in proposal.reason


def test_every_gesture_kind_has_a_label_people_read():
    from bot.rules.gestures import KIND_LABELS

    assert set(KIND_LABELS) == set(STAGE_GATES)
