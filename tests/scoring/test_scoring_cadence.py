"""A keep-in-touch cadence replaces the model's learned rhythm for the at-risk flag, and only that:
scores, stages and the hourglass are the same with or without one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scoring.histories import AS_OF, START, histories, property_settings

from models.scoring.assess import Touch, assess


def every(days: int, count: int) -> list[Touch]:
    """Two-way contact (meetings and calls) every ``days`` days, ``count`` times."""
    return [Touch(START + timedelta(days=days * i), ("meeting", "call")[i % 2], "mutual") for i in range(count)]


def first_flag_days(touches: list[Touch], cadence: float | None) -> float | None:
    """Days from the last contact to the first at-risk flag after it (None: never within 120 days)."""
    last = touches[-1].at
    result = assess(touches, last + timedelta(days=120), cadence_days=cadence)
    flags = [t.at for t in result.transitions if t.track == "risk" and t.to_stage == "at_risk" and t.at > last]
    return (flags[0] - last) / timedelta(days=1) if flags else None


@pytest.mark.parametrize("gap, count, cadence, silent_days, at_risk, learned_at_risk", [
    pytest.param(30, 12, 7, 10, True, False, id="cadence-7-flags-a-monthly-rhythm-after-a-week"),
    pytest.param(30, 12, 7, 6, False, False, id="cadence-7-not-yet-passed"),
    pytest.param(14, 26, 60, 45, False, True, id="cadence-60-holds-a-fortnightly-rhythm-the-model-would-flag"),
    pytest.param(14, 26, 60, 62, True, True, id="cadence-60-passed"),
])
def test_a_cadence_replaces_the_learned_rhythm(gap, count, cadence, silent_days, at_risk, learned_at_risk):
    touches = every(gap, count)
    as_of = touches[-1].at + timedelta(days=silent_days)
    learned = assess(touches, as_of)
    with_cadence = assess(touches, as_of, cadence_days=cadence)
    assert learned.at_risk is learned_at_risk
    assert with_cadence.at_risk is at_risk
    assert (with_cadence.score, with_cadence.stage, with_cadence.hourglass) == (learned.score, learned.stage,
                                                                                 learned.hourglass)


@pytest.mark.parametrize("gap, count, cadence, learned_days, cadence_days", [
    # a flag lands at the first midnight past the limit; contact is at 10:00, so 14 hours later
    pytest.param(30, 12, 7, 56 + 14 / 24, 7 + 14 / 24, id="cadence-7-earlier-than-learned-30"),
    pytest.param(14, 26, 60, 42 + 14 / 24, 60 + 14 / 24, id="cadence-60-later-than-learned-14"),
    pytest.param(12, 26, 14, 36 + 14 / 24, 14 + 14 / 24, id="cadence-14-below-the-minimum-silence"),
])
def test_the_flag_lands_the_first_midnight_past_the_cadence(gap, count, cadence, learned_days, cadence_days):
    touches = every(gap, count)
    assert first_flag_days(touches, None) == pytest.approx(learned_days)
    assert first_flag_days(touches, cadence) == pytest.approx(cadence_days)


@pytest.mark.parametrize("posts, reason", [
    pytest.param([], "keep-in-touch cadence of 14 days passed: no two-way contact for 20 days", id="silent"),
    pytest.param([3.0, 5.0, 9.0], "keep-in-touch cadence of 14 days passed: no two-way contact for 20 days, "
                 "while they are active publicly (3 posts meanwhile)", id="while-they-post"),
])
def test_the_reason_names_the_cadence(posts, reason):
    touches = every(12, 26)
    last = touches[-1].at
    result = assess(touches, last + timedelta(days=20), cadence_days=14,
                    activity=[last + timedelta(days=d) for d in posts])
    assert result.at_risk and result.risk_reason == reason
    flag = [t for t in result.transitions if t.track == "risk"][-1]
    assert flag.to_stage == "at_risk" and flag.reason.startswith("keep-in-touch cadence of 14 days passed")


def test_contact_clears_a_cadence_flag():
    touches = every(30, 12)
    back = touches[-1].at + timedelta(days=10)
    result = assess([*touches, Touch(back, "call", "mutual")], back + timedelta(hours=1), cadence_days=7)
    assert not result.at_risk
    assert result.transitions[-1].reason == f"back in touch: call on {back:%Y-%m-%d}"


@pytest.mark.parametrize("cadence", [
    pytest.param(-1, id="negative"), pytest.param(float("nan"), id="nan"), pytest.param(float("inf"), id="infinite"),
])
def test_a_cadence_must_be_a_number_of_days(cadence):
    with pytest.raises(ValueError, match="cadence_days"):
        assess(every(7, 4), AS_OF, cadence_days=cadence)


@property_settings
@given(histories)
def test_no_cadence_is_the_model_as_before(touches):
    plain = assess(touches, AS_OF)
    assert assess(touches, AS_OF, cadence_days=None) == plain
    assert assess(touches, AS_OF, cadence_days=0) == plain


@property_settings
@given(histories, st.integers(min_value=1, max_value=90), st.integers(min_value=0, max_value=420))
def test_a_cadence_moves_only_the_risk_track_and_a_past_date_agrees_with_the_full_path(touches, cadence, day):
    full = assess(touches, AS_OF, cadence_days=cadence)
    plain = assess(touches, AS_OF)
    assert (full.score, full.stage, full.stage_since, full.hourglass, full.features, full.components,
            full.explanation) == (plain.score, plain.stage, plain.stage_since, plain.hourglass, plain.features,
                                  plain.components, plain.explanation)
    assert [t for t in full.transitions if t.track != "risk"] == [t for t in plain.transitions if t.track != "risk"]
    moment = START + timedelta(days=day)
    partial = assess(touches, moment, cadence_days=cadence)
    assert partial.transitions == [t for t in full.transitions if t.at <= moment]
    quick = assess(touches, AS_OF, cadence_days=cadence, history=False, explain=False)
    assert (quick.at_risk, quick.risk_reason) == (full.at_risk, full.risk_reason)
