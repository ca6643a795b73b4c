"""When a relationship is at risk, and why: the criteria, read from a replay's running state.

From ``weak_tie`` up, after at least ``risk_min_silence_days`` without two-way contact, a
relationship is at risk when its own rhythm is broken (a silence past a multiple of its usual gap
between two-way contacts), when the customer keeps posting while we are silent, when the score fell
sharply since the last interaction, or when it is close to the current stage's demotion threshold.
A keep-in-touch cadence set for the relationship (``Replay.cadence``) replaces the learned rhythm:
the silence past the cadence breaks it, however short (its own minimum) or long, and their posts no
longer shorten it; the other criteria keep their ``risk_min_silence_days``.

Every criterion can only switch on between two interactions (silence and posts since the last
two-way contact only grow, the score only falls), which is what lets the daily checkpoints find the
day a flag is raised by bisection. A reason is kept as numbers (:class:`Risk`) and worded only when
shown (:func:`models.scoring.wording.risk_words`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from config.vocabulary import RISK_STATES, TIE_STAGES
from models.scoring.transitions import Transition
from models.scoring.wording import risk_words
from models.timeline import as_datetime

if TYPE_CHECKING:
    from models.scoring.replay import Replay

_WEAK_TIE = TIE_STAGES.index("weak_tie")


OK, AT_RISK = RISK_STATES


class Risk(NamedTuple):
    """Why a relationship is at risk, kept as numbers and worded only when shown."""

    code: str  # silent | cadence | active | drop | near
    silent_days: float  # days without two-way contact
    value: float  # silent, cadence: the silence limit; active: their posts since; drop: points lost; near: the score
    extra: float  # silent: the usual gap; active: 1 if there ever was two-way contact; near: the threshold
    stage: str
    last_touch: tuple[float, str, str] | None = None  # (days ago, kind, direction) when it came later, one-way
    posts: int = 0  # silent: their posts since the last two-way contact, when that makes them active


def risk_at(replay: Replay, t: float, score_at: Callable[[float], float]) -> Risk | None:
    """Why the relationship is at risk at ``t`` (None when it is not); ``score_at`` gives the
    score at ``t``, asked only when the silence makes it matter."""
    if replay.stage_index < _WEAK_TIE:
        return None
    p = replay.p
    silent = t - replay.silence_reference
    if silent < replay.min_silence:  # every criterion needs at least this much silence (a cadence may lower it)
        return None
    if replay.rhythm_stale:
        _update_rhythm(replay)
    active = 0
    if replay.posts and silent > replay.active_limit:
        # posts since the last two-way contact only grow until the next one, so this criterion,
        # like the others, can only switch on between interactions (the bisection relies on it)
        posts = bisect_right(replay.posts, t) - bisect_right(replay.posts, replay.silence_reference)
        active = posts if posts >= p.risk_active_posts else 0
    if silent > replay.rhythm_limit:  # broken whatever they do; their activity is then a detail
        return Risk("silent" if replay.cadence is None else "cadence", silent, replay.rhythm_limit,
                    replay.usual_gap or 0.0, replay.stage, _one_way_since(replay, t), active)
    if silent < p.risk_min_silence_days:  # only a cadence shorter than this gets here
        return None
    if active:
        return Risk("active", silent, active, float(replay.last_two_way is not None), replay.stage,
                    _one_way_since(replay, t))
    score = score_at(t)
    if score <= replay.score_after_event - p.risk_drop_points:
        return Risk("drop", silent, replay.score_after_event - score, 0.0, replay.stage, _one_way_since(replay, t))
    floor = replay.demote[replay.stage_index]
    if floor and score < floor + p.risk_margin_points:
        return Risk("near", silent, score, floor, replay.stage, _one_way_since(replay, t))
    return None


def rhythm_broken_after(replay: Replay) -> float:
    """The moment after which the silence breaks the relationship's rhythm (until the next two-way
    contact): the usual case of a flag, which the daily checkpoints probe first."""
    if replay.rhythm_stale:
        _update_rhythm(replay)
    return replay.silence_reference + replay.rhythm_limit


def set_risk(replay: Replay, at: datetime | int, reason: Risk | None, score: float,
             off_reason: Callable[[], str]) -> None:
    """Flip the risk flag at ``at`` when ``reason`` (None: not at risk) disagrees with it, recording
    the transition; ``off_reason`` words why it cleared, only when transitions are kept."""
    if bool(reason) == replay.at_risk:
        if reason:
            replay.risk_reason = reason
        return
    if replay.record:
        if reason:
            replay.transitions.append(Transition("risk", as_datetime(at), OK, AT_RISK, score, risk_words(reason)))
        else:
            replay.transitions.append(Transition("risk", as_datetime(at), AT_RISK, OK, score, off_reason()))
    replay.at_risk, replay.risk_reason = bool(reason), reason


def _update_rhythm(replay: Replay) -> None:
    """The usual gap (median of the latest gaps between two-way contacts) and the silence
    that breaks it; without two gaps to go by, the longest allowed silence applies."""
    p = replay.p
    replay.rhythm_stale = False
    gaps = replay.rhythm_gaps
    if len(gaps) < 2:
        return
    replay.usual_gap = usual = sorted(gaps)[len(gaps) // 2]
    if replay.cadence is not None:  # the agreed interval stands in for the learned one
        return
    replay.rhythm_limit = min(p.risk_max_silence_days, max(p.risk_min_silence_days, p.risk_gap_factor * usual))
    replay.active_limit = min(replay.rhythm_limit,
                              max(p.risk_min_silence_days, p.risk_active_gap_factor * usual))


def _one_way_since(replay: Replay, t: float) -> tuple[float, str, str] | None:
    """The latest touch when it came after the last two-way contact (so it was one-way), as
    (days before ``t``, kind, direction): a reader told of a long silence should know of it."""
    if replay.last_contact <= replay.silence_reference:
        return None
    _, kind, direction, _ = replay.last_event
    return t - replay.last_contact, kind, direction
