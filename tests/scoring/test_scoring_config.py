"""Scoring parameters: documented defaults, overrides from [scoring] in strongtie.toml, and
refusal of keys or values that would silently do nothing or break the model's guarantees."""

import math

import pytest

from config.scoring import COMPONENTS, DEFAULT_INTIMACY, ScoringParams, scoring_params
from config.settings import SettingsError, load_settings


def test_defaults_without_a_table():
    assert scoring_params({}) == ScoringParams()
    assert scoring_params(None).weights() == {c: ScoringParams().weight(c) for c in COMPONENTS}


def test_intimacy_orders_kinds_as_the_research_does():
    i = DEFAULT_INTIMACY
    assert i["meeting"] > i["call"] > i["email"] == i["message"] > i["comment"] >= i["share"] > i["like"] > i["note"] == 0


def test_the_toml_table_overrides_single_values(tmp_path):
    config = tmp_path / "strongtie.toml"
    config.write_text("[scoring]\nweight_recency = 50\nmin_dwell_days = 21\n\n[scoring.intimacy]\ngift = 0.7\n")
    params = scoring_params(load_settings({"STRONGTIE_CONFIG": str(config)}).scoring)
    assert params.weight_recency == 50 and params.min_dwell_days == 21
    assert params.intimacy["gift"] == 0.7 and params.intimacy["meeting"] == DEFAULT_INTIMACY["meeting"]


@pytest.mark.parametrize("table, message", [
    pytest.param({"weight_recncy": 50}, "unknown key scoring.weight_recncy", id="typo"),
    pytest.param({"weight_intensity": -1}, "scoring.weight_intensity must be a finite non-negative number", id="negative"),
    pytest.param({"weight_intensity": "high"}, "scoring.weight_intensity must be a finite non-negative number", id="text"),
    pytest.param({"weight_recency": math.nan}, "scoring.weight_recency must be a finite non-negative number", id="nan-weight"),
    pytest.param({"weight_recency": math.inf}, "scoring.weight_recency must be a finite non-negative number", id="inf-weight"),
    pytest.param({"min_dwell_days": math.nan}, "scoring.min_dwell_days must be a finite non-negative number", id="nan-dwell"),
    pytest.param({"recency_scale_days": math.inf}, "scoring.recency_scale_days must be a finite", id="inf-scale"),
    pytest.param({"intimacy": {"call": math.nan}}, "scoring.intimacy.call must be a number from 0 to 1", id="nan-intimacy"),
    pytest.param({"recency_scale_days": 0}, "scoring.recency_scale_days must be at least 1", id="zero-scale"),
    pytest.param({"intensity_half_life_growth": 0.001}, "scoring.intensity_half_life_growth must be at least 0.01",
                 id="tiny-growth"),
    pytest.param({"intimacy_half_life_days": 0.1}, "scoring.intimacy_half_life_days must be at least 1", id="tiny-half-life"),
    pytest.param({"silence_fade_days": 0}, "scoring.silence_fade_days must be at least 1", id="zero-fade"),
    pytest.param({"services_scale": 0}, "scoring.services_scale must be greater than 0", id="zero-services-scale"),
    pytest.param({"demote_building": 50}, "scoring.demote_building (50) must be below scoring.promote_building", id="inverted-hysteresis"),
    pytest.param({"demote_building": 45}, "scoring.demote_building (45) must be below scoring.promote_building (45)",
                 id="no-hysteresis-band"),
    pytest.param({"promote_building": 20, "demote_building": 19}, "promote_building must be above", id="thresholds-out-of-order"),
    pytest.param({"one_way_score_cap": 45}, "scoring.one_way_score_cap (45) must be below scoring.promote_building (45)",
                 id="one-way-cap-reaches-building"),
    pytest.param({"one_way_score_cap": 50}, "scoring.one_way_score_cap", id="one-way-cap-above-building"),
    pytest.param({"intimacy": {"hug": 1.0}}, "unknown interaction kind(s): hug", id="unknown-kind"),
    pytest.param({"intimacy": {"like": 2}}, "scoring.intimacy.like must be a number from 0 to 1", id="intimacy-range"),
    pytest.param({"strong_cutoff": 1.5}, "strong_cutoff must be between 0 and 1", id="cutoff"),
])
def test_bad_values_are_refused_naming_the_key(table, message):
    with pytest.raises(SettingsError) as error:
        scoring_params(table)
    assert message in str(error.value)


@pytest.mark.parametrize("table", [
    pytest.param({"one_way_score_cap": 44.9}, id="cap-just-under-building"),
    pytest.param({"demote_building": 44.9}, id="narrow-hysteresis-band"),
    pytest.param({"intensity_half_life_growth": 0.01}, id="smallest-growth"),
    pytest.param({"min_dwell_days": 0}, id="no-dwell"),
])
def test_values_at_the_edge_of_the_bounds_are_accepted(table):
    params = scoring_params(table)
    assert all(getattr(params, key) == value for key, value in table.items())


def test_with_weights_replaces_only_the_given_components():
    params = ScoringParams().with_weights({"recency": 10})
    assert params.weight_recency == 10 and params.weight_intensity == ScoringParams().weight_intensity
