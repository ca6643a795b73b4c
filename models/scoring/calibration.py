"""Calibration: how far the model is from managers' own ratings, and weights fitted to them.

Pure functions (no database). A manager's rating is 0-10 and a score 0-100, so both are compared
on a 0-1 scale, as in Gilbert & Karahalios (CHI 2009), whose model reached a mean absolute error
of about 0.10 and 85% accuracy telling strong from weak ties.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from config.scoring import COMPONENTS, ScoringParams
from models.scoring.combine import SIGNS, combine, score_cap, weights_of

MIN_RATINGS_TO_REPORT = 3
MIN_RATINGS_TO_FIT = 8
MAX_WEIGHT = 100.0
RESEARCH_MAE = 0.10
RESEARCH_ACCURACY = 0.85


@dataclass(frozen=True)
class RatedRelationship:
    """One manager rating with the model's component values as of the moment it was given."""

    customer: str
    rating: int  # 0-10
    features: Mapping[str, float]  # component -> 0-1 value (see Assessment.features)
    two_way: bool


@dataclass(frozen=True)
class Evaluation:
    """How far the model's scores are from ``count`` managers' ratings: the mean absolute error and
    the strong-vs-weak agreement, both on a 0-1 scale, to set beside the research's 0.10 and 85%."""

    count: int
    mae: float  # mean |score/100 - rating/10|
    accuracy: float  # share where score and rating agree on strong vs weak


def predict(point: RatedRelationship, params: ScoringParams) -> float:
    """The 0-100 score ``params`` give to this relationship: the model's own
    :func:`~models.scoring.combine.combine` of its features, so a fitted weight set is judged by
    exactly the score the model would give."""
    values = tuple(point.features[c] for c in COMPONENTS)
    return combine(values, weights_of(params), score_cap(point.two_way, params))


def mean_absolute_error(scores: Sequence[float], ratings: Sequence[int]) -> float:
    """Mean of |score/100 - rating/10|."""
    if not scores:
        raise ValueError("no ratings to compare with")
    return sum(abs(s / 100.0 - r / 10.0) for s, r in zip(scores, ratings, strict=True)) / len(scores)


def strong_weak_accuracy(scores: Sequence[float], ratings: Sequence[int], cutoff: float = 0.5) -> float:
    """Share of relationships where model and manager agree whether the tie is strong
    (score/100 and rating/10 at or above ``cutoff``)."""
    if not scores:
        raise ValueError("no ratings to compare with")
    agree = sum((s / 100.0 >= cutoff) == (r / 10.0 >= cutoff) for s, r in zip(scores, ratings, strict=True))
    return agree / len(scores)


def evaluate(points: Sequence[RatedRelationship], params: ScoringParams) -> Evaluation:
    """How well ``params`` score the rated relationships: error and strong-vs-weak agreement."""
    scores = [predict(p, params) for p in points]
    ratings = [p.rating for p in points]
    return Evaluation(len(points), mean_absolute_error(scores, ratings),
                      strong_weak_accuracy(scores, ratings, params.strong_cutoff))


def bounded_least_squares(matrix: np.ndarray, target: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                          start: np.ndarray, *, iterations: int = 2000, tolerance: float = 1e-9) -> np.ndarray:
    """Minimise ||matrix @ x - target||^2 with lower <= x <= upper by cyclic coordinate descent.

    The problem is convex, so this converges to the optimum; a column that is all zeros (a
    component no rated relationship has) keeps its starting value, since the data says nothing
    about it.
    """
    x = np.clip(start.astype(float), lower, upper)
    residual = target - matrix @ x
    norms = (matrix * matrix).sum(axis=0)
    for _ in range(iterations):
        largest_step = 0.0
        for j in range(matrix.shape[1]):
            if norms[j] == 0:
                continue
            column = matrix[:, j]
            new = min(upper[j], max(lower[j], x[j] + column @ residual / norms[j]))
            step = new - x[j]
            if step:
                residual -= step * column
                x[j] = new
                largest_step = max(largest_step, abs(step))
        if largest_step < tolerance:
            break
    return x


def fit_weights(points: Sequence[RatedRelationship], params: ScoringParams) -> dict[str, float]:
    """Component weights (each between 0 and 100 points) that best match ``rating * 10`` in the
    least-squares sense, starting from and defaulting to the current weights."""
    if len(points) < MIN_RATINGS_TO_FIT:
        raise ValueError(f"fitting needs at least {MIN_RATINGS_TO_FIT} rated relationships, got {len(points)}")
    matrix = np.array([[p.features[c] * sign for c, sign in zip(COMPONENTS, SIGNS, strict=True)] for p in points],
                      dtype=float)
    target = np.array([p.rating * 10.0 for p in points], dtype=float)
    n = len(COMPONENTS)
    start = np.array([params.weight(c) for c in COMPONENTS], dtype=float)
    fitted = bounded_least_squares(matrix, target, np.zeros(n), np.full(n, MAX_WEIGHT), start)
    return {c: round(float(w), 1) for c, w in zip(COMPONENTS, fitted)}

