"""The tie-strength model's promises as properties (hypothesis): order independence, monotonicity,
hysteresis, and verdicts that do not depend on the form the interactions come in."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from scoring.histories import AS_OF, PARAMS, START, histories, property_settings, touch_strategy

from config.vocabulary import TIE_STAGES
from models.scoring.assess import Touch, assess
from models.timeline import MICROSECONDS_PER_DAY, Replayable


@property_settings
@given(histories, st.randoms(use_true_random=False))
def test_insertion_order_never_matters(touches, rng):
    shuffled = list(touches)
    rng.shuffle(shuffled)
    assert assess(shuffled, AS_OF) == assess(touches, AS_OF)


@property_settings
@given(histories, touch_strategy, st.integers(min_value=0, max_value=400))
def test_one_more_interaction_never_lowers_the_score(touches, extra, days_after):
    as_of = max([extra.at, *(t.at for t in touches)]) + timedelta(days=days_after)
    assert assess([*touches, extra], as_of).score >= assess(touches, as_of).score - 1e-9


@property_settings
@given(histories, st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=400))
def test_time_passing_without_contact_never_raises_the_score(touches, start_days, later_days):
    first = START + timedelta(days=420 + start_days)
    assert assess(touches, first + timedelta(days=later_days)).score <= assess(touches, first).score + 1e-9


@property_settings
@given(histories)
def test_stages_hold_their_minimum_dwell_and_move_only_past_their_thresholds(touches):
    result = assess(touches, AS_OF)
    tie = [t for t in result.transitions if t.track == "tie"]
    for previous, change in itertools.pairwise(tie):
        assert change.at - previous.at >= timedelta(days=PARAMS.min_dwell_days)
    for change in tie:
        assert change.reason
        if change.from_stage == "unaware":
            continue
        if TIE_STAGES.index(change.to_stage) > TIE_STAGES.index(change.from_stage):
            assert change.score >= PARAMS.promote_threshold(change.to_stage)
        else:
            assert change.score < PARAMS.demote_threshold(change.from_stage)
    assert all(t.reason for t in result.transitions)


@property_settings
@given(histories)
def test_epoch_microseconds_and_the_short_paths_give_the_same_verdict(touches):
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    as_integers = [Touch((t.at - epoch) // timedelta(microseconds=1), t.kind, t.direction) for t in touches]
    full = assess(touches, AS_OF)
    assert assess(as_integers, AS_OF) == full
    quick = assess(touches, AS_OF, history=False, explain=False)
    assert (quick.score, quick.stage, quick.stage_since, quick.hourglass, quick.at_risk, quick.risk_reason) == (
        full.score, full.stage, full.stage_since, full.hourglass, full.at_risk, full.risk_reason)
    assert quick.transitions == []


@property_settings
@given(histories)
def test_touches_in_the_loaders_replay_form_give_the_same_verdict(touches):
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    stamps = [((t.at - epoch) // timedelta(microseconds=1), t) for t in touches if t.kind != "note"]
    replayable = Replayable((at / MICROSECONDS_PER_DAY, t.kind, t.direction, at) for at, t in stamps)
    assert assess(replayable, AS_OF) == assess([Touch(at, t.kind, t.direction) for at, t in stamps], AS_OF)
