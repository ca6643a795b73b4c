"""The running state of one relationship while its interactions are replayed in time order.

:class:`Replay` folds each interaction into running aggregates from which every component can be
evaluated at any later time in O(1): intensity and intimacy keep their level as of the latest
interaction and decay it exponentially from there, with a half-life that grows with the contact
span (first contact to latest two-way contact), so it is fixed between two-way contacts and frozen
by silence. It also keeps the path: the tie stage (with hysteresis and a minimum dwell), the
hourglass stage and the at-risk flag, each change recorded as a
:class:`~models.scoring.transitions.Transition` with its reason.

At an interaction the stage, hourglass and risk react at once (here); between interactions the
score can only fall, and the daily checkpoints that find demotions and at-risk flags live in
:mod:`models.scoring.checkpoints`. The risk criteria (:mod:`models.scoring.risk`) and the hourglass
(:mod:`models.scoring.hourglass`) read and move this state from their own modules.

It runs once per interaction, a million times in a full scoring pass, so it is tuned: slots, the
parameters it needs copied onto itself (inverse scales, weights), and plain tuples for events.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from operator import attrgetter

from config.scoring import ScoringParams
from config.vocabulary import TIE_STAGES
from models.scoring.combine import MAX_SCORE, combine, score_cap, weights_of
from models.scoring.hourglass import apply_commerce, update_hourglass
from models.scoring.kinds import kind_facts
from models.scoring.risk import Risk, risk_at, set_risk
from models.scoring.transitions import Transition
from models.scoring.wording import describe, figure, promotion_words
from models.timeline import Event, as_datetime

_exp, _floor = math.exp, math.floor
_LN2 = math.log(2)
_SLOPE = math.sqrt(2.0 / math.e)  # the steepest slope of 1 - exp(-x^2)

_STAGE_INDEX = {stage: i for i, stage in enumerate(TIE_STAGES)}
_STRONGEST = len(TIE_STAGES) - 1  # no promotion above it
_RHYTHM_GAPS = 8  # the usual gap is the median of this many latest gaps between two-way contacts
_NO_FEATURES = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
#: The running state the score reads (Replay.features and combine), the latest interaction first.
_SCORE_STATE = ("last_contact", "first", "intensity_level", "int_rate", "intimacy_level", "imm_rate",
                "recency_reference", "duration_value", "reciprocity_value", "services_value", "score_cap")
_score_state = attrgetter(*_SCORE_STATE)
#: id(params) -> (params, weights, kind facts, promotion and demotion thresholds by stage): what a
#: replay derives from its parameters, built once per parameter set (a pass keeps 20,000 replays)
_DERIVED: dict[int, tuple] = {}


class Replay:
    """The running state of one relationship while its interactions are replayed in time order.

    Feed it the interactions in replay order with :meth:`on_event`, and the daily checkpoints
    between them with :func:`models.scoring.checkpoints.advance`; :meth:`score` and
    :meth:`features` then evaluate it at any time not before the latest interaction.
    """

    __slots__ = (
        # parameters, copied or derived once
        "p", "w", "w_recency", "w_intensity", "w_intimacy", "int_h0", "int_k", "imm_h0", "imm_k", "dwell",
        "inv_fade_scale", "inv_recency_scale", "inv_intensity_scale", "inv_duration_scale",
        "inv_reciprocity_scale", "inv_services_scale", "reply_window", "min_silence", "one_way_offset",
        "one_way_reach", "kind_facts", "promote", "demote", "record", "posts", "cadence",
        # the score's aggregates
        "first", "last_contact", "last_event", "last_two_way", "last_in_conv", "last_out_conv",
        "intensity_level", "intimacy_level", "intimacy_event", "int_rate", "imm_rate", "in_weight", "out_weight",
        "in_count", "out_count", "reciprocated", "services", "duration_value", "reciprocity_value", "services_value",
        "recency_reference", "recency_event", "score_cap",
        # bounds on the fall between interactions
        "steady_points", "recency_fall_rate", "fall_rate", "score_after_event",
        # the path: stages, hourglass, commerce
        "stage", "stage_index", "since", "since_at", "pending_promotion", "hourglass", "purchase_days",
        "commerce_event", "commerce_rank", "transitions",
        # at risk
        "at_risk", "risk_reason", "rhythm_gaps", "last_two_way_day", "usual_gap", "rhythm_limit", "rhythm_stale",
        "active_limit", "silence_reference",
    )

    def __init__(self, params: ScoringParams, *, record: bool = True, posts: Sequence[float] = (),
                 cadence: float | None = None) -> None:
        """Start before any interaction: ``unaware``, score 0. ``record`` keeps the transitions
        with their reasons (not needed to know the stage); ``posts`` are when the customer
        published, in days since the epoch, sorted; ``cadence`` is the keep-in-touch interval in
        days set for this relationship (None: none), which replaces its learned rhythm for the
        at-risk flag (see :mod:`models.scoring.risk`)."""
        p = params
        self.p = p
        self.posts = posts
        self.cadence = cadence or None
        self.record = record
        derived = _DERIVED.get(id(p))
        if derived is None or derived[0] is not p:  # shared by every replay of one parameter set
            if len(_DERIVED) >= 64:  # parameter sets come and go in tests and calibration
                _DERIVED.clear()
            derived = _DERIVED[id(p)] = (p, weights_of(p), kind_facts(p), tuple(p.promote_threshold(s) for s in TIE_STAGES),
                                         tuple(p.demote_threshold(s) for s in TIE_STAGES))
        _, self.w, self.kind_facts, self.promote, self.demote = derived
        self.w_recency, self.w_intensity, self.w_intimacy = self.w[0], self.w[2], self.w[3]
        self.int_h0, self.int_k = p.intensity_half_life_days, p.intensity_half_life_growth
        self.imm_h0, self.imm_k = p.intimacy_half_life_days, p.intimacy_half_life_growth
        # decay rates (ln 2 / half-life) for a contact span of 0; each two-way contact lengthens them
        self.int_rate = _LN2 / self.int_h0
        self.imm_rate = _LN2 / self.imm_h0
        self.inv_fade_scale = 1.0 / p.silence_fade_days
        self.dwell = p.min_dwell_days
        self.inv_recency_scale = 1.0 / p.recency_scale_days
        self.inv_intensity_scale = 1.0 / p.intensity_scale
        self.inv_duration_scale = 1.0 / p.duration_scale_days
        self.inv_reciprocity_scale = 1.0 / p.reciprocity_scale
        self.inv_services_scale = 1.0 / p.services_scale
        self.reply_window = p.reply_window_days
        # the least silence any at-risk criterion needs: a shorter cadence lowers it for its own criterion
        self.min_silence = p.risk_min_silence_days if self.cadence is None else min(p.risk_min_silence_days, self.cadence)
        self.one_way_offset = p.one_way_recency_offset_days
        self.one_way_reach = p.one_way_recency_max_days
        # recency counts days since this moment: the last two-way contact, or up to one_way_reach days
        # later when a one-way touch came after it (never set by one-way touches alone)
        self.recency_reference = -math.inf
        self.recency_event: Event | None = None  # the one-way touch that moved it, if one did
        self.score_cap = score_cap(False, p)  # lifted by the first two-way contact
        # the 0-1 values of the components that fade with silence, before the fade (set per interaction)
        self.duration_value = self.reciprocity_value = self.services_value = 0.0
        self.steady_points = 0.0  # their points together, before the fade
        # Bounds on how fast each fading component can lose points (their derivatives' maxima):
        # recency's steepest slope is w*sqrt(2/e)/scale, and the silence fade's steady*sqrt(2/e)/fade;
        # intensity's w*rate/e; intimacy loses rate of its value a day. Summed at an interaction they
        # bound the fall until the next one, so a gap that cannot reach the demotion threshold needs
        # no score computed at its end.
        self.recency_fall_rate = self.w_recency * _SLOPE * self.inv_recency_scale
        self.fall_rate = math.inf
        self.score_after_event = 0.0
        # aggregates
        self.first: float | None = None
        self.last_contact: float | None = None
        self.last_event: Event | None = None
        self.last_two_way: float | None = None
        self.last_in_conv = -math.inf
        self.last_out_conv = -math.inf
        self.intensity_level = 0.0  # decayed contact weight as of last_contact
        self.intimacy_level = 0.0  # the largest decayed intimacy as of last_contact
        self.intimacy_event: Event | None = None
        self.in_weight = self.out_weight = 0.0
        self.reciprocated = 0.0  # min(in_weight, out_weight)
        self.in_count = self.out_count = 0
        self.services: list[Event] = []
        # path state
        self.stage = "unaware"
        self.stage_index = 0
        self.since: float | None = None
        self.since_at: datetime | int | None = None
        self.pending_promotion = False  # the dwell held back a promotion the last event earned
        self.hourglass = "know"
        self.purchase_days: set[int] = set()
        self.commerce_event: Event | None = None
        self.commerce_rank = 0
        self.transitions: list[Transition] = []
        # at-risk state (see models.scoring.risk)
        self.at_risk = False
        self.risk_reason: Risk | None = None
        self.rhythm_gaps: deque[float] = deque(maxlen=_RHYTHM_GAPS)
        self.last_two_way_day: int | None = None
        self.usual_gap: float | None = None
        self.rhythm_limit = p.risk_max_silence_days
        self.rhythm_stale = False
        self.active_limit = p.risk_min_silence_days  # the silence that is too long while they post
        if self.cadence is not None:  # the agreed interval is the rhythm, whatever the gaps or their posts
            self.rhythm_limit = self.active_limit = self.cadence
        self.silence_reference = math.inf

    # -- the score -------------------------------------------------------------------------------

    def features(self, t: float) -> tuple[float, ...]:
        """Each component's 0-1 value at time ``t`` (not before the latest replayed event), in
        ``COMPONENTS`` order. Duration, reciprocity and services fade with the silence (see
        :meth:`fade`); recency is the penalty's share of its weight."""
        if self.first is None:
            return _NO_FEATURES
        elapsed = t - self.last_contact
        if elapsed:
            intensity = self.intensity_level * _exp(-self.int_rate * elapsed)
            intimacy = self.intimacy_level * _exp(-self.imm_rate * elapsed)
        else:  # at the latest interaction (exactly what decaying by exp(0) = 1 gives)
            intensity, intimacy = self.intensity_level, self.intimacy_level
        silent = t - self.recency_reference
        if silent:
            recency = silent * self.inv_recency_scale
            recency = 1.0 - _exp(-(recency * recency))
            fade = silent * self.inv_fade_scale
            fade = _exp(-(fade * fade))
        else:  # at a two-way contact (exactly what the formulas give for no silence)
            recency, fade = 0.0, 1.0
        return (recency,
                self.duration_value * fade,
                1.0 - _exp(-intensity * self.inv_intensity_scale),
                intimacy,
                self.reciprocity_value * fade,
                self.services_value * fade)

    def fade(self, t: float) -> float:
        """How much of what the relationship built (duration, reciprocity, services) still counts at
        ``t``: ``exp(-(d / silence_fade_days)^2)`` for ``d`` days since the recency reference, so a
        silence erodes a tie of any age (nothing counts before the first two-way contact)."""
        silent = (t - self.recency_reference) * self.inv_fade_scale
        return _exp(-(silent * silent))

    def score(self, t: float) -> float:
        """The 0-100 score at ``t``: :func:`~models.scoring.combine.combine` of :meth:`features`, so
        a score always equals the one its reported features give. Called a few million times in a
        full scoring pass, which is why :meth:`features` skips the decays that would multiply by 1."""
        return combine(self.features(t), self.w, self.score_cap)

    def score_state(self) -> tuple:
        """What :meth:`score` reads of the running state (the latest interaction's time first),
        kept so the score at a later time can be asked of an earlier state (the trend's probe)."""
        return _score_state(self)

    def score_with(self, state: tuple, t: float) -> float:
        """The score at ``t`` that the running state ``state`` (from :meth:`score_state`) gives:
        the same code as :meth:`score`, so the same figure as replaying up to that state."""
        now = _score_state(self)
        for name, value in zip(_SCORE_STATE, state, strict=True):
            setattr(self, name, value)
        try:
            return self.score(t)
        finally:
            for name, value in zip(_SCORE_STATE, now, strict=True):
                setattr(self, name, value)

    def silence(self, t: float) -> float:
        """Days at ``t`` since the last two-way contact (or since the last contact, if none was)."""
        return t - self.silence_reference

    # -- applying one interaction ----------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Fold one interaction into the aggregates, then let the stage, hourglass and risk react
        to it at once. Runs once per interaction (a million times in a full pass), so it is one
        method and reads what the kind and direction mean from one table."""
        t, kind, direction, at = event
        weight, inbound, outbound, two_way, conversational, service, commercial = self.kind_facts[kind][direction]
        first = self.first
        if first is None:
            first = self.first = t
        elif t > self.last_contact:  # bring the fading levels from the previous interaction to t
            elapsed = t - self.last_contact
            self.intensity_level *= _exp(-self.int_rate * elapsed)
            self.intimacy_level *= _exp(-self.imm_rate * elapsed)
        self.last_contact, self.last_event = t, event
        self.intensity_level += weight
        if weight > self.intimacy_level:
            self.intimacy_level, self.intimacy_event = weight, event
        if inbound:
            self.in_weight += weight
            self.in_count += 1
        if outbound:
            self.out_weight += weight
            self.out_count += 1
        smaller = self.in_weight if self.in_weight < self.out_weight else self.out_weight
        if smaller != self.reciprocated:  # only the smaller side counts: often it did not move
            self.reciprocated = smaller
            self.reciprocity_value = 1.0 - _exp(-smaller * self.inv_reciprocity_scale)
        if conversational:
            window = self.reply_window
            two_way = (direction == "mutual" or (direction == "inbound" and t - self.last_out_conv <= window)
                       or (direction == "outbound" and t - self.last_in_conv <= window))
            if direction != "outbound":
                self.last_in_conv = t
            if direction != "inbound":
                self.last_out_conv = t
        if two_way:
            day = _floor(t)
            if self.last_two_way_day is not None and day > self.last_two_way_day:
                self.rhythm_gaps.append(t - self.last_two_way)
                self.rhythm_stale = True  # worked out when a risk check needs it
            self.last_two_way_day = day
            self.last_two_way = t
            self.silence_reference = t
            self.score_cap = MAX_SCORE
            self.recency_reference, self.recency_event = t, None  # later than any one-way reference
            span = t - first  # the half-lives grow with the contact span, so silence does not slow the decay
            self.int_rate = _LN2 / (self.int_h0 + self.int_k * span)
            self.imm_rate = _LN2 / (self.imm_h0 + self.imm_k * span)
        elif self.last_two_way is None:
            self.silence_reference = t
        else:  # a one-way touch softens recency, but reaches at most one_way_reach past the last two-way contact
            reference = t - self.one_way_offset
            reach = self.last_two_way + self.one_way_reach
            if reference > reach:
                reference = reach
            if reference > self.recency_reference:
                self.recency_reference, self.recency_event = reference, event
        if service:
            self.services.append(event)
            self.services_value = 1.0 - _exp(-len(self.services) * self.inv_services_scale)
        duration = self.duration_value = 1.0 - _exp(-(t - first) * self.inv_duration_scale)
        w = self.w
        self.steady_points = w[1] * duration + w[4] * self.reciprocity_value + w[5] * self.services_value
        commercial = commercial and apply_commerce(self, event)
        score = self.score(t)
        self.score_after_event = score
        self.fall_rate = (self.recency_fall_rate + self.steady_points * _SLOPE * self.inv_fade_scale
                          + self.w_intensity * self.int_rate / math.e + self.w_intimacy * self.intimacy_level * self.imm_rate)
        index = self.stage_index
        self.pending_promotion = False
        if index < 1 or score < self.demote[index] or (index < _STRONGEST and score >= self.promote[index + 1]):
            target = self.desired_stage(score)
            if target != self.stage:
                if self.may_change(t):
                    self.change_stage(t, at, target, score, lambda: describe(event))
                else:
                    self.pending_promotion = True
        if commercial:
            update_hourglass(self, at, score, lambda: describe(event))
        if self.at_risk or t - self.silence_reference >= self.min_silence:
            reason = risk_at(self, t, lambda _t: score)
            if reason or self.at_risk:
                set_risk(self, at, reason, score, lambda: f"back in touch: {describe(event)}")

    # -- stages ----------------------------------------------------------------------------------

    def desired_stage(self, score: float) -> str:
        """The stage the score supports, given the current stage (hysteresis): promote to the
        highest stage whose promotion threshold it reaches, else demote below demotion thresholds."""
        if self.first is None:
            return "unaware"
        current = self.stage_index if self.stage_index > 1 else 1
        promote, demote = self.promote, self.demote
        best = current
        for index in range(current + 1, len(TIE_STAGES)):
            if score >= promote[index]:
                best = index
        if best == current:
            while best > 1 and score < demote[best]:
                best -= 1
        return TIE_STAGES[best]

    def may_change(self, t: float) -> bool:
        """Whether the stage may change at ``t``: the minimum dwell is over (leaving ``unaware`` is
        immediate), so nothing flaps around a threshold."""
        return self.since is None or self.stage == "unaware" or t >= self.since + self.dwell

    def change_stage(self, t: float, at: datetime | int, to_stage: str, score: float, cause: Callable[[], str]) -> None:
        """Move the tie to ``to_stage`` at ``t`` (``at`` as given), recording why (``cause`` is
        worded only when transitions are kept), and let the hourglass follow."""
        p = self.p
        from_stage = self.stage
        if self.record:
            if from_stage == "unaware":
                reason = f"first contact: {cause()}"
            elif _STAGE_INDEX[to_stage] > _STAGE_INDEX[from_stage]:
                reason = f"{promotion_words(score, p.promote_threshold(to_stage), to_stage)}, after {cause()}"
            else:
                reason = (f"score fell to {figure(score)}, under the {p.demote_threshold(from_stage):g} that "
                          f"{from_stage} needs to hold, after {cause()}")
            self.transitions.append(Transition("tie", as_datetime(at), from_stage, to_stage, score, reason))
        self.stage, self.since, self.since_at = to_stage, t, at
        self.stage_index = _STAGE_INDEX[to_stage]
        update_hourglass(self, at, score, lambda: f"tie became {to_stage}")
