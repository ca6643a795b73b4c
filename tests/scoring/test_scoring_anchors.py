"""The tie-strength model's anchors: what a few plain histories must score, and how silence erodes
a tie of any age while our own one-way touches cannot hide it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scoring.histories import (
    DAY,
    PARAMS,
    QUARTER,
    START,
    at_most,
    email_threads,
    long_tie,
    silent_strong_tie,
    weekly,
)

from config.vocabulary import DIRECTIONS
from models.scoring.assess import Touch, assess


def test_no_interaction_is_unaware():
    result = assess([], START)
    assert (result.stage, result.score, result.at_risk, result.hourglass) == ("unaware", 0.0, False, "know")
    assert result.last_interaction_at is None and result.transitions == []


def test_a_note_alone_is_not_contact():
    assert assess([Touch(START, "note", "mutual")], START + DAY).stage == "unaware"


@pytest.mark.parametrize("direction", [pytest.param(direction, id=direction) for direction in DIRECTIONS])
@pytest.mark.parametrize("months_ago", [pytest.param(months, id=f"{months}-months-ago") for months in (1, 2, 3, 6, 12)])
def test_one_like_months_ago_is_at_most_a_weak_tie(direction, months_ago):
    result = assess([Touch(START, "like", direction)], START + timedelta(days=30 * months_ago))
    assert at_most(result.stage, "weak_tie")
    assert result.stage == "awareness"


@pytest.mark.parametrize("touches", [
    pytest.param(weekly(13, ("meeting",)), id="weekly-meetings"),
    pytest.param(weekly(13, ("call",)), id="weekly-calls"),
    pytest.param(weekly(13, ("meeting", "call", "email")), id="meetings-calls-emails"),
    pytest.param(email_threads(13), id="weekly-email-replies"),
    pytest.param(weekly(13, ("message", "call")), id="messages-and-calls"),
])
def test_a_quarter_of_weekly_two_way_contact_is_a_strong_tie(touches):
    result = assess(touches, START + QUARTER)
    assert result.stage == "strong_tie", (result.score, result.explanation)
    assert not result.at_risk


@pytest.mark.parametrize("touches", [
    pytest.param([Touch(START + timedelta(weeks=w), "email", "outbound") for w in range(13)], id="unanswered-emails"),
    pytest.param([Touch(START + timedelta(weeks=w), "like", "mutual") for w in range(13)], id="weekly-likes"),
    pytest.param([Touch(START + timedelta(weeks=w), "share", "outbound") for w in range(26)], id="half-year-of-shares"),
])
def test_one_way_contact_caps_the_stage(touches):
    result = assess(touches, touches[-1].at + DAY)
    assert at_most(result.stage, "weak_tie")
    assert result.score <= PARAMS.one_way_score_cap


def test_a_silent_strong_tie_is_at_risk_within_two_months_before_it_is_demoted():
    flagged = [t for t in silent_strong_tie(60).transitions if t.track == "risk" and t.to_stage == "at_risk"]
    assert flagged, "not at risk after 60 days of silence"
    last_contact = weekly(13)[-1].at
    assert flagged[0].at - last_contact <= timedelta(days=60)
    demoted = [t for t in silent_strong_tie(400).transitions if t.track == "tie" and t.from_stage == "strong_tie"]
    assert demoted and flagged[0].at < demoted[0].at


@pytest.mark.parametrize("days_silent, still_strong", [
    pytest.param(0, True, id="right-after"),
    pytest.param(30, True, id="one-month"),
    pytest.param(180, False, id="half-a-year"),
    pytest.param(365, False, id="a-year"),
])
def test_a_silent_strong_tie_fades_by_half_a_year(days_silent, still_strong):
    assert (silent_strong_tie(days_silent).stage == "strong_tie") is still_strong


def test_contact_after_silence_clears_the_risk():
    touches = weekly(13)
    back = touches[-1].at + timedelta(days=50)
    result = assess([*touches, Touch(back, "call", "mutual")], back + DAY)
    assert not result.at_risk
    cleared = [t for t in result.transitions if t.track == "risk" and t.to_stage == "ok"]
    assert cleared and "back in touch: call" in cleared[-1].reason


# -- silence erodes a tie of any age, and our own one-way touches cannot hide it --------------


TIE_AGES = [pytest.param(weeks, services, id=f"{label}-{'with' if services else 'without'}-services")
            for weeks, label in ((13, "3-months"), (52, "1-year"), (104, "2-years"), (156, "3-years"))
            for services in (False, True)]


@pytest.mark.parametrize("weeks, services", TIE_AGES)
def test_half_a_year_of_silence_ends_a_strong_tie_of_any_age_after_flagging_it(weeks, services):
    touches = long_tie(weeks, services)
    last = max(touch.at for touch in touches)
    assert assess(touches, last + DAY).stage == "strong_tie"
    result = assess(touches, last + timedelta(days=180))
    assert result.stage != "strong_tie", (result.score, result.explanation)
    demoted = [t for t in result.transitions if t.track == "tie" and t.from_stage == "strong_tie" and t.at > last]
    flagged = [t for t in result.transitions if t.track == "risk" and t.to_stage == "at_risk" and t.at > last]
    assert demoted and flagged and flagged[0].at < demoted[0].at
    assert flagged[0].at - last <= timedelta(days=60)


@pytest.mark.parametrize("weeks, services", TIE_AGES)
def test_a_month_of_silence_keeps_a_strong_tie_of_any_age(weeks, services):
    touches = long_tie(weeks, services)
    assert assess(touches, max(touch.at for touch in touches) + timedelta(days=30)).stage == "strong_tie"


@pytest.mark.parametrize("every_days", [
    pytest.param(7, id="weekly-likes"),
    pytest.param(21, id="likes-every-three-weeks"),
    pytest.param(50, id="likes-every-fifty-days"),
])
@pytest.mark.parametrize("weeks", [pytest.param(13, id="quarter-old"), pytest.param(104, id="two-years-old")])
def test_our_own_likes_do_not_keep_a_silent_strong_tie_strong(weeks, every_days):
    touches = long_tie(weeks, services=True)
    last = max(touch.at for touch in touches)
    likes = [Touch(last + timedelta(days=day), "like", "outbound") for day in range(every_days, 181, every_days)]
    result = assess(touches + likes, last + timedelta(days=181))
    assert result.stage != "strong_tie", (result.score, result.explanation)
    alone = assess(touches, last + timedelta(days=181))
    assert alone.score <= result.score < PARAMS.demote_strong_tie


def test_a_like_after_a_long_silence_softens_recency_by_at_most_its_reach():
    touches = weekly(13)
    last = touches[-1].at
    as_of = last + timedelta(days=190)
    liked = assess([*touches, Touch(as_of, "like", "outbound")], as_of)
    reach = timedelta(days=PARAMS.one_way_recency_max_days)
    assert liked.components["recency"] == pytest.approx(assess(touches, as_of - reach).components["recency"])
    assert liked.stage != "strong_tie"
