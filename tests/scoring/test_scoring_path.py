"""The stage path: hysteresis, the minimum dwell, a past date that always gives the same answer, the
hourglass and the trend."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from scoring.histories import DAY, PARAMS, START, weekly

from config.scoring import ScoringParams
from config.vocabulary import DIRECTIONS, INTERACTION_KINDS
from models.scoring.assess import Touch, assess


def test_a_score_between_the_thresholds_keeps_the_stage_it_has():
    """Promoted to strong_tie, then fading into the band between 55 and 65: still a strong tie;
    a relationship that never reached 65 stays building at the very same score."""
    touches = weekly(13)
    fading = [assess(touches, touches[-1].at + timedelta(days=d)) for d in range(0, 200, 3)]
    in_band = [r for r in fading if PARAMS.demote_strong_tie <= r.score < PARAMS.promote_strong_tie]
    assert in_band and all(r.stage == "strong_tie" for r in in_band)
    for weeks in range(4, 13):  # a climbing relationship in the same band has not earned strong_tie
        climbing = assess(weekly(weeks), weekly(weeks)[-1].at)
        if PARAMS.demote_strong_tie <= climbing.score < PARAMS.promote_strong_tie:
            assert climbing.stage == "building"
            break
    else:
        pytest.fail("no climbing relationship scored within the strong_tie hysteresis band")


def test_alternating_bursts_and_silences_do_not_flap():
    """Contact bursts every five weeks keep a relationship hovering near the strong_tie
    thresholds; with hysteresis it changes stage only a few times over a year."""
    touches = []
    for cycle in range(10):
        base = START + timedelta(weeks=5 * cycle)
        touches += [Touch(base, "meeting", "mutual"), Touch(base + DAY * 2, "call", "mutual")]
    result = assess(touches, START + timedelta(weeks=52))
    tie_changes = [t for t in result.transitions if t.track == "tie"]
    assert len(tie_changes) <= 5, [(t.at.date(), t.to_stage) for t in tie_changes]


def test_the_minimum_dwell_delays_a_demotion_with_params_that_would_drop_at_once():
    params = ScoringParams(min_dwell_days=30, demote_weak_tie=30.0, promote_weak_tie=30.0)
    touches = [Touch(START, "meeting", "mutual")]
    result = assess(touches, START + timedelta(days=200), params)
    tie = [t for t in result.transitions if t.track == "tie"]
    assert tie[0].to_stage == "weak_tie"
    assert tie[1].at - tie[0].at >= timedelta(days=30)


def test_a_past_date_gives_the_same_answer_whenever_asked():
    touches = weekly(13) + [Touch(START + timedelta(days=300), "meeting", "mutual")]
    past = START + timedelta(days=200)
    then = assess(touches, past)
    later = assess(touches, START + timedelta(days=400))
    assert then == assess([t for t in touches if t.at <= past], past)
    assert later.transitions[:len(then.transitions)] == then.transitions
    assert all(t.at <= past for t in then.transitions)


def test_every_day_of_a_year_agrees_with_the_full_path():
    rng = random.Random(4)
    touches = [Touch(START + timedelta(hours=rng.randrange(300 * 24)), rng.choice(INTERACTION_KINDS), rng.choice(DIRECTIONS))
               for _ in range(40)]
    full = assess(touches, START + timedelta(days=365))
    for day in range(0, 365, 7):
        moment = START + timedelta(days=day)
        partial = assess(touches, moment)
        assert partial.transitions == [t for t in full.transitions if t.at <= moment]


# -- hourglass and trend ----------------------------------------------------------------------


@pytest.mark.parametrize("extra, hourglass", [
    pytest.param([], "trust", id="tie-alone-reaches-trust"),
    pytest.param([("trial", "mutual")], "try", id="trial"),
    pytest.param([("purchase", "mutual")], "buy", id="purchase"),
    pytest.param([("purchase", "mutual"), ("purchase", "mutual")], "repeat", id="repeat-purchase"),
    pytest.param([("referral", "inbound")], "refer", id="referral-from-them"),
    pytest.param([("referral", "outbound")], "trust", id="referral-we-gave"),
])
def test_hourglass_follows_commercial_events_and_the_tie(extra, hourglass):
    touches = weekly(8) + [Touch(START + timedelta(days=3 + 10 * i), kind, d) for i, (kind, d) in enumerate(extra)]
    assert assess(touches, START + timedelta(weeks=8)).hourglass == hourglass


def test_a_lone_like_stays_at_know():
    assert assess([Touch(START, "like", "inbound")], START + DAY).hourglass == "know"


def test_trend_is_the_score_change_over_fourteen_days():
    touches = weekly(13)
    as_of = touches[-1].at + timedelta(days=40)
    result = assess(touches, as_of)
    assert result.trend == pytest.approx(result.score - assess(touches, as_of - timedelta(days=14)).score)
    assert result.trend < 0
