"""One combining formula: the replay's score, combine() of the features an assessment reports and
calibration's prediction are the same number, for any relationship and any weights."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scoring.histories import PARAMS, START, histories, property_settings

from config.scoring import COMPONENTS
from models.scoring.assess import assess, replay_order
from models.scoring.calibration import RatedRelationship, predict
from models.scoring.combine import MAX_SCORE, SIGNS, combine, score_cap, weights_of
from models.scoring.replay import Replay

unit_values = st.tuples(*(st.floats(min_value=0.0, max_value=1.0) for _ in COMPONENTS))
weight_sets = st.tuples(*(st.floats(min_value=0.0, max_value=100.0) for _ in COMPONENTS))


@property_settings
@given(histories, weight_sets, st.integers(min_value=0, max_value=420))
def test_the_replay_the_features_and_calibration_give_one_score(touches, weights, days):
    params = PARAMS.with_weights(dict(zip(COMPONENTS, weights, strict=True)))
    result = assess(touches, START + timedelta(days=days), params)
    values = tuple(result.features[name] for name in COMPONENTS)
    combined = combine(values, weights_of(params), score_cap(result.two_way, params))
    predicted = predict(RatedRelationship("customer", 5, result.features, result.two_way), params)
    assert result.score == combined == predicted


@property_settings
@given(histories, st.integers(min_value=0, max_value=400))
def test_at_any_moment_the_replays_score_is_its_features_combined(touches, days):
    """At each interaction and between them (where the score is computed without a new one)."""
    events = replay_order(touches, float("inf"))
    replay = Replay(PARAMS, record=False)
    for index, event in enumerate(events):
        replay.on_event(event)
        until = events[index + 1][0] if index + 1 < len(events) else event[0] + days
        for moment in (event[0], (event[0] + until) / 2, until):
            assert replay.score(moment) == combine(replay.features(moment), replay.w, replay.score_cap)


@given(unit_values, weight_sets, st.floats(min_value=0.0, max_value=MAX_SCORE))
def test_combine_is_the_signed_weighted_sum_clamped_to_0_100_and_capped(values, weights, cap):
    """combine() writes the sum out for speed; it must stay the sum over COMPONENTS and SIGNS."""
    raw = sum(weight * value * sign for value, weight, sign in zip(values, weights, SIGNS, strict=True))
    assert combine(values, weights, cap) == pytest.approx(min(cap, max(0.0, min(MAX_SCORE, raw))), abs=1e-9)


@pytest.mark.parametrize("values, two_way, expected", [
    pytest.param((0.0, 1.0, 1.0, 1.0, 1.0, 1.0), True, MAX_SCORE, id="everything-built-no-silence-is-capped-at-100"),
    pytest.param((1.0, 0.0, 0.0, 0.0, 0.0, 0.0), True, 0.0, id="the-penalty-alone-clamps-at-0"),
    pytest.param((0.0, 1.0, 1.0, 1.0, 1.0, 1.0), False, PARAMS.one_way_score_cap, id="one-way-contact-is-capped"),
    pytest.param((1.0, 1.0, 1.0, 1.0, 1.0, 1.0), True, 55.0, id="every-component-full"),
])
def test_combine_at_the_corners(values, two_way, expected):
    assert combine(values, weights_of(PARAMS), score_cap(two_way, PARAMS)) == pytest.approx(expected)
