"""Parameters of the tie-strength model: weights, half-lives and stage thresholds.

Every value has a documented default (see docs/scoring.md); a team overrides any of them in the
``[scoring]`` table of strongtie.toml, e.g.::

    [scoring]
    weight_recency = 50
    intensity_half_life_days = 30

    [scoring.intimacy]
    gift = 0.7

Unknown keys and out-of-range values are refused with a message naming the key, so a typo in the
config file never silently leaves a default in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Mapping

from config.settings import SettingsError
from config.vocabulary import TIE_STAGES

#: How close each kind of contact is (Gilbert & Karahalios' "intimacy"): in person > call >
#: direct message/email > comment/share > like. Commercial events carry business, not intimacy.
DEFAULT_INTIMACY: Mapping[str, float] = MappingProxyType({
    "meeting": 1.0,
    "event": 0.9,
    "call": 0.8,
    "gift": 0.6,
    "email": 0.6,
    "message": 0.6,
    "intro": 0.5,
    "referral": 0.5,
    "purchase": 0.4,
    "trial": 0.3,
    "comment": 0.3,
    "share": 0.25,
    "mention": 0.2,
    "like": 0.1,
    "note": 0.0,  # an internal note is not contact with the customer
})

#: The components, in the order the model reports them; each has a ``weight_<name>``.
COMPONENTS = ("recency", "duration", "intensity", "intimacy", "reciprocity", "services")


@dataclass(frozen=True)
class ScoringParams:
    """Everything the tie-strength model can be tuned by; defaults documented in docs/scoring.md."""

    # Points each component can contribute at most (recency is subtracted).
    weight_recency: float = 45.0
    weight_duration: float = 15.0
    weight_intensity: float = 30.0
    weight_intimacy: float = 20.0
    weight_reciprocity: float = 20.0
    weight_services: float = 15.0

    # recency: penalty = weight * (1 - exp(-(days / scale)^2)): gentle for weeks, steep after months.
    recency_scale_days: float = 150.0
    # a one-way touch (a like, an unanswered email) counts as two-way contact this many days older…
    one_way_recency_offset_days: float = 60.0
    # …but counts at most this many days past the last two-way contact (one-way contact is not a
    # relationship: our own likes cannot keep a silent tie alive), and not at all before the first one.
    one_way_recency_max_days: float = 14.0
    # duration, reciprocity and services fade with the silence: multiplied by exp(-(d / this)^2) for d
    # days since the (recency) last two-way contact, so a silent tie of any age erodes.
    silence_fade_days: float = 300.0
    # duration: days between first and latest contact, saturating.
    duration_scale_days: float = 120.0
    # intensity: decayed sum of contact; half-life = base + growth * age of the relationship,
    # so new ties fade in weeks and old ones over years.
    intensity_half_life_days: float = 21.0
    intensity_half_life_growth: float = 1.5
    intensity_scale: float = 3.0
    # intimacy: the closest recent contact, fading with its own (slower) half-life.
    intimacy_half_life_days: float = 45.0
    intimacy_half_life_growth: float = 2.0
    intimacy: Mapping[str, float] = field(default_factory=lambda: DEFAULT_INTIMACY)
    # reciprocity: reciprocated contact volume min(inbound, outbound), saturating.
    reciprocity_scale: float = 3.0
    # an inbound touch within this many days of an outbound one (or vice versa) is a reply.
    reply_window_days: float = 14.0
    # services: intros, referrals and purchases, saturating.
    services_scale: float = 2.0
    # without any two-way contact the score cannot exceed this (caps the stage at weak_tie).
    one_way_score_cap: float = 35.0

    # Stage thresholds: promote at or above, demote below (hysteresis band in between).
    promote_weak_tie: float = 25.0
    demote_weak_tie: float = 18.0
    promote_building: float = 45.0
    demote_building: float = 38.0
    promote_strong_tie: float = 65.0
    demote_strong_tie: float = 55.0
    # a stage is held at least this long before it changes again.
    min_dwell_days: float = 14.0

    # at risk: silence past factor * usual gap, clamped to [min, max] days; or a sharp drop.
    risk_gap_factor: float = 3.0
    risk_min_silence_days: float = 21.0
    risk_max_silence_days: float = 56.0
    risk_drop_points: float = 12.0
    risk_margin_points: float = 5.0

    # the customer's own activity (their posts): never points by itself, but it sharpens at_risk.
    # the explanation counts their posts over this many days before as_of.
    activity_window_days: float = 30.0
    # at least this many posts since the last two-way contact make them "publicly active"…
    risk_active_posts: float = 2.0
    # …and then a silence past this factor * the usual gap (clamped as above) already breaks the rhythm.
    risk_active_gap_factor: float = 2.0

    # calibration: both a score/100 and a rating/10 at or above this mean "strong".
    strong_cutoff: float = 0.5

    def weight(self, component: str) -> float:
        """The most points ``component`` can give (its ``weight_<name>`` parameter)."""
        return float(getattr(self, f"weight_{component}"))

    def weights(self) -> dict[str, float]:
        """Component -> maximum points, in report order."""
        return {name: self.weight(name) for name in COMPONENTS}

    def with_weights(self, weights: Mapping[str, float]) -> ScoringParams:
        """A copy with some component weights replaced (used by calibration)."""
        return replace(self, **{f"weight_{name}": float(value) for name, value in weights.items()})

    def promote_threshold(self, stage: str) -> float:
        """Score at which a relationship may enter ``stage`` from below."""
        if stage in ("unaware", "awareness"):
            return 0.0
        return float(getattr(self, f"promote_{stage}"))

    def demote_threshold(self, stage: str) -> float:
        """Score below which a relationship leaves ``stage`` downwards (0 for the floor stages)."""
        if stage in ("unaware", "awareness"):
            return 0.0
        return float(getattr(self, f"demote_{stage}"))

    def validate(self) -> None:
        """Refuse parameters that would break the model's guarantees (monotonicity, hysteresis) or
        its arithmetic (NaN, infinities, overflowing half-lives), naming the ``[scoring]`` key."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "intimacy":
                for kind, weight in value.items():
                    if not _is_number(weight) or not 0 <= weight <= 1:
                        raise SettingsError(f"scoring.intimacy.{kind} must be a number from 0 to 1, got {weight!r}")
                continue
            if not _is_number(value) or value < 0:
                raise SettingsError(f"scoring.{f.name} must be a finite non-negative number, got {value!r}")
        for name, least in _LOWER_BOUNDS.items():
            if getattr(self, name) < least:
                raise SettingsError(f"scoring.{name} must be at least {least:g}, got {getattr(self, name)!r}")
        for name in _POSITIVE:
            if getattr(self, name) <= 0:
                raise SettingsError(f"scoring.{name} must be greater than 0")
        previous_promote = 0.0
        for stage in TIE_STAGES[2:]:
            promote, demote = self.promote_threshold(stage), self.demote_threshold(stage)
            if not demote < promote:
                raise SettingsError(f"scoring.demote_{stage} ({demote:g}) must be below scoring.promote_{stage} "
                                    f"({promote:g}): promotion thresholds sit above demotion thresholds")
            if promote <= previous_promote:
                raise SettingsError(f"scoring.promote_{stage} must be above the previous stage's promotion threshold")
            previous_promote = promote
        if self.one_way_score_cap >= self.promote_building:
            raise SettingsError(f"scoring.one_way_score_cap ({self.one_way_score_cap:g}) must be below "
                                f"scoring.promote_building ({self.promote_building:g}): one-way contact stays "
                                "at most weak_tie")
        if self.risk_min_silence_days > self.risk_max_silence_days:
            raise SettingsError("scoring.risk_min_silence_days must not exceed scoring.risk_max_silence_days")
        if not 0 < self.strong_cutoff < 1:
            raise SettingsError("scoring.strong_cutoff must be between 0 and 1")


_NUMERIC = {f.name for f in fields(ScoringParams) if f.name != "intimacy"}

#: Values that must be greater than 0 (scales, half-lives, windows).
_POSITIVE = ("recency_scale_days", "duration_scale_days", "intensity_half_life_days", "intensity_scale",
             "intimacy_half_life_days", "reciprocity_scale", "services_scale", "activity_window_days",
             "risk_active_posts", "silence_fade_days")
#: Smallest sensible values: a half-life under a day, or one that barely grows, is a typo rather than
#: a model, and a growth near 0 used to overflow the decay.
_LOWER_BOUNDS = {"intensity_half_life_days": 1.0, "intimacy_half_life_days": 1.0,
                 "intensity_half_life_growth": 0.01, "intimacy_half_life_growth": 0.01,
                 "recency_scale_days": 1.0, "duration_scale_days": 1.0, "silence_fade_days": 1.0}


def _is_number(value: object) -> bool:
    """A real, finite number (not a bool, not NaN, not an infinity)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def scoring_params(table: Mapping[str, Any] | None = None) -> ScoringParams:
    """Build :class:`ScoringParams` from the ``[scoring]`` table of strongtie.toml (or defaults).

    Raises :class:`SettingsError` naming the offending key for unknown keys or bad values.
    """
    table = dict(table or {})
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "intimacy":
            if not isinstance(value, Mapping):
                raise SettingsError("scoring.intimacy must be a table of kind = weight")
            unknown = sorted(set(value) - set(DEFAULT_INTIMACY))
            if unknown:
                raise SettingsError(f"scoring.intimacy has unknown interaction kind(s): {', '.join(unknown)}; "
                                    f"known: {', '.join(DEFAULT_INTIMACY)}")
            values["intimacy"] = MappingProxyType({**DEFAULT_INTIMACY, **value})
        elif key in _NUMERIC:
            values[key] = value
        else:
            raise SettingsError(f"unknown key scoring.{key} in the config file; see docs/scoring.md for the known keys")
    params = ScoringParams(**values)
    params.validate()
    return params
