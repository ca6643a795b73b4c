"""The daily checkpoints between two interactions: held-back promotions, demotions, at-risk flags.

Between two interactions the score can only fall and the at-risk criteria can only switch on, so
the stage path needs no visit to every day: a promotion the minimum dwell held back happens at the
first midnight (UTC) the dwell allows, a demotion at the first midnight below the threshold and a
flag at the first midnight a criterion trips, each found by bisection over whole days. The same
interactions and ``as_of`` therefore always give the same path, and a later ``as_of`` only extends
it. Most gaps need even less: a bound on how fast the score can fall (``Replay.fall_rate``) shows
that nothing can happen, and the gap's end is not scored at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from models.scoring.risk import rhythm_broken_after, risk_at, set_risk
from models.timeline import day_start

if TYPE_CHECKING:
    from models.scoring.replay import Replay

_floor, _ceil = math.floor, math.ceil


def advance(replay: Replay, start: float, end: float, *, inclusive: bool) -> None:
    """Play the daily checkpoints strictly after ``start`` up to ``end`` (``end`` itself only when
    ``inclusive``), with no interaction in between: a promotion the dwell held back, demotions and
    at-risk flags. ``start`` is the latest interaction, or the moment the checkpoints were already
    played up to (a pass resuming a kept replay): playing ``(a, b]`` then ``(b, c]`` is playing ``(a, c]``.

    The score only falls here, so a promotion can only happen at the first checkpoint the
    dwell allows, and a demotion at the first checkpoint below the threshold (bisection).
    """
    first_day = _floor(start) + 1
    last_day = _floor(end) if inclusive else _ceil(end) - 1
    if first_day > last_day or replay.first is None:
        return
    if replay.stage_index <= 1 and not replay.pending_promotion and not replay.at_risk:
        return  # nothing to lose below weak_tie, and no promotion waits
    end_score = None
    if not replay.pending_promotion:
        # Fast path, the common case: no demotion by the last day and no risk flag to raise.
        threshold = replay.demote[replay.stage_index]
        lowest = replay.score_after_event - (last_day - replay.last_contact) * replay.fall_rate - 1e-6  # can't be lower
        if threshold > 0 and lowest < threshold:
            end_score = replay.score(float(last_day))
        if end_score is None or end_score >= threshold:
            if replay.at_risk or last_day - replay.silence_reference < replay.min_silence:
                return
            # No stage change: the flag can only switch on, so if it is off on the last day it is
            # off throughout (as _risk_segment finds, without its cache and closure). When even
            # the lowest possible score trips no score criterion, it answers as the score would.
            if end_score is None and (lowest <= replay.score_after_event - replay.p.risk_drop_points
                                      or (threshold and lowest < threshold + replay.p.risk_margin_points)):
                end_score = replay.score(float(last_day))
            known = lowest if end_score is None else end_score
            if not risk_at(replay, float(last_day), lambda _t: known):
                return
    cache: dict[float, float] = {} if end_score is None else {last_day: end_score}

    def score_on(day: float) -> float:
        if day not in cache:
            cache[day] = replay.score(float(day))
        return cache[day]

    segment_start = day = first_day
    stage_changed = False
    while day <= last_day:
        eligible = max(day, _ceil(replay.since + replay.dwell))
        if eligible > last_day:
            break
        if replay.pending_promotion:
            replay.pending_promotion = False
            target = replay.desired_stage(score_on(eligible))
            if target != replay.stage:
                _risk_segment(replay, segment_start, eligible - 1, score_on, stage_changed)
                stage_changed = True
                replay.change_stage(float(eligible), day_start(eligible), target, score_on(eligible),
                                    lambda: f"the minimum {replay.dwell:.0f} days as {replay.stage}")
                segment_start = day = eligible
                continue
        threshold = replay.demote[replay.stage_index]
        if threshold <= 0 or score_on(last_day) >= threshold:
            break
        low, high = eligible - 1, last_day  # at or above the threshold up to low, below at high
        while high - low > 1:
            middle = (low + high) // 2
            if score_on(middle) < threshold:
                high = middle
            else:
                low = middle
        _risk_segment(replay, segment_start, high - 1, score_on, stage_changed)
        stage_changed = True
        silent = replay.silence(float(high))
        replay.change_stage(float(high), day_start(high), replay.desired_stage(score_on(high)), score_on(high),
                            lambda: f"{silent:.0f} days without two-way contact")
        segment_start = day = high
    _risk_segment(replay, segment_start, last_day, score_on, stage_changed)


def _risk_segment(replay: Replay, first_day: int, last_day: int, score_on: Callable[[float], float],
                  stage_changed: bool) -> None:
    """Within days of one stage and no interaction, being at risk can only switch on, once;
    so a flag already set since the last interaction (same stage) holds through the segment."""
    if first_day > last_day or (replay.at_risk and not stage_changed):
        return
    if not replay.at_risk and not risk_at(replay, float(last_day), score_on):
        return
    reason = risk_at(replay, float(first_day), score_on)
    if reason or replay.at_risk:
        set_risk(replay, day_start(first_day), reason, score_on(first_day),
                 lambda: f"no longer at risk as {replay.stage}")
        if reason or not risk_at(replay, float(last_day), score_on):
            return
    low, high = first_day, last_day  # not at risk on day low, at risk on day high
    # The usual case is a broken rhythm, whose first day is known: try it, and the day before it
    # (another criterion may trip earlier; then the search goes on below it).
    probe = _floor(rhythm_broken_after(replay)) + 1
    if low < probe < high and risk_at(replay, float(probe), score_on):
        high = probe
        if probe - 1 > low and not risk_at(replay, float(probe - 1), score_on):
            low = probe - 1
    while high - low > 1:
        middle = (low + high) // 2
        if risk_at(replay, float(middle), score_on):
            high = middle
        else:
            low = middle
    set_risk(replay, day_start(high), risk_at(replay, float(high), score_on), score_on(high), str)
