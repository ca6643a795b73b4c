"""How the six component values become one 0-100 score: the model's only combining formula.

``score = clamp(duration + intensity + intimacy + reciprocity + services - recency, 0, 100)``, each
term its component's 0-1 value times its weight, and capped at ``one_way_score_cap`` while no
contact has gone both ways. The replay's hot path, the features an assessment reports and
calibration's prediction all call :func:`combine`, so a score can always be recomputed exactly from
its features and weights, and a fitted weight set scores exactly as the model would.
"""

from __future__ import annotations

from collections.abc import Sequence

from config.scoring import COMPONENTS, ScoringParams

#: The highest score there is (and the cap once contact has gone both ways).
MAX_SCORE = 100.0
#: Each component's sign in the sum, in ``COMPONENTS`` order: recency is a penalty.
SIGNS = tuple(-1.0 if name == "recency" else 1.0 for name in COMPONENTS)


def combine(values: Sequence[float], weights: Sequence[float], cap: float = MAX_SCORE) -> float:
    """The 0-100 score of component ``values`` (each 0-1, in ``COMPONENTS`` order) under ``weights``
    (points each can contribute, same order), no higher than ``cap`` (see :func:`score_cap`).

    Runs millions of times in a scoring pass, so the sum is written out rather than looped; a test
    holds it equal to the looped sum over ``COMPONENTS`` and ``SIGNS``.
    """
    recency, duration, intensity, intimacy, reciprocity, services = values
    w_recency, w_duration, w_intensity, w_intimacy, w_reciprocity, w_services = weights
    raw = (w_duration * duration + w_intensity * intensity + w_intimacy * intimacy
           + w_reciprocity * reciprocity + w_services * services - w_recency * recency)
    score = MAX_SCORE if raw > MAX_SCORE else (raw if raw > 0.0 else 0.0)
    return score if score < cap else cap


def score_cap(two_way: bool, params: ScoringParams) -> float:
    """The most a relationship can score: ``one_way_score_cap`` until some contact went both ways
    (one-way contact is not a relationship), the full 100 afterwards."""
    return MAX_SCORE if two_way else params.one_way_score_cap


def weights_of(params: ScoringParams) -> tuple[float, ...]:
    """The component weights of ``params`` in ``COMPONENTS`` order, as :func:`combine` takes them."""
    return tuple(params.weight(name) for name in COMPONENTS)


def component_points(values: Sequence[float], weights: Sequence[float]) -> dict[str, float]:
    """Each component's signed points before the clamp and the cap (recency's are negative), as the
    explanation shows them; ``score`` minus their sum is what the clamp or the cap took away."""
    # "+ 0.0" turns the -0.0 of an absent penalty into 0.0
    return {name: weight * value * sign + 0.0
            for name, value, weight, sign in zip(COMPONENTS, values, weights, SIGNS, strict=True)}
