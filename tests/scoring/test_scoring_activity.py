"""The customer's own activity (their posts): it never adds points, is explained on its own and
puts a silent relationship at risk sooner."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scoring.histories import AS_OF, START, histories, property_settings

from models.scoring.assess import Touch, assess

FORTNIGHTLY = [Touch(START + timedelta(weeks=2 * w), ("meeting", "call")[w % 2], "mutual") for w in range(8)]
QUIET_FROM = FORTNIGHTLY[-1].at  # usual gap 14 days: the rhythm breaks after 42, or 28 while they post


def posted(*days_after_quiet: float) -> list[datetime]:
    """Post times, in days after the last two-way contact."""
    return [QUIET_FROM + timedelta(days=days) for days in days_after_quiet]


@pytest.mark.parametrize("silent_days, posts, at_risk, reason", [
    pytest.param(35, [], False, "", id="quiet-35-days-within-the-rhythm"),
    pytest.param(35, posted(3, 12, 20, 30), True,
                 "active publicly \u2014 4 posts in the 35 days since the last two-way contact", id="posting-while-we-are-silent"),
    pytest.param(35, posted(30), False, "", id="one-post-is-not-active"),
    pytest.param(35, posted(-20, -10, -3), False, "", id="posts-before-our-last-contact-do-not-count"),
    pytest.param(35, posted(36, 40), False, "", id="posts-after-as-of-do-not-count"),
    pytest.param(27, posted(3, 12, 20), False, "", id="not-yet-past-twice-the-usual-gap"),
    pytest.param(45, [], True, "no two-way contact for 45 days, past 42 days for a usual gap of 14", id="rhythm-broken-anyway"),
    pytest.param(45, posted(3, 12, 20), True, "no two-way contact for 45 days, past 42 days for a usual gap of 14, "
                 "while they are active publicly (3 posts meanwhile)", id="rhythm-broken-while-active"),
])
def test_activity_sharpens_at_risk(silent_days, posts, at_risk, reason):
    result = assess(FORTNIGHTLY, QUIET_FROM + timedelta(days=silent_days), activity=posts)
    assert (result.at_risk, result.risk_reason) == (at_risk, reason)


def test_an_active_flag_lands_on_the_day_the_criterion_trips_and_names_a_one_way_touch():
    touches = [*FORTNIGHTLY, Touch(QUIET_FROM + timedelta(days=25), "like", "outbound")]
    result = assess(touches, QUIET_FROM + timedelta(days=60), activity=posted(3, 12))
    flagged = [t for t in result.transitions if t.track == "risk" and t.to_stage == "at_risk"]
    assert flagged[0].at.date() == (QUIET_FROM + timedelta(days=29)).date()  # first midnight past 28 days
    assert flagged[0].reason == ("active publicly \u2014 2 posts in the 29 days since the last two-way contact; "
                                 "the last touch, 4 days ago, was one-way (a like from us)")


@pytest.mark.parametrize("touches, posts, stage, lines", [
    pytest.param([], posted(1, 2, 3, 4, 5), "unaware",
                 ["no interaction yet", "\u00b10: they posted 5 times in the last 30 days (public activity adds no points by itself)"],
                 id="no-interaction-is-unaware-however-much-they-post"),
    pytest.param([Touch(QUIET_FROM - timedelta(days=120), "like", "outbound")], posted(5), "awareness",
                 ["\u00b10: they posted once in the last 30 days (public activity adds no points by itself)"],
                 id="one-old-like-stays-awareness"),
    pytest.param(FORTNIGHTLY, posted(-40, 5), "strong_tie",
                 ["\u00b10: they posted once in the last 30 days (public activity adds no points by itself)"],
                 id="only-the-window-is-counted"),
])
def test_activity_is_explained_and_never_adds_points(touches, posts, stage, lines):
    as_of = QUIET_FROM + timedelta(days=10)
    with_posts, without = assess(touches, as_of, activity=posts), assess(touches, as_of)
    assert with_posts.stage == without.stage == stage
    assert with_posts.score == without.score and with_posts.components == without.components
    assert with_posts.components["activity"] == 0.0
    assert with_posts.explanation[-len(lines):] == lines
    assert with_posts.explanation[:len(without.explanation)] == without.explanation


post_times = st.lists(st.integers(min_value=0, max_value=400 * 24).map(lambda hours: START + timedelta(hours=hours)),
                      max_size=12)


@property_settings
@given(histories, post_times)
def test_activity_changes_no_score_and_a_past_date_still_gives_the_same_path(touches, posts):
    full = assess(touches, AS_OF, activity=posts)
    plain = assess(touches, AS_OF)
    assert (full.score, full.stage, full.hourglass, full.trend) == (plain.score, plain.stage, plain.hourglass, plain.trend)
    for day in range(0, 420, 30):
        moment = START + timedelta(days=day)
        assert assess(touches, moment, activity=posts).transitions == [t for t in full.transitions if t.at <= moment]
