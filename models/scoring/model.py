"""The tie-strength model: how strong a relationship is as of a moment, why, and how it got there.

A pure function of the interactions, the customer's own activity (when they posted, which never
adds points but sharpens the at-risk flag) and ``as_of`` (no database, no clock). It follows the
tie-strength research: Granovetter (1973) names time, emotional intensity, intimacy and reciprocal
services; Gilbert & Karahalios (CHI 2009) found days since last contact and days since first
contact the strongest predictors, then intimacy and intensity, and that one-way contact is not a
relationship. See docs/scoring.md for the formulas and their defaults.

Design for speed and reproducibility:

* The interactions are replayed once, sorted by (time, kind, direction), so insertion order never
  matters. Every component is kept as a running aggregate that can be evaluated at any later time
  in O(1): intensity and intimacy keep their level as of the latest interaction and decay it
  exponentially from there, with a half-life that grows with the relationship's contact span (first
  contact to latest two-way contact), so it is fixed between two-way contacts and frozen by silence.
* Between two interactions the score can only fall. Promotions therefore happen at interactions
  (or when a minimum dwell ends), and demotions and at-risk flags happen at daily checkpoints
  (midnight UTC) found by bisection. The stage path is thus a pure function of the interactions
  and ``as_of``: asking about a past date always gives the same answer, and a later ``as_of``
  only extends the path.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, NamedTuple, Sequence

from config.scoring import COMPONENTS, ScoringParams
from config.vocabulary import DIRECTIONS, HOURGLASS_STAGES, TIE_STAGES

_exp, _floor, _ceil = math.exp, math.floor, math.ceil
_LN2 = math.log(2)
_SLOPE = math.sqrt(2.0 / math.e)  # the steepest slope of 1 - exp(-x^2)


#: Contact that is two-way by its nature, whatever direction was logged.
INHERENTLY_TWO_WAY = frozenset({"meeting", "call", "event"})
#: Contact that is two-way when both took part (``mutual``) or when it answers the other side.
CONVERSATIONAL = frozenset({"email", "message"})
#: One-sided gestures: a ``mutual`` one still only counts as ours.
GESTURES = frozenset({"comment", "share", "like", "mention", "gift"})
#: Granovetter's reciprocal services.
SERVICES = frozenset({"intro", "referral", "purchase"})
#: The customer's own acts: they took part whatever direction was logged, so they are two-way.
THEIR_ACTS = frozenset({"purchase", "trial"})
#: Services that are two-way when they come from the customer (inbound or mutual); ours are one-way.
SERVICES_FROM_THEM = frozenset({"referral", "intro"})
#: Not contact with the customer at all.
IGNORED = frozenset({"note"})

_DAY = 86400.0
MICROSECONDS_PER_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_STAGE_INDEX = {stage: i for i, stage in enumerate(TIE_STAGES)}
_WEAK_TIE = _STAGE_INDEX["weak_tie"]
_COMMERCIAL = frozenset({"trial", "purchase", "referral"})
_TIE_TO_HOURGLASS = {"unaware": 0, "awareness": 0, "weak_tie": 1, "building": 2, "strong_tie": 2}
_RHYTHM_GAPS = 8  # the usual gap is the median of this many latest gaps between two-way contacts
_INTENSITY_WINDOW_DAYS = 90
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Touch(NamedTuple):
    """One interaction as the model sees it (any tuple ``(at, kind, direction)`` will do).

    ``at`` is an aware datetime, or an int of microseconds since the Unix epoch (UTC): the store
    loader passes those so that scoring a million interactions needs no million datetimes.
    """

    at: datetime | int
    kind: str
    direction: str = "mutual"


class Transition(NamedTuple):
    """A move on one track: ``tie`` stages, ``hourglass`` stages or ``risk`` (ok <-> at_risk)."""

    track: str
    at: datetime
    from_stage: str | None
    to_stage: str
    score: float
    reason: str


@dataclass(frozen=True)
class Assessment:
    """The model's verdict on one relationship as of ``as_of``."""

    as_of: datetime
    score: float
    stage: str
    stage_since: datetime | None
    hourglass: str
    at_risk: bool
    risk_reason: str
    last_interaction_at: datetime | None
    trend: float  # score change over the last ``trend_days``
    components: dict[str, float]
    explanation: list[str]
    features: dict[str, float]  # each component's 0-1 value before weighting (for calibration)
    two_way: bool  # whether any contact so far went both ways (else the one-way cap applies)
    transitions: list[Transition] = field(default_factory=list)  # empty with history=False
    recent_posts: int = 0  # the customer's posts in the activity window before as_of


def to_days(moment: datetime) -> float:
    """Days since the Unix epoch: the model's time axis (checkpoints fall on whole days)."""
    return moment.timestamp() / _DAY


def day_start(day: int) -> datetime:
    return _EPOCH + timedelta(days=day)


def _moment(stamp: datetime | int) -> datetime:
    """An interaction time as an aware datetime (see :class:`Touch` for the int form)."""
    return stamp if isinstance(stamp, datetime) else _EPOCH + timedelta(microseconds=stamp)


def short_date(moment: datetime, as_of: datetime) -> str:
    """'3 Nov', with the year when it differs from the as-of year."""
    text = f"{moment.day} {_MONTHS[moment.month - 1]}"
    return text if moment.year == as_of.year else f"{text} {moment.year}"


def signed(points: float) -> str:
    """'+18' or '−9' (a true minus sign, as the explanation reads)."""
    value = round(points)
    return f"+{value}" if value >= 0 else f"\u2212{-value}"


class _Risk(NamedTuple):
    """Why a relationship is at risk, kept as numbers and worded only when shown."""

    code: str  # silent | active | drop | near
    silent_days: float  # days without two-way contact
    value: float  # silent: the rhythm limit; active: their posts since; drop: points lost; near: the score
    extra: float  # silent: the usual gap; active: 1 if there ever was two-way contact; near: the threshold
    stage: str
    last_touch: tuple[float, str, str] | None = None  # (days ago, kind, direction) when it came later, one-way
    posts: int = 0  # silent: their posts since the last two-way contact, when that makes them active


def figure(points: float) -> str:
    """A score as a reader can compare it with a threshold: cut (not rounded) to one decimal, so
    17.96 reads '17.9' and never '18' next to the 18 it fell under."""
    return f"{math.floor(points * 10 + 1e-9) / 10:g}"


def _one_way_touch(kind: str, direction: str) -> str:
    """'an email we sent', 'a like from them'…: a one-way touch, named by who made it."""
    article = "an" if kind[0] in "aeiou" else "a"
    if direction == "outbound" or (direction == "mutual" and kind in GESTURES):
        return f"{article} {kind} we sent" if kind in CONVERSATIONAL else f"{article} {kind} from us"
    return f"{article} {kind} from them"


def risk_words(risk: _Risk | None) -> str:
    """The reason a relationship is at risk, in words ('' when it is not)."""
    if risk is None:
        return ""
    if risk.code == "silent":
        usual = f", past {risk.value:.0f} days for a usual gap of {risk.extra:.0f}" if risk.extra else ""
        text = f"no two-way contact for {risk.silent_days:.0f} days{usual}"
        if risk.posts:
            text += f", while they are active publicly ({risk.posts} posts meanwhile)"
    elif risk.code == "active":
        posts = f"{risk.value:.0f} post{'' if risk.value == 1 else 's'}"
        since = "two-way contact" if risk.extra else "contact"
        text = f"active publicly \u2014 {posts} in the {risk.silent_days:.0f} days since the last {since}"
    elif risk.code == "drop":
        text = f"score fell {risk.value:.0f} points in {risk.silent_days:.0f} days without two-way contact"
    elif risk.value < risk.extra:  # under the threshold already, held by the minimum dwell
        text = f"score {figure(risk.value)} is already under the {risk.extra:g} that {risk.stage} needs to hold"
    else:
        shown = f"{risk.value:.0f}" if round(risk.value) != risk.extra else f"{risk.value:.1f}"
        text = f"score {shown} is close to {risk.extra:g}, where {risk.stage} is lost"
    if risk.last_touch is not None:
        days, kind, direction = risk.last_touch
        text += f"; the last touch, {days:.0f} days ago, was one-way ({_one_way_touch(kind, direction)})"
    return text


#: One interaction in the replay: (t in days since the epoch, kind, direction, time as given; see
#: _moment()). A plain tuple: built a million times, and its natural order is the replay order.
_Event = tuple[float, str, str, "datetime | int"]


class _Facts(NamedTuple):
    """What one (kind, direction) means to the model, worked out once per intimacy table."""

    weight: float  # intimacy weight
    inbound: bool  # adds to their side of reciprocity
    outbound: bool  # adds to ours
    two_way: bool  # two-way whatever else happened
    conversational: bool  # two-way when it answers the other side in time
    service: bool
    commercial: bool


def _kind_facts(params: ScoringParams) -> dict[str, dict[str, _Facts]]:
    """Kind -> direction -> :class:`_Facts`, built once per intimacy table rather than once per
    relationship, so replaying an interaction takes one lookup instead of a dozen comparisons."""
    key = tuple(sorted(params.intimacy.items()))
    facts = _KIND_FACTS.get(key)
    if facts is None:
        kinds = set(params.intimacy) | INHERENTLY_TWO_WAY | CONVERSATIONAL | GESTURES | SERVICES | _COMMERCIAL
        facts = _KIND_FACTS[key] = {
            kind: {direction: _Facts(
                weight=params.intimacy.get(kind, 0.0),
                inbound=direction == "inbound" or (direction == "mutual" and kind not in GESTURES),
                outbound=direction != "inbound",
                two_way=kind in INHERENTLY_TWO_WAY or kind in THEIR_ACTS or (
                    kind in SERVICES_FROM_THEM and direction != "outbound"),
                conversational=kind in CONVERSATIONAL,
                service=kind in SERVICES,
                commercial=kind in _COMMERCIAL) for direction in DIRECTIONS}
            for kind in kinds}
    return facts


_KIND_FACTS: dict[tuple, dict[str, dict[str, _Facts]]] = {}


class _Replay:
    """The running state of one relationship while its interactions are replayed in time order."""

    __slots__ = (
        "p", "w", "int_h0", "int_k", "int_rate", "imm_h0", "imm_k", "imm_rate", "dwell", "inv_fade_scale",
        "inv_recency_scale", "inv_intensity_scale", "inv_duration_scale", "inv_reciprocity_scale",
        "inv_services_scale", "reply_window", "min_silence", "one_way_offset", "one_way_reach", "kind_facts", "recency_reference",
        "recency_event",
        "posts", "active_limit", "steady_points", "reciprocity_points", "services_points", "w_recency", "w_intensity", "w_intimacy",
        "score_cap", "fall_rate", "recency_fall_rate", "pending_promotion", "promote", "demote", "stage_index", "first",
        "last_contact", "last_contact_at", "last_event", "last_two_way", "last_in_conv", "last_out_conv",
        "intensity_level", "intimacy_level", "intimacy_event", "in_weight", "out_weight", "in_count", "out_count",
        "services", "rhythm_gaps", "last_two_way_day", "purchase_days",
        "commerce_event", "commerce_rank", "stage", "since", "since_at", "hourglass", "at_risk",
        "risk_reason", "score_after_event", "record", "usual_gap", "rhythm_limit", "rhythm_stale", "silence_reference", "transitions",
    )

    def __init__(self, params: ScoringParams, *, record: bool = True, posts: Sequence[float] = ()) -> None:
        p = params
        self.p = p
        self.posts = posts  # when the customer published, in days since the epoch, sorted
        self.record = record  # keep the transitions with their reasons (not needed to know the stage)
        self.w = tuple(p.weight(c) for c in COMPONENTS)
        self.w_recency, self.w_intensity, self.w_intimacy = self.w[0], self.w[2], self.w[3]
        self.int_h0, self.int_k = p.intensity_half_life_days, p.intensity_half_life_growth
        self.imm_h0, self.imm_k = p.intimacy_half_life_days, p.intimacy_half_life_growth
        # decay rates (ln 2 / half-life) for a contact span of 0; each two-way contact lengthens them
        self.int_rate = math.log(2) / self.int_h0
        self.imm_rate = math.log(2) / self.imm_h0
        self.inv_fade_scale = 1.0 / p.silence_fade_days
        self.dwell = p.min_dwell_days
        self.inv_recency_scale = 1.0 / p.recency_scale_days
        self.inv_intensity_scale = 1.0 / p.intensity_scale
        self.inv_duration_scale = 1.0 / p.duration_scale_days
        self.inv_reciprocity_scale = 1.0 / p.reciprocity_scale
        self.inv_services_scale = 1.0 / p.services_scale
        self.reply_window = p.reply_window_days
        self.min_silence = p.risk_min_silence_days
        self.one_way_offset = p.one_way_recency_offset_days
        self.one_way_reach = p.one_way_recency_max_days
        self.kind_facts = _kind_facts(p)
        # recency counts days since this moment: the last two-way contact, or up to one_way_reach days
        # later when a one-way touch came after it (never set by one-way touches alone)
        self.recency_reference = -math.inf
        self.recency_event: _Event | None = None  # the one-way touch that moved it, if one did
        self.steady_points = self.reciprocity_points = self.services_points = 0.0
        # Bounds on how fast each fading component can lose points (their derivatives' maxima):
        # recency's steepest slope is w*sqrt(2/e)/scale, and the silence fade's steady*sqrt(2/e)/fade;
        # intensity's w*rate/e; intimacy loses rate of its value a day. Summed at an interaction they
        # bound the fall until the next one, so a gap that cannot reach the demotion threshold needs
        # no score computed at its end.
        self.recency_fall_rate = self.w_recency * math.sqrt(2.0 / math.e) * self.inv_recency_scale
        self.fall_rate = math.inf
        self.score_cap = p.one_way_score_cap  # lifted to 100 by the first two-way contact
        self.pending_promotion = False  # the dwell held back a promotion the last event earned
        self.promote = [p.promote_threshold(stage) for stage in TIE_STAGES]
        self.demote = [p.demote_threshold(stage) for stage in TIE_STAGES]
        self.stage_index = 0
        # aggregates
        self.first: float | None = None
        self.last_contact: float | None = None
        self.last_contact_at: datetime | None = None
        self.last_event: _Event | None = None
        self.last_two_way: float | None = None
        self.last_in_conv = -math.inf
        self.last_out_conv = -math.inf
        self.intensity_level = 0.0  # decayed contact weight as of last_contact
        self.intimacy_level = 0.0  # the largest decayed intimacy as of last_contact
        self.intimacy_event: _Event | None = None
        self.in_weight = self.out_weight = 0.0
        self.in_count = self.out_count = 0
        self.services: list[_Event] = []
        self.rhythm_gaps: deque[float] = deque(maxlen=_RHYTHM_GAPS)
        self.last_two_way_day: int | None = None
        self.purchase_days: set[int] = set()
        self.commerce_event: _Event | None = None
        self.commerce_rank = 0
        # path state
        self.stage = "unaware"
        self.since: float | None = None
        self.since_at: datetime | None = None
        self.hourglass = "know"
        self.at_risk = False
        self.risk_reason: _Risk | None = None
        self.score_after_event = 0.0
        self.usual_gap: float | None = None
        self.rhythm_limit = p.risk_max_silence_days
        self.rhythm_stale = False
        self.active_limit = p.risk_min_silence_days  # the silence that is too long while they post
        self.silence_reference = math.inf
        self.transitions: list[Transition] = []

    # -- the score -------------------------------------------------------------------------------

    def features(self, t: float) -> tuple[float, ...]:
        """Each component's 0-1 value at time ``t`` (not before the latest replayed event), in
        ``COMPONENTS`` order. Duration, reciprocity and services fade with the silence (see
        :meth:`fade`); recency is the penalty's share of its weight."""
        if self.first is None:
            return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        p, fade, elapsed = self.p, self.fade(t), t - self.last_contact
        duration = (1.0 - math.exp(-(self.last_contact - self.first) / p.duration_scale_days)) * fade
        reciprocity = (1.0 - math.exp(-min(self.in_weight, self.out_weight) / p.reciprocity_scale)) * fade
        services = (1.0 - math.exp(-len(self.services) / p.services_scale)) * fade
        recency = 1.0 - math.exp(-(((t - self.recency_reference) * self.inv_recency_scale) ** 2))
        intensity = 1.0 - math.exp(-self.intensity_level * math.exp(-self.int_rate * elapsed) * self.inv_intensity_scale)
        intimacy = self.intimacy_level * math.exp(-self.imm_rate * elapsed)
        return (recency, duration, intensity, intimacy, reciprocity, services)

    def fade(self, t: float) -> float:
        """How much of what the relationship built (duration, reciprocity, services) still counts at
        ``t``: ``exp(-(d / silence_fade_days)^2)`` for ``d`` days since the recency reference, so a
        silence erodes a tie of any age (nothing counts before the first two-way contact)."""
        silent = (t - self.recency_reference) * self.inv_fade_scale
        return math.exp(-(silent * silent))

    def score(self, t: float) -> float:
        """The 0-100 score at ``t``; the hot path, so the steady part is precomputed per event."""
        first = self.first
        if first is None:
            return 0.0
        # features() inlined: this runs a few million times in a full scoring pass
        elapsed = t - self.last_contact
        silent = t - self.recency_reference
        recency = silent * self.inv_recency_scale
        fade = silent * self.inv_fade_scale
        raw = (self.steady_points * _exp(-(fade * fade))
               + self.w_intensity * (1.0 - _exp(-self.intensity_level * _exp(-self.int_rate * elapsed)
                                                * self.inv_intensity_scale))
               + self.w_intimacy * self.intimacy_level * _exp(-self.imm_rate * elapsed)
               - self.w_recency * (1.0 - _exp(-(recency * recency))))
        score = 100.0 if raw > 100.0 else (raw if raw > 0.0 else 0.0)
        return score if score < self.score_cap else self.score_cap

    # -- applying one interaction ----------------------------------------------------------------

    def _apply_commerce(self, event: _Event) -> bool:
        """Advance the commercial side of the hourglass (try, buy, repeat, refer)."""
        t, kind, direction, _ = event
        if kind == "trial":
            rank = 3
        elif kind == "purchase":
            self.purchase_days.add(math.floor(t))
            rank = 5 if len(self.purchase_days) >= 2 else 4
        elif kind == "referral" and direction != "outbound":
            rank = 6
        else:
            return False
        if rank > self.commerce_rank:
            self.commerce_rank, self.commerce_event = rank, event
        return True

    def commerce_reason(self) -> str:
        event = self.commerce_event
        what = {3: "trial", 4: "purchase", 5: "repeat purchase", 6: "referral from them"}[self.commerce_rank]
        return f"{what} on {_moment(event[3]):%Y-%m-%d}"

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
        return self.since is None or self.stage == "unaware" or t >= self.since + self.dwell

    def change_stage(self, t: float, at: datetime | int, to_stage: str, score: float, cause: Callable[[], str]) -> None:
        p = self.p
        from_stage = self.stage
        if self.record:
            if from_stage == "unaware":
                reason = f"first contact: {cause()}"
            elif _STAGE_INDEX[to_stage] > _STAGE_INDEX[from_stage]:
                reason = (f"score {figure(score)} reached {p.promote_threshold(to_stage):g}, the {to_stage} "
                          f"threshold, after {cause()}")
            else:
                reason = (f"score fell to {figure(score)}, under the {p.demote_threshold(from_stage):g} that "
                          f"{from_stage} needs to hold, after {cause()}")
            self.transitions.append(Transition("tie", _moment(at), from_stage, to_stage, score, reason))
        self.stage, self.since, self.since_at = to_stage, t, at
        self.stage_index = _STAGE_INDEX[to_stage]
        self.update_hourglass(at, score, lambda: f"tie became {to_stage}")

    def update_hourglass(self, at: datetime | int, score: float, cause: Callable[[], str]) -> None:
        """Hourglass stage = the further of what the tie and the commercial events support."""
        tie_rank = _TIE_TO_HOURGLASS[self.stage]
        rank = max(tie_rank, self.commerce_rank)
        target = HOURGLASS_STAGES[rank]
        if target != self.hourglass:
            if self.record:
                reason = self.commerce_reason() if self.commerce_rank >= tie_rank and self.commerce_rank else cause()
                self.transitions.append(Transition("hourglass", _moment(at), self.hourglass, target, score, reason))
            self.hourglass = target

    # -- at risk ---------------------------------------------------------------------------------

    def silence(self, t: float) -> float:
        """Days at ``t`` since the last two-way contact (or since the last contact, if none was)."""
        return t - self.silence_reference

    def _update_rhythm(self) -> None:
        """The usual gap (median of the latest gaps between two-way contacts) and the silence
        that breaks it; without two gaps to go by, the longest allowed silence applies."""
        p = self.p
        self.rhythm_stale = False
        if len(self.rhythm_gaps) < 2:
            return
        self.usual_gap = sorted(self.rhythm_gaps)[len(self.rhythm_gaps) // 2]
        self.rhythm_limit = min(p.risk_max_silence_days, max(p.risk_min_silence_days, p.risk_gap_factor * self.usual_gap))
        self.active_limit = min(self.rhythm_limit, max(p.risk_min_silence_days, p.risk_active_gap_factor * self.usual_gap))

    def risk(self, t: float, score_at: Callable[[float], float]) -> _Risk | None:
        """Why the relationship is at risk at ``t`` (None when it is not); ``score_at`` gives the
        score at ``t``, asked only when the silence makes it matter. Worded by :func:`risk_words`."""
        if self.stage_index < _WEAK_TIE:
            return None
        p = self.p
        silent = t - self.silence_reference
        if silent < p.risk_min_silence_days:  # every criterion needs at least this much silence
            return None
        if self.rhythm_stale:
            self._update_rhythm()
        active = 0
        if self.posts and silent > self.active_limit:
            # posts since the last two-way contact only grow until the next one, so this criterion,
            # like the others, can only switch on between interactions (the bisection relies on it)
            posts = bisect_right(self.posts, t) - bisect_right(self.posts, self.silence_reference)
            active = posts if posts >= p.risk_active_posts else 0
        if silent > self.rhythm_limit:  # broken whatever they do; their activity is then a detail
            return _Risk("silent", silent, self.rhythm_limit, self.usual_gap or 0.0, self.stage,
                         self._one_way_since(t), active)
        if active:
            return _Risk("active", silent, active, float(self.last_two_way is not None), self.stage,
                         self._one_way_since(t))
        score = score_at(t)
        if score <= self.score_after_event - p.risk_drop_points:
            return _Risk("drop", silent, self.score_after_event - score, 0.0, self.stage, self._one_way_since(t))
        floor = self.demote[self.stage_index]
        if floor and score < floor + p.risk_margin_points:
            return _Risk("near", silent, score, floor, self.stage, self._one_way_since(t))
        return None

    def _one_way_since(self, t: float) -> tuple[float, str, str] | None:
        """The latest touch when it came after the last two-way contact (so it was one-way), as
        (days before ``t``, kind, direction): a reader told of a long silence should know of it."""
        if self.last_contact <= self.silence_reference:
            return None
        _, kind, direction, _ = self.last_event
        return t - self.last_contact, kind, direction

    def set_risk(self, at: datetime | int, reason: _Risk | None, score: float, off_reason: Callable[[], str]) -> None:
        """Flip the risk flag when ``reason`` (None: not at risk) disagrees with it."""
        if bool(reason) == self.at_risk:
            if reason:
                self.risk_reason = reason
            return
        if self.record:
            if reason:
                self.transitions.append(Transition("risk", _moment(at), "ok", "at_risk", score, risk_words(reason)))
            else:
                self.transitions.append(Transition("risk", _moment(at), "at_risk", "ok", score, off_reason()))
        self.at_risk, self.risk_reason = bool(reason), reason

    # -- the replay ------------------------------------------------------------------------------

    def on_event(self, event: _Event) -> None:
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
        self.last_contact, self.last_contact_at, self.last_event = t, at, event
        self.intensity_level += weight
        if weight > self.intimacy_level:
            self.intimacy_level, self.intimacy_event = weight, event
        if inbound:
            self.in_weight += weight
            self.in_count += 1
        if outbound:
            self.out_weight += weight
            self.out_count += 1
        if inbound or outbound:
            smaller = self.in_weight if self.in_weight < self.out_weight else self.out_weight
            self.reciprocity_points = self.w[4] * (1.0 - _exp(-smaller * self.inv_reciprocity_scale))
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
            self.score_cap = 100.0
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
            self.services_points = self.w[5] * (1.0 - _exp(-len(self.services) * self.inv_services_scale))
        self.steady_points = (self.w[1] * (1.0 - _exp(-(t - first) * self.inv_duration_scale))
                              + self.reciprocity_points + self.services_points)
        commercial = commercial and self._apply_commerce(event)
        score = self.score(t)
        self.score_after_event = score
        self.fall_rate = (self.recency_fall_rate + self.steady_points * _SLOPE * self.inv_fade_scale
                          + self.w_intensity * self.int_rate / math.e + self.w_intimacy * self.intimacy_level * self.imm_rate)
        index = self.stage_index
        self.pending_promotion = False
        if index < 1 or score < self.demote[index] or (index < 4 and score >= self.promote[index + 1]):
            target = self.desired_stage(score)
            if target != self.stage:
                if self.may_change(t):
                    self.change_stage(t, at, target, score, lambda: _describe(event))
                else:
                    self.pending_promotion = True
        if commercial:
            self.update_hourglass(at, score, lambda: _describe(event))
        if self.at_risk or t - self.silence_reference >= self.min_silence:
            reason = self.risk(t, lambda _t: score)
            if reason or self.at_risk:
                self.set_risk(at, reason, score, lambda: f"back in touch: {_describe(event)}")

    def advance(self, start: float, end: float, *, inclusive: bool) -> None:
        """Play the daily checkpoints strictly after ``start`` up to ``end``, with no interaction in
        between: a promotion the dwell held back, demotions and at-risk flags.

        The score only falls here, so a promotion can only happen at the first checkpoint the
        dwell allows, and a demotion at the first checkpoint below the threshold (bisection).
        """
        first_day = _floor(start) + 1
        last_day = _floor(end) if inclusive else _ceil(end) - 1
        if first_day > last_day or self.first is None:
            return
        if self.stage_index <= 1 and not self.pending_promotion and not self.at_risk:
            return  # nothing to lose below weak_tie, and no promotion waits
        end_score = None
        if not self.pending_promotion:
            # Fast path, the common case: no demotion by the last day and no risk flag to raise.
            threshold = self.demote[self.stage_index]
            lowest = self.score_after_event - (last_day - start) * self.fall_rate - 1e-6  # the score can't be lower
            if threshold > 0 and lowest < threshold:
                end_score = self.score(float(last_day))
            if end_score is None or end_score >= threshold:
                if self.at_risk or last_day - self.silence_reference < self.min_silence:
                    return
                # No stage change: the flag can only switch on, so if it is off on the last day it is
                # off throughout (as _risk_segment finds, without its cache and closure). When even
                # the lowest possible score trips no score criterion, it answers as the score would.
                if end_score is None and (lowest <= self.score_after_event - self.p.risk_drop_points
                                          or (threshold and lowest < threshold + self.p.risk_margin_points)):
                    end_score = self.score(float(last_day))
                known = lowest if end_score is None else end_score
                if not self.risk(float(last_day), lambda _t: known):
                    return
        cache: dict[float, float] = {} if end_score is None else {last_day: end_score}

        def score_on(day: float) -> float:
            if day not in cache:
                cache[day] = self.score(float(day))
            return cache[day]

        segment_start = day = first_day
        stage_changed = False
        while day <= last_day:
            eligible = max(day, math.ceil(self.since + self.dwell))
            if eligible > last_day:
                break
            if self.pending_promotion:
                self.pending_promotion = False
                target = self.desired_stage(score_on(eligible))
                if target != self.stage:
                    self._risk_segment(segment_start, eligible - 1, score_on, stage_changed)
                    stage_changed = True
                    self.change_stage(float(eligible), day_start(eligible), target, score_on(eligible),
                                      lambda: f"the minimum {self.dwell:.0f} days as {self.stage}")
                    segment_start = day = eligible
                    continue
            threshold = self.p.demote_threshold(self.stage)
            if threshold <= 0 or score_on(last_day) >= threshold:
                break
            low, high = eligible - 1, last_day  # at or above the threshold up to low, below at high
            while high - low > 1:
                middle = (low + high) // 2
                if score_on(middle) < threshold:
                    high = middle
                else:
                    low = middle
            self._risk_segment(segment_start, high - 1, score_on, stage_changed)
            stage_changed = True
            self.change_stage(float(high), day_start(high), self.desired_stage(score_on(high)), score_on(high),
                              lambda: f"{self.silence(float(high)):.0f} days without two-way contact")
            segment_start = day = high
        self._risk_segment(segment_start, last_day, score_on, stage_changed)

    def _risk_segment(self, first_day: int, last_day: int, score_on: Callable[[float], float],
                      stage_changed: bool) -> None:
        """Within days of one stage and no interaction, being at risk can only switch on, once;
        so a flag already set since the last interaction (same stage) holds through the segment."""
        if first_day > last_day or (self.at_risk and not stage_changed):
            return
        if not self.at_risk and not self.risk(float(last_day), score_on):
            return
        reason = self.risk(float(first_day), score_on)
        if reason or self.at_risk:
            self.set_risk(day_start(first_day), reason, score_on(first_day), lambda: f"no longer at risk as {self.stage}")
            if reason or not self.risk(float(last_day), score_on):
                return
        low, high = first_day, last_day  # not at risk on day low, at risk on day high
        while high - low > 1:
            middle = (low + high) // 2
            if self.risk(float(middle), score_on):
                high = middle
            else:
                low = middle
        self.set_risk(day_start(high), self.risk(float(high), score_on), score_on(high), str)


def _describe(event: _Event) -> str:
    _, kind, _, at = event
    return f"{kind} on {_moment(at):%Y-%m-%d}"


class Replayable(list):
    """Interactions already in the replay's own form, as the store loader builds them: ``(t, kind,
    direction, at)`` tuples, ``at`` an int of microseconds since the epoch (see :class:`Touch`) and
    ``t = at / MICROSECONDS_PER_DAY``, notes left out, in any order. :func:`assess` takes them as
    they are, which spares a second pass over a million interactions."""


def _events(touches: Iterable[Sequence], until: float) -> list[_Event]:
    """The interactions up to ``until`` (notes left out) in replay order: time, kind, direction."""
    if isinstance(touches, Replayable):
        events = [event for event in touches if event[0] <= until]
    else:
        events = []
        append = events.append
        for at, kind, direction in touches:
            t = at / MICROSECONDS_PER_DAY if type(at) is int else at.timestamp() / _DAY
            if t <= until and kind not in IGNORED:
                append((t, kind, direction, at))
    events.sort()
    return events


def assess(touches: Iterable[Sequence], as_of: datetime, params: ScoringParams | None = None,
           *, trend_days: float = 14.0, explain: bool = True, history: bool = True,
           activity: Iterable[datetime | float] = ()) -> Assessment:
    """Score one relationship as of ``as_of`` from its interactions ``(at, kind, direction)``.

    Pure: the same interactions (in any order) and ``as_of`` always give the same result,
    including the full path of stage, hourglass and risk transitions up to ``as_of``.
    Interactions after ``as_of`` are ignored. ``explain=False`` skips the components' wording and
    ``history=False`` the list of transitions (the stage path is replayed all the same), for speed.

    ``activity`` is when the customer published (their posts: aware datetimes, or days since the
    epoch); those after ``as_of`` are ignored. It never adds points: it is explained on its own, and
    a silence while they keep posting puts the relationship at risk sooner (see docs/scoring.md).
    """
    params = params or ScoringParams()
    end = to_days(as_of)
    posts = sorted(day for day in (to_days(p) if isinstance(p, datetime) else float(p) for p in activity)
                   if day <= end)
    replay = _Replay(params, record=history, posts=posts)
    probe = end - trend_days
    probe_score: float | None = None
    previous: float | None = None
    next_midnight = math.inf
    events = _events(touches, end)
    for event in events:
        t = event[0]
        if probe_score is None and t > probe:
            probe_score = replay.score(probe) if previous is not None and previous <= probe else 0.0
        if t > next_midnight:  # a daily checkpoint lies between the previous interaction and this one
            replay.advance(previous, t, inclusive=False)
        replay.on_event(event)
        previous = t
        next_midnight = _floor(t) + 1
    if previous is not None:
        replay.advance(previous, end, inclusive=True)
    if probe_score is None:
        probe_score = replay.score(probe) if previous is not None else 0.0
    features = replay.features(end)
    score = replay.score(end)
    risk_now = replay.risk(end, lambda _t: score) if replay.at_risk else None
    recent_posts = len(posts) - bisect_right(posts, end - params.activity_window_days)
    components, explanation = _explain(replay, events, end, as_of, features, score) if explain else ({}, [])
    if explain:
        components["activity"] = 0.0
        if recent_posts:
            times = "once" if recent_posts == 1 else f"{recent_posts} times"
            explanation.append(f"\u00b10: they posted {times} in the last {params.activity_window_days:g} days "
                               "(public activity adds no points by itself)")
    return Assessment(
        as_of=as_of,
        score=score,
        stage=replay.stage,
        stage_since=None if replay.since_at is None else _moment(replay.since_at),
        hourglass=replay.hourglass,
        at_risk=replay.at_risk,
        risk_reason=risk_words(risk_now or replay.risk_reason) if replay.at_risk else "",
        last_interaction_at=None if replay.last_contact_at is None else _moment(replay.last_contact_at),
        trend=score - probe_score,
        components=components,
        explanation=explanation,
        features=dict(zip(COMPONENTS, features)),
        two_way=replay.last_two_way is not None,
        transitions=replay.transitions,
        recent_posts=recent_posts,
    )


def _explain(replay: _Replay, events: list[_Event], end: float, as_of: datetime, features: tuple[float, ...],
             score: float) -> tuple[dict[str, float], list[str]]:
    """Each component's points and the top reasons in words."""
    # "+ 0.0" turns the -0.0 of an absent penalty into 0.0
    points = {name: replay.w[i] * features[i] * (-1.0 if name == "recency" else 1.0) + 0.0
              for i, name in enumerate(COMPONENTS)}
    cap = score - sum(points.values())
    points["cap"] = 0.0 if abs(cap) < 1e-9 else cap  # float noise (or -0.0) when nothing was taken away
    if replay.first is None:
        return points, ["no interaction yet"]
    fade = replay.fade(end)

    def words(name: str) -> str:  # worded only for the reasons shown
        if name == "recency":
            return recency_words(replay, end)
        if name == "duration":
            return f"in touch for {replay.last_contact - replay.first:.0f} days{fading()}"
        if name == "intensity":
            recent = sum(1 for e in events if e[0] > end - _INTENSITY_WINDOW_DAYS)
            return f"{len(events)} contact(s), {recent} in the last {_INTENSITY_WINDOW_DAYS} days"
        if name == "intimacy":
            _, kind, _, at = replay.intimacy_event
            return f"{kind} on {short_date(_moment(at), as_of)}"
        if name == "reciprocity":
            return f"{replay.in_count} contact(s) from them, {replay.out_count} from us{fading()}"
        if name == "services":
            latest = ", ".join(f"{kind} on {short_date(_moment(at), as_of)}" for _, kind, _, at in replay.services[-2:][::-1])
            return f"{len(replay.services)} service(s): {latest}{fading()}"
        if replay.last_two_way is None:
            return f"capped at {replay.p.one_way_score_cap:.0f}: contact has only gone one way"
        return "a score cannot exceed 100"

    def fading() -> str:
        """Why duration, reciprocity or services count less than they did (see _Replay.fade)."""
        if fade > 0.99 or replay.last_two_way is None:
            return ""
        return f" ({fade:.0%} of it still counts after the silence)"

    # The clamp at 0 only undoes what the penalties took beyond the score: not a reason by itself.
    ranked = sorted((name for name in points if abs(points[name]) >= 0.5 and not (name == "cap" and points[name] > 0)),
                    key=lambda n: (-abs(points[n]), n))
    return points, [f"{signed(points[name])}: {words(name)}" for name in ranked[:5]]


def recency_words(replay: _Replay, end: float) -> str:
    """The recency penalty in the terms its points use: days since the recency reference, which is
    the last two-way contact, or a little later when a one-way touch softened it (then said so)."""
    if replay.last_two_way is None:
        return f"no two-way contact in the {end - replay.first:.0f} days since the first contact"
    silent = f"{end - replay.last_two_way:.0f} days since the last two-way contact"
    if replay.recency_event is None:
        return silent
    t, kind, direction, _ = replay.recency_event
    return (f"{silent}, counted as {end - replay.recency_reference:.0f} "
            f"(softened by {_one_way_touch(kind, direction)} {end - t:.0f} days ago)")
