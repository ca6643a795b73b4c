"""A replay kept between passes and carried forward gives exactly what a full replay gives
(:mod:`models.scoring.incremental`): hypothesis over random histories, posts, cadences and
several passes at increasing ``as_of``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scoring.histories import PARAMS, START, Touch, histories, property_settings

from models.scoring.assess import TREND_DAYS, assess, replay_order, verdict
from models.scoring.incremental import begin, extend
from models.timeline import to_days

pass_offsets = st.lists(st.integers(min_value=0, max_value=520 * 24), min_size=1, max_size=5).map(sorted)
post_times = st.lists(st.integers(min_value=0, max_value=500 * 24).map(lambda h: START + timedelta(hours=h)),
                      max_size=12)
cadences = st.one_of(st.none(), st.integers(min_value=3, max_value=60))


def passes_in_turn(touches, posts, cadence, offsets, *, history):
    """Carry one replay through passes at START + each offset (hours), folding in only the
    interactions after the previous pass: the verdict of each pass."""
    post_days = sorted(to_days(p) for p in posts)
    progress = begin(PARAMS, record=history, posts=post_days, cadence=cadence)
    events = replay_order(touches, float("inf"))
    verdicts = []
    for hours in offsets:
        as_of = START + timedelta(hours=hours)
        end = to_days(as_of)
        new = [e for e in events if progress.end < e[0] <= end]
        extend(progress, new, end, TREND_DAYS)
        verdicts.append(verdict(progress, as_of))
        events = [e for e in events if e[0] > end]
    return verdicts


@property_settings
@given(histories, post_times, cadences, pass_offsets)
def test_passes_in_turn_equal_full_replays(touches, posts, cadence, offsets):
    in_turn = passes_in_turn(touches, posts, cadence, offsets, history=False)
    for hours, result in zip(offsets, in_turn, strict=True):
        full = assess(touches, START + timedelta(hours=hours), PARAMS, activity=posts, cadence_days=cadence,
                      history=False)
        assert result == full


@property_settings
@given(histories, post_times, cadences, pass_offsets)
def test_the_stage_path_of_passes_in_turn_is_the_full_path(touches, posts, cadence, offsets):
    last = passes_in_turn(touches, posts, cadence, offsets, history=True)[-1]
    full = assess(touches, START + timedelta(hours=offsets[-1]), PARAMS, activity=posts, cadence_days=cadence)
    assert last == full


@property_settings
@given(histories, pass_offsets)
def test_known_future_interactions_wait_for_their_time(touches, offsets):
    """Interactions already known at a pass but dated after it (a meeting on the calendar) are
    folded in by the pass that reaches them, without being handed over again."""
    progress = begin(PARAMS, record=False)
    extend(progress, replay_order(touches, float("inf")), to_days(START) - 1, TREND_DAYS)
    for hours in offsets:
        as_of = START + timedelta(hours=hours)
        extend(progress, [], to_days(as_of), TREND_DAYS)
        assert verdict(progress, as_of) == assess(touches, as_of, PARAMS, history=False)


@pytest.mark.parametrize("days_back", [pytest.param(0, id="at-the-pass"), pytest.param(3, id="days-before")])
def test_a_replay_refuses_to_go_back_in_time(days_back):
    progress = begin(PARAMS, record=False)
    end = to_days(START + timedelta(days=30))
    extend(progress, replay_order([Touch(START, "meeting")], end), end, TREND_DAYS)
    with pytest.raises(ValueError, match="back in time"):
        extend(progress, [], end - days_back - 0.5, TREND_DAYS)
