"""Calibration maths: error against managers' ratings and the bounded least-squares fit."""

import numpy as np
import pytest

from config.scoring import COMPONENTS, ScoringParams
from models.scoring.calibration import (
    RatedRelationship,
    bounded_least_squares,
    evaluate,
    fit_weights,
    mean_absolute_error,
    predict,
    strong_weak_accuracy,
)


@pytest.mark.parametrize("scores, ratings, mae", [
    pytest.param([80.0], [8], 0.0, id="exact"),
    pytest.param([50.0, 100.0], [10, 0], 0.75, id="both-off"),
    pytest.param([30.0, 70.0], [4, 6], 0.1, id="research-level"),
])
def test_mean_absolute_error_compares_on_a_zero_to_one_scale(scores, ratings, mae):
    assert mean_absolute_error(scores, ratings) == pytest.approx(mae)


def test_strong_weak_accuracy_counts_agreement_either_side_of_the_cutoff():
    assert strong_weak_accuracy([80.0, 20.0, 60.0, 40.0], [9, 1, 3, 7]) == 0.5
    assert strong_weak_accuracy([50.0], [5]) == 1.0


def test_no_ratings_is_an_error_not_a_zero():
    with pytest.raises(ValueError):
        mean_absolute_error([], [])


def point(features: dict[str, float], rating: int, two_way: bool = True) -> RatedRelationship:
    return RatedRelationship("c", rating, {c: features.get(c, 0.0) for c in COMPONENTS}, two_way)


def test_predict_uses_the_model_formula_with_its_cap():
    params = ScoringParams()
    full = point({c: 1.0 for c in COMPONENTS}, 10)
    assert predict(full, params) == pytest.approx(sum(params.weights().values()) - 2 * params.weight_recency)
    assert predict(point({c: 1.0 for c in COMPONENTS}, 10, two_way=False), params) <= params.one_way_score_cap


def test_bounded_least_squares_recovers_weights_and_respects_bounds():
    rng = np.random.default_rng(3)
    matrix = rng.random((40, 3))
    truth = np.array([20.0, 5.0, 60.0])
    fitted = bounded_least_squares(matrix, matrix @ truth, np.zeros(3), np.full(3, 100.0), np.ones(3))
    assert fitted == pytest.approx(truth, abs=1e-4)
    capped = bounded_least_squares(matrix, matrix @ truth, np.zeros(3), np.full(3, 30.0), np.ones(3))
    assert capped.max() <= 30.0 and capped.min() >= 0.0


def test_fit_weights_improves_the_error_on_ratings_the_defaults_miss():
    rng = np.random.default_rng(5)
    points = []
    for _ in range(30):
        features = {c: float(rng.random()) for c in COMPONENTS}
        # managers here care about reciprocity above all
        rating = round(min(10.0, max(0.0, 10 * features["reciprocity"])))
        points.append(point(features, rating))
    params = ScoringParams()
    weights = fit_weights(points, params)
    assert all(0 <= w <= 100 for w in weights.values())
    assert evaluate(points, params.with_weights(weights)).mae < evaluate(points, params).mae
    assert weights["reciprocity"] == max(weights.values())


def test_fit_weights_refuses_too_few_ratings():
    with pytest.raises(ValueError, match="at least"):
        fit_weights([point({}, 5)] * 3, ScoringParams())
