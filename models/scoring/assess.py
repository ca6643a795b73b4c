"""The tie-strength model's entry point: how strong a relationship is as of a moment, why, and how
it got there.

:func:`assess` is a pure function of the interactions, the customer's own activity (when they
posted, which never adds points but sharpens the at-risk flag) and ``as_of``: no database, no
clock. It follows the tie-strength research: Granovetter (1973) names time, emotional intensity,
intimacy and reciprocal services; Gilbert & Karahalios (CHI 2009) found days since last contact and
days since first contact the strongest predictors, then intimacy and intensity, and that one-way
contact is not a relationship. See docs/scoring.md for the formulas and their defaults.

The interactions are replayed once, sorted by (time, kind, direction), so insertion order never
matters (:class:`~models.scoring.replay.Replay`, with the daily checkpoints of
:mod:`models.scoring.checkpoints` between interactions). Interactions come as :class:`Touch`
tuples, or already in the replay's own form (:class:`Replayable`) from the store loader.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import NamedTuple

from config.scoring import COMPONENTS, ScoringParams
from config.vocabulary import NOT_CONTACT
from models.scoring.combine import combine
from models.scoring.incremental import Progress, begin, extend, score_at_probe
from models.scoring.risk import risk_at
from models.scoring.transitions import Transition
from models.scoring.wording import activity_words, explain_components, risk_words
from models.timeline import MICROSECONDS_PER_DAY, Event, Replayable, as_datetime, to_days

_time = itemgetter(0)  # an event's time in days


class Touch(NamedTuple):
    """One interaction as the model sees it (any tuple ``(at, kind, direction)`` will do).

    ``at`` is an aware datetime, or an int of microseconds since the Unix epoch (UTC): the store
    loader passes those so that scoring a million interactions needs no million datetimes.
    """

    at: datetime | int
    kind: str
    direction: str = "mutual"


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
    transitions_since: datetime | None = None  # None: transitions is the whole path; else only after this


#: Days over which a relationship's trend (its score change) is measured.
TREND_DAYS = 14.0


def replay_order(touches: Iterable[Sequence], until: float) -> list[Event]:
    """The interactions up to ``until`` (days since the epoch; notes left out) in the replay's form
    and order: by time, then kind, then direction, so insertion order never matters."""
    if isinstance(touches, Replayable):
        # sorted first, so the ones after ``until`` are a tail to cut rather than a filter to run
        events = sorted(touches)
        del events[bisect_right(events, until, key=_time):]
        return events
    events = []
    append = events.append
    for at, kind, direction in touches:
        t = at / MICROSECONDS_PER_DAY if type(at) is int else to_days(at)
        if t <= until and kind not in NOT_CONTACT:
            append((t, kind, direction, at))
    events.sort()
    return events


def assess(touches: Iterable[Sequence], as_of: datetime, params: ScoringParams | None = None,
           *, trend_days: float = TREND_DAYS, explain: bool = True, history: bool = True,
           activity: Iterable[datetime | float] = (), cadence_days: float | None = None) -> Assessment:
    """Score one relationship as of ``as_of`` from its interactions ``(at, kind, direction)``.

    Pure: the same interactions (in any order) and ``as_of`` always give the same result,
    including the full path of stage, hourglass and risk transitions up to ``as_of``.
    Interactions after ``as_of`` are ignored. ``explain=False`` skips the components' wording and
    ``history=False`` the list of transitions (the stage path is replayed all the same), for speed.

    ``activity`` is when the customer published (their posts: aware datetimes, or days since the
    epoch); those after ``as_of`` are ignored. It never adds points: it is explained on its own, and
    a silence while they keep posting puts the relationship at risk sooner (see docs/scoring.md).

    ``cadence_days`` is the keep-in-touch interval set for this relationship (None or 0: none). It
    replaces the rhythm the model learns from the gaps between two-way contacts: a silence past it
    puts the relationship at risk ("keep-in-touch cadence of 14 days passed"). Score and stages do
    not depend on it.
    """
    if cadence_days is not None and not (0 <= cadence_days < math.inf):
        raise ValueError(f"cadence_days must be a non-negative number of days, not {cadence_days!r}")
    params = params or ScoringParams()
    end = to_days(as_of)
    posts = sorted(to_days(p) if isinstance(p, datetime) else float(p) for p in activity)
    progress = begin(params, record=history, posts=posts, cadence=cadence_days)
    extend(progress, replay_order(touches, end), end, trend_days)
    return verdict(progress, as_of, trend_days=trend_days, explain=explain)


def verdict(progress: Progress, as_of: datetime, *, trend_days: float = TREND_DAYS, explain: bool = True,
            words: bool = True, transitions_since: datetime | None = None) -> Assessment:
    """The :class:`Assessment` at ``as_of`` of a replay carried there by
    :func:`~models.scoring.incremental.extend` (with the same ``trend_days``). Its transitions are
    those the replay recorded: the whole path, or the path after ``transitions_since`` when the
    replay was resumed from a kept one (and cleared from it then, so it does not grow).
    ``words=False`` keeps the components' points but leaves the explanation and the risk reason
    empty (a pass that stores snapshots needs no words)."""
    replay = progress.replay
    params = replay.p
    end = progress.end
    posts = replay.posts
    features = replay.features(end)
    score = combine(features, replay.w, replay.score_cap)  # replay.score(end), without working out the features again
    risk_now = risk_at(replay, end, lambda _t: score) if replay.at_risk else None
    recent_posts = bisect_right(posts, end) - bisect_right(posts, end - params.activity_window_days)
    components, explanation = (explain_components(replay, progress.contacts, len(progress.recent), end, as_of,
                                                  features, score, words=words) if explain else ({}, []))
    if explain:
        components["activity"] = 0.0
        if recent_posts and words:
            explanation.append(activity_words(recent_posts, params.activity_window_days))
    transitions = replay.transitions
    if transitions_since is not None:
        replay.transitions = []
    return Assessment(
        as_of=as_of,
        score=score,
        stage=replay.stage,
        stage_since=None if replay.since_at is None else as_datetime(replay.since_at),
        hourglass=replay.hourglass,
        at_risk=replay.at_risk,
        risk_reason=risk_words(risk_now or replay.risk_reason) if replay.at_risk and words else "",
        last_interaction_at=None if replay.last_event is None else as_datetime(replay.last_event[3]),
        trend=score - score_at_probe(progress, end - trend_days),
        components=components,
        explanation=explanation,
        features=dict(zip(COMPONENTS, features, strict=True)),
        two_way=replay.last_two_way is not None,
        transitions=transitions,
        recent_posts=recent_posts,
        transitions_since=transitions_since,
    )

