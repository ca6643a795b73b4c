"""How the model's numbers read: the explanation of a score, the reasons for stage changes and risk
flags, and figures that never contradict the threshold beside them."""

from __future__ import annotations

import json
import math
import re
from datetime import timedelta

import pytest
from scoring.histories import DAY, PARAMS, START, silent_strong_tie, weekly

from config.scoring import ScoringParams
from config.vocabulary import TIE_STAGES
from models.scoring.assess import Touch, assess
from models.scoring.risk import Risk
from models.scoring.wording import figure, risk_words, signed


@pytest.mark.parametrize("extra, as_of_days, expected", [
    pytest.param([], 95, "95 days since the last two-way contact", id="silence"),
    pytest.param([(80, "like", "outbound")], 95,
                 "95 days since the last two-way contact, counted as 81 (softened by a like from us 15 days ago)",
                 id="softened-by-our-like"),
    pytest.param([(50, "email", "outbound")], 95, "95 days since the last two-way contact", id="too-early-to-soften"),
    pytest.param([(70, "message", "inbound")], 95,
                 "95 days since the last two-way contact, counted as 85 (softened by a message from them 25 days ago)",
                 id="softened-less-than-its-reach"),
])
def test_the_recency_reason_counts_the_days_its_points_use(extra, as_of_days, expected):
    touches = weekly(13)
    last = touches[-1].at
    result = assess([*touches, *(Touch(last + timedelta(days=d), k, dr) for d, k, dr in extra)],
                    last + timedelta(days=as_of_days))
    line = next(line for line in result.explanation if "two-way contact" in line)
    assert line == f"{signed(result.components['recency'])}: {expected}"
    softened = re.search(r"counted as (\d+)", line)
    counted = float(softened.group(1)) if softened else as_of_days
    penalty = PARAMS.weight_recency * (1 - math.exp(-((counted / PARAMS.recency_scale_days) ** 2)))
    assert -result.components["recency"] == pytest.approx(penalty, abs=0.05 * PARAMS.weight_recency)


@pytest.mark.parametrize("touches, as_of_days, words", [
    pytest.param([Touch(START, "like", "outbound")], 200, "no two-way contact in the 200 days since the first contact",
                 id="never-two-way"),
    pytest.param(weekly(13), 400, "days since the last two-way contact", id="long-silent"),
])
def test_the_zero_clamp_is_no_reason_and_the_cap_is_never_negative_zero(touches, as_of_days, words):
    result = assess(touches, touches[-1].at + timedelta(days=as_of_days))
    assert result.score == 0.0 and result.components["cap"] > 0
    assert not any("cannot go below 0" in line for line in result.explanation)
    assert any(words in line for line in result.explanation)
    fresh = assess(weekly(13), weekly(13)[-1].at + DAY)
    assert math.copysign(1.0, fresh.components["cap"]) == 1.0 and fresh.components["cap"] == 0.0
    assert '"cap": -0.0' not in json.dumps(fresh.components)


def test_components_add_up_to_the_score_and_the_explanation_names_its_reasons():
    touches = weekly(13) + [Touch(START + timedelta(days=20), "purchase", "mutual")]
    as_of = touches[-2].at + timedelta(days=90)
    result = assess(touches, as_of)
    assert set(result.components) == {"recency", "duration", "intensity", "intimacy", "reciprocity", "services", "activity",
                                      "cap"}
    assert sum(result.components.values()) == pytest.approx(result.score)
    assert result.components["recency"] < 0 < result.components["intimacy"]
    assert any(line.startswith("\u2212") and "90 days since the last two-way contact" in line for line in result.explanation)
    assert any(line.startswith("+") and "meeting on 30 Mar" in line for line in result.explanation)
    assert result.components["services"] > 0


def test_the_one_way_cap_is_explained():
    """Without a recency weight (with it, never-reciprocated contact carries the full penalty, so it
    rarely reaches the cap) frequent unanswered emails score above the cap, which takes the rest."""
    touches = [Touch(START + timedelta(days=i), "email", "outbound") for i in range(0, 60, 3)]
    result = assess(touches, touches[-1].at, ScoringParams(weight_recency=0.0))
    assert result.score == PARAMS.one_way_score_cap and result.components["cap"] < 0
    assert any(line.endswith("capped at 35: contact has only gone one way") for line in result.explanation)


@pytest.mark.parametrize("days_silent", [
    pytest.param(120, id="out-of-strong_tie"),
    pytest.param(400, id="down-to-awareness"),
])
def test_a_demotion_reason_shows_a_score_under_the_threshold_it_names(days_silent):
    demotions = [t for t in silent_strong_tie(days_silent).transitions
                 if t.track == "tie" and TIE_STAGES.index(t.to_stage) < TIE_STAGES.index(t.from_stage)]
    assert demotions
    for change in demotions:
        shown, threshold = re.fullmatch(r"score fell to ([\d.]+), under the ([\d.]+) that \w+ needs to hold, after .*",
                                        change.reason).groups()
        assert float(shown) < float(threshold) == PARAMS.demote_threshold(change.from_stage)


@pytest.mark.parametrize("points, shown", [
    pytest.param(17.96, "17.9", id="just-under-a-threshold-is-not-rounded-up-to-it"),
    pytest.param(17.0, "17", id="whole"),
    pytest.param(54.25, "54.2", id="one-decimal"),
    pytest.param(100.0, "100", id="full"),
])
def test_figure_never_rounds_a_score_up(points, shown):
    assert figure(points) == shown


@pytest.mark.parametrize("value, threshold, words", [
    pytest.param(41.37, 38.0, "score 41 is close to 38, where building is lost", id="near"),
    pytest.param(38.3, 38.0, "score 38.3 is close to 38, where building is lost", id="near-rounding-to-the-threshold"),
    pytest.param(37.96, 38.0, "score 37.9 is already under the 38 that building needs to hold", id="held-by-the-dwell"),
])
def test_near_a_threshold_reads_consistently(value, threshold, words):
    assert risk_words(Risk("near", 30.0, value, threshold, "building")) == words
