"""The tie-strength model: how strong a relationship is as of a moment, why, and how it got there.

A pure function of the interactions and ``as_of`` (no database, no clock). It follows the
tie-strength research: Granovetter (1973) names time, emotional intensity, intimacy and reciprocal
services; Gilbert & Karahalios (CHI 2009) found days since last contact and days since first
contact the strongest predictors, then intimacy and intensity, and that one-way contact is not a
relationship. See docs/scoring.md for the formulas and their defaults.

Design for speed and reproducibility:

* The interactions are replayed once, sorted by (time, kind, direction), so insertion order never
  matters. Every component is kept as a running aggregate that can be evaluated at any later time
  in O(1): intensity and intimacy use a half-life that grows linearly with the relationship's age,
  whose decay has the closed form ``((h0 + k*a_i) / (h0 + k*a_t)) ** (ln 2 / k)``, so a single
  accumulator per component suffices.
* Between two interactions the score can only fall. Promotions therefore happen at interactions
  (or when a minimum dwell ends), and demotions and at-risk flags happen at daily checkpoints
  (midnight UTC) found by bisection. The stage path is thus a pure function of the interactions
  and ``as_of``: asking about a past date always gives the same answer, and a later ``as_of``
  only extends the path.
"""

from __future__ import annotations

import math
from bisect import insort
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable, NamedTuple, Sequence

from config.scoring import COMPONENTS, TIE_STAGE_ORDER, ScoringParams

TIE_STAGES = TIE_STAGE_ORDER
HOURGLASS_STAGES = ("know", "like", "trust", "try", "buy", "repeat", "refer")

#: Contact that is two-way by its nature, whatever direction was logged.
INHERENTLY_TWO_WAY = frozenset({"meeting", "call", "event"})
#: Contact that is two-way when both took part (``mutual``) or when it answers the other side.
CONVERSATIONAL = frozenset({"email", "message"})
#: One-sided gestures: a ``mutual`` one still only counts as ours.
GESTURES = frozenset({"comment", "share", "like", "mention", "gift"})
#: Granovetter's reciprocal services.
SERVICES = frozenset({"intro", "referral", "purchase"})
#: Not contact with the customer at all.
IGNORED = frozenset({"note"})

_DAY = 86400.0
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_STAGE_INDEX = {stage: i for i, stage in enumerate(TIE_STAGES)}
_TIE_TO_HOURGLASS = {"unaware": 0, "awareness": 0, "weak_tie": 1, "building": 2, "strong_tie": 2}
_RHYTHM_GAPS = 8  # the usual gap is the median of this many latest gaps between two-way contacts
_INTENSITY_WINDOW_DAYS = 90


class Touch(NamedTuple):
    """One interaction as the model sees it (any tuple ``(at, kind, direction)`` will do)."""

    at: datetime
    kind: str
    direction: str = "mutual"


@dataclass(frozen=True)
class Transition:
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
    transitions: list[Transition] = field(default_factory=list)


def to_days(moment: datetime) -> float:
    """Days since the Unix epoch: the model's time axis (checkpoints fall on whole days)."""
    return moment.timestamp() / _DAY


def day_start(day: int) -> datetime:
    return _EPOCH + timedelta(days=day)


def short_date(moment: datetime, as_of: datetime) -> str:
    """'3 Nov', with the year when it differs from the as-of year."""
    text = f"{moment.day} {moment.strftime('%b')}"
    return text if moment.year == as_of.year else f"{text} {moment.year}"


def signed(points: float) -> str:
    """'+18' or '−9' (a true minus sign, as the explanation reads)."""
    value = round(points)
    return f"+{value}" if value >= 0 else f"\u2212{-value}"


class _Event(NamedTuple):
    t: float
    at: datetime
    kind: str
    direction: str


class _Replay:
    """The running state of one relationship while its interactions are replayed in time order."""

    def __init__(self, params: ScoringParams) -> None:
        p = params
        self.p = p
        self.intimacy_of = p.intimacy
        self.w = tuple(p.weight(c) for c in COMPONENTS)
        self.int_h0, self.int_k = p.intensity_half_life_days, p.intensity_half_life_growth
        self.int_pow = math.log(2) / self.int_k
        self.imm_h0, self.imm_k = p.intimacy_half_life_days, p.intimacy_half_life_growth
        self.imm_pow = math.log(2) / self.imm_k
        self.dwell = p.min_dwell_days
        # aggregates
        self.first: float | None = None
        self.last_contact: float | None = None
        self.last_contact_at: datetime | None = None
        self.last_two_way: float | None = None
        self.last_two_way_at: datetime | None = None
        self.last_one_way: float | None = None
        self.last_in_conv = -math.inf
        self.last_out_conv = -math.inf
        self.intensity_sum = 0.0
        self.intimacy_max = 0.0
        self.intimacy_event: _Event | None = None
        self.in_weight = self.out_weight = 0.0
        self.in_count = self.out_count = 0
        self.services: list[_Event] = []
        self.contacts: list[_Event] = []
        self.rhythm_gaps: deque[float] = deque(maxlen=_RHYTHM_GAPS)
        self.last_two_way_day: int | None = None
        self.trials = 0
        self.purchase_days: set[int] = set()
        self.referred = False
        self.commerce_reason = ""
        self.commerce_rank = 0
        # path state
        self.stage = "unaware"
        self.since: float | None = None
        self.since_at: datetime | None = None
        self.hourglass = "know"
        self.at_risk = False
        self.risk_reason = ""
        self.score_after_event = 0.0
        self.usual_gap: float | None = None
        self.transitions: list[Transition] = []

    # -- the score -------------------------------------------------------------------------------

    def features(self, t: float) -> tuple[float, ...]:
        """Each component's 0-1 value at time ``t`` (not before the latest replayed event)."""
        if self.first is None:
            return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        p = self.p
        age = t - self.first
        recent = math.inf
        if self.last_two_way is not None:
            recent = t - self.last_two_way
        if self.last_one_way is not None:
            recent = min(recent, t - self.last_one_way + p.one_way_recency_offset_days)
        recency = 1.0 - math.exp(-((recent / p.recency_scale_days) ** 2))
        duration = 1.0 - math.exp(-(self.last_contact - self.first) / p.duration_scale_days)
        level = self.intensity_sum / (self.int_h0 + self.int_k * age) ** self.int_pow
        intensity = 1.0 - math.exp(-level / p.intensity_scale)
        intimacy = self.intimacy_max / (self.imm_h0 + self.imm_k * age) ** self.imm_pow
        reciprocity = 1.0 - math.exp(-min(self.in_weight, self.out_weight) / p.reciprocity_scale)
        services = 1.0 - math.exp(-len(self.services) / p.services_scale)
        return (recency, duration, intensity, intimacy, reciprocity, services)

    def score(self, t: float) -> float:
        f = self.features(t)
        w = self.w
        raw = w[1] * f[1] + w[2] * f[2] + w[3] * f[3] + w[4] * f[4] + w[5] * f[5] - w[0] * f[0]
        return self.bound(raw)

    def bound(self, raw: float) -> float:
        """Clamp to 0-100; without two-way contact the score stays under the one-way cap."""
        score = min(100.0, max(0.0, raw))
        if self.last_two_way is None:
            score = min(score, self.p.one_way_score_cap)
        return score

    # -- applying one interaction ----------------------------------------------------------------

    def apply(self, event: _Event) -> None:
        t, kind, direction = event.t, event.kind, event.direction
        weight = self.intimacy_of.get(kind, 0.0)
        if self.first is None:
            self.first = t
        age = t - self.first
        self.last_contact, self.last_contact_at = t, event.at
        self.contacts.append(event)
        self.intensity_sum += weight * (self.int_h0 + self.int_k * age) ** self.int_pow
        closeness = weight * (self.imm_h0 + self.imm_k * age) ** self.imm_pow
        if closeness > self.intimacy_max:
            self.intimacy_max, self.intimacy_event = closeness, event
        inbound = direction == "inbound" or (direction == "mutual" and kind not in GESTURES)
        outbound = direction == "outbound" or direction == "mutual"
        if inbound:
            self.in_weight += weight
            self.in_count += 1
        if outbound:
            self.out_weight += weight
            self.out_count += 1
        two_way = kind in INHERENTLY_TWO_WAY
        if kind in CONVERSATIONAL:
            window = self.p.reply_window_days
            two_way = (direction == "mutual"
                       or (direction == "inbound" and t - self.last_out_conv <= window)
                       or (direction == "outbound" and t - self.last_in_conv <= window))
            if direction != "outbound":
                self.last_in_conv = t
            if direction != "inbound":
                self.last_out_conv = t
        if two_way:
            day = math.floor(t)
            if self.last_two_way_day is not None and day > self.last_two_way_day:
                self.rhythm_gaps.append(t - self.last_two_way)
                self.usual_gap = None
            self.last_two_way_day = day
            self.last_two_way, self.last_two_way_at = t, event.at
        else:
            self.last_one_way = t
        if kind in SERVICES:
            self.services.append(event)
        self._apply_commerce(event)

    def _apply_commerce(self, event: _Event) -> None:
        kind = event.kind
        if kind == "trial":
            self.trials += 1
            rank, reason = 3, f"trial on {event.at:%Y-%m-%d}"
        elif kind == "purchase":
            self.purchase_days.add(math.floor(event.t))
            repeat = len(self.purchase_days) >= 2
            rank, reason = (5, f"repeat purchase on {event.at:%Y-%m-%d}") if repeat else (4, f"purchase on {event.at:%Y-%m-%d}")
        elif kind == "referral" and event.direction != "outbound":
            self.referred = True
            rank, reason = 6, f"referral from them on {event.at:%Y-%m-%d}"
        else:
            return
        if rank > self.commerce_rank:
            self.commerce_rank, self.commerce_reason = rank, reason

    # -- stages ----------------------------------------------------------------------------------

    def desired_stage(self, score: float) -> str:
        """The stage the score supports, given the current stage (hysteresis)."""
        if self.first is None:
            return "unaware"
        p = self.p
        current = max(_STAGE_INDEX[self.stage], 1)
        best = current
        for index in range(current + 1, len(TIE_STAGES)):
            if score >= p.promote_threshold(TIE_STAGES[index]):
                best = index
        if best == current:
            while best > 1 and score < p.demote_threshold(TIE_STAGES[best]):
                best -= 1
        return TIE_STAGES[best]

    def may_change(self, t: float) -> bool:
        return self.since is None or self.stage == "unaware" or t >= self.since + self.dwell

    def change_stage(self, t: float, at: datetime, to_stage: str, score: float, cause: str) -> None:
        p = self.p
        from_stage = self.stage
        if from_stage == "unaware":
            reason = f"first contact: {cause}"
        elif _STAGE_INDEX[to_stage] > _STAGE_INDEX[from_stage]:
            reason = f"score {score:.0f} reached {p.promote_threshold(to_stage):.0f} ({to_stage} threshold) after {cause}"
        else:
            reason = (f"score {score:.0f} fell below {p.demote_threshold(from_stage):.0f} "
                      f"({from_stage} holds down to it) after {cause}")
        self.transitions.append(Transition("tie", at, from_stage, to_stage, score, reason))
        self.stage, self.since, self.since_at = to_stage, t, at
        self.update_hourglass(at, score, f"tie became {to_stage}")

    def update_hourglass(self, at: datetime, score: float, cause: str) -> None:
        tie_rank = _TIE_TO_HOURGLASS[self.stage]
        rank = max(tie_rank, self.commerce_rank)
        target = HOURGLASS_STAGES[rank]
        if target != self.hourglass:
            reason = self.commerce_reason if self.commerce_rank >= tie_rank and self.commerce_rank else cause
            self.transitions.append(Transition("hourglass", at, self.hourglass, target, score, reason))
            self.hourglass = target

    # -- at risk ---------------------------------------------------------------------------------

    def silence(self, t: float) -> float:
        reference = self.last_two_way if self.last_two_way is not None else self.last_contact
        return t - reference if reference is not None else 0.0

    def rhythm_limit(self) -> float:
        """Silence beyond this many days breaks the relationship's own rhythm."""
        p = self.p
        if self.usual_gap is None and len(self.rhythm_gaps) >= 2:
            self.usual_gap = sorted(self.rhythm_gaps)[len(self.rhythm_gaps) // 2]
        if len(self.rhythm_gaps) < 2:
            return p.risk_max_silence_days
        return min(p.risk_max_silence_days, max(p.risk_min_silence_days, p.risk_gap_factor * self.usual_gap))

    def risk(self, t: float, score: float) -> str:
        """Why the relationship is at risk at ``t`` (empty when it is not)."""
        if _STAGE_INDEX[self.stage] < _STAGE_INDEX["weak_tie"]:
            return ""
        p = self.p
        silent = self.silence(t)
        limit = self.rhythm_limit()
        if silent > limit:
            usual = f", past {limit:.0f} days for a usual gap of {self.usual_gap:.0f}" if self.usual_gap else ""
            return f"silent for {silent:.0f} days{usual}"
        if silent < p.risk_min_silence_days:
            return ""
        if score <= self.score_after_event - p.risk_drop_points:
            return f"score fell {self.score_after_event - score:.0f} points in {silent:.0f} days of silence"
        floor = p.demote_threshold(self.stage)
        if floor and score < floor + p.risk_margin_points:
            return f"score {score:.0f} is close to {floor:.0f}, where {self.stage} is lost"
        return ""

    def set_risk(self, at: datetime, reason: str, score: float, off_reason: str) -> None:
        """Flip the risk flag when ``reason`` (empty: not at risk) disagrees with it."""
        if bool(reason) == self.at_risk:
            if reason:
                self.risk_reason = reason
            return
        if reason:
            self.transitions.append(Transition("risk", at, "ok", "at_risk", score, reason))
        else:
            self.transitions.append(Transition("risk", at, "at_risk", "ok", score, off_reason))
        self.at_risk, self.risk_reason = bool(reason), reason

    # -- the replay ------------------------------------------------------------------------------

    def on_event(self, event: _Event) -> None:
        """Apply one interaction, then let the stage, hourglass and risk react to it at once."""
        self.apply(event)
        score = self.score(event.t)
        self.score_after_event = score
        cause = f"{event.kind} on {event.at:%Y-%m-%d}"
        if self.may_change(event.t):
            target = self.desired_stage(score)
            if target != self.stage:
                self.change_stage(event.t, event.at, target, score, cause)
        self.update_hourglass(event.at, score, cause)
        self.set_risk(event.at, self.risk(event.t, score), score, f"back in touch: {cause}")

    def advance(self, start: float, end: float, *, inclusive: bool) -> None:
        """Play the daily checkpoints strictly after ``start`` up to ``end`` with no interaction
        in between: dwell-delayed promotions, demotions and at-risk flags."""
        first_day = math.floor(start) + 1
        last_day = math.floor(end) if inclusive else math.ceil(end) - 1
        if first_day > last_day or self.first is None:
            return
        cache: dict[int, float] = {}

        def score_on(day: int) -> float:
            if day not in cache:
                cache[day] = self.score(float(day))
            return cache[day]

        def cause(day: int, target: str) -> str:
            if _STAGE_INDEX[target] > _STAGE_INDEX[self.stage]:
                return f"the minimum {self.dwell:.0f} days as {self.stage}"
            return f"{self.silence(float(day)):.0f} days without two-way contact"

        segment_start = first_day
        day = first_day
        while day <= last_day:
            eligible = day if self.since is None else max(day, math.ceil(self.since + self.dwell))
            if eligible > last_day:
                break
            if self.desired_stage(score_on(eligible)) == self.stage:
                if self.desired_stage(score_on(last_day)) == self.stage:
                    break
                low, high = eligible, last_day  # invariant: no change at low, a change at high
                while high - low > 1:
                    middle = (low + high) // 2
                    if self.desired_stage(score_on(middle)) == self.stage:
                        low = middle
                    else:
                        high = middle
                eligible = high
            self._risk_segment(segment_start, eligible - 1, score_on)
            target = self.desired_stage(score_on(eligible))
            self.change_stage(float(eligible), day_start(eligible), target, score_on(eligible), cause(eligible, target))
            segment_start = day = eligible
        self._risk_segment(segment_start, last_day, score_on)

    def _risk_segment(self, first_day: int, last_day: int, score_on) -> None:
        """Within days of one stage and no interaction, being at risk can only switch on, once."""
        if first_day > last_day:
            return
        reason = self.risk(float(first_day), score_on(first_day))
        if reason or self.at_risk:
            self.set_risk(day_start(first_day), reason, score_on(first_day), f"no longer at risk as {self.stage}")
            if reason:
                return
        if not self.risk(float(last_day), score_on(last_day)):
            return
        low, high = first_day, last_day  # invariant: not at risk on day low, at risk on day high
        while high - low > 1:
            middle = (low + high) // 2
            if self.risk(float(middle), score_on(middle)):
                high = middle
            else:
                low = middle
        self.set_risk(day_start(high), self.risk(float(high), score_on(high)), score_on(high), "")


def _events(touches: Iterable[Sequence], until: float) -> list[_Event]:
    events = []
    for touch in touches:
        at, kind, direction = touch[0], touch[1], touch[2]
        if kind in IGNORED:
            continue
        t = at.timestamp() / _DAY
        if t <= until:
            events.append(_Event(t, at, kind, direction))
    events.sort(key=lambda e: (e.t, e.kind, e.direction))
    return events


def assess(touches: Iterable[Sequence], as_of: datetime, params: ScoringParams | None = None,
           *, trend_days: float = 14.0, explain: bool = True) -> Assessment:
    """Score one relationship as of ``as_of`` from its interactions ``(at, kind, direction)``.

    Pure: the same interactions (in any order) and ``as_of`` always give the same result,
    including the full path of stage, hourglass and risk transitions up to ``as_of``.
    Interactions after ``as_of`` are ignored. ``explain=False`` skips the wording (faster).
    """
    params = params or ScoringParams()
    end = to_days(as_of)
    replay = _Replay(params)
    probe = end - trend_days
    probe_score: float | None = None
    previous: float | None = None
    for event in _events(touches, end):
        if probe_score is None and event.t > probe:
            probe_score = replay.score(probe) if previous is not None and previous <= probe else 0.0
        if previous is not None:
            replay.advance(previous, event.t, inclusive=False)
        replay.on_event(event)
        previous = event.t
    if previous is not None:
        replay.advance(previous, end, inclusive=True)
    if probe_score is None:
        probe_score = replay.score(probe) if previous is not None else 0.0
    features = replay.features(end)
    score = replay.score(end)
    risk_reason = replay.risk(end, score) if replay.at_risk else ""
    components, explanation = _explain(replay, end, as_of, features, score) if explain else ({}, [])
    return Assessment(
        as_of=as_of,
        score=score,
        stage=replay.stage,
        stage_since=replay.since_at,
        hourglass=replay.hourglass,
        at_risk=replay.at_risk,
        risk_reason=risk_reason or replay.risk_reason,
        last_interaction_at=replay.last_contact_at,
        trend=score - probe_score,
        components=components,
        explanation=explanation,
        features=dict(zip(COMPONENTS, features)),
        two_way=replay.last_two_way is not None,
        transitions=replay.transitions,
    )


def _explain(replay: _Replay, end: float, as_of: datetime, features: tuple[float, ...],
             score: float) -> tuple[dict[str, float], list[str]]:
    """Each component's points and the top reasons in words."""
    points = {name: replay.w[i] * features[i] * (-1.0 if name == "recency" else 1.0) for i, name in enumerate(COMPONENTS)}
    points["cap"] = score - sum(points.values())
    if replay.first is None:
        return points, ["no interaction yet"]
    words: dict[str, str] = {}
    if replay.last_two_way is not None:
        words["recency"] = f"{end - replay.last_two_way:.0f} days since last two-way contact"
    else:
        words["recency"] = f"{end - replay.last_contact:.0f} days since last contact, none of it two-way"
    words["duration"] = f"in touch for {replay.last_contact - replay.first:.0f} days"
    recent = sum(1 for e in replay.contacts if e.t > end - _INTENSITY_WINDOW_DAYS)
    words["intensity"] = f"{recent} contact(s) in the last {_INTENSITY_WINDOW_DAYS} days, {len(replay.contacts)} in all"
    if replay.intimacy_event is not None:
        words["intimacy"] = f"{replay.intimacy_event.kind} on {short_date(replay.intimacy_event.at, as_of)}"
    words["reciprocity"] = f"{replay.in_count} contact(s) from them, {replay.out_count} from us"
    latest = ", ".join(f"{e.kind} on {short_date(e.at, as_of)}" for e in replay.services[-2:][::-1])
    words["services"] = f"{len(replay.services)} service(s): {latest}"
    if points["cap"] > 0:
        words["cap"] = "a score cannot go below 0"
    elif replay.last_two_way is None:
        words["cap"] = f"capped at {replay.p.one_way_score_cap:.0f}: contact has only gone one way"
    else:
        words["cap"] = "a score cannot exceed 100"
    ranked = sorted((name for name in points if abs(points[name]) >= 0.5), key=lambda n: (-abs(points[n]), n))
    return points, [f"{signed(points[name])}: {words[name]}" for name in ranked[:5] if name in words]
