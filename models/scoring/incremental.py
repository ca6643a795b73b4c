"""A relationship's replay kept between scoring passes, so a pass replays only what changed.

A :class:`Progress` is a :class:`~models.scoring.replay.Replay` advanced to a moment ``end``
(interactions up to it folded in, daily checkpoints up to it played) plus the little a verdict
needs beyond the running state: how many contacts there were and when the recent ones were (for
the explanation), the score states the trend can still ask for, and the interactions already
known that lie after ``end`` (a meeting on the calendar). :func:`extend` carries it to a later
moment with the interactions that came after ``end``: exactly what replaying the whole history up
to that moment gives, because the stage path only ever extends (see
:mod:`models.scoring.checkpoints`). An interaction dated at or before ``end`` cannot be folded in
this way: the caller replays that relationship from its first interaction instead.

:func:`models.scoring.assess.assess` is :func:`begin`, one :func:`extend` and a verdict, so the
full replay and the incremental one are the same code.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence

from config.scoring import ScoringParams
from models.scoring.checkpoints import advance
from models.scoring.replay import Replay
from models.scoring.wording import INTENSITY_WINDOW_DAYS
from models.timeline import Event

_floor = math.floor


class Progress:
    """A replay advanced to ``end`` (days since the epoch; ``-inf`` before any), with what a verdict
    at any later moment needs.

    ``tail`` holds score states (:meth:`Replay.score_state`) for the trend: its first one is the
    state after the latest interaction at or before the trend's probe (absent when there was none),
    then one per later interaction; ``tail_pending`` says the current state is the latest at or
    before the probe and has not been put there yet. ``recent`` holds the times of the contacts in
    the explanation's window, ``future`` the known interactions after ``end``, sorted.
    """

    __slots__ = ("replay", "end", "last", "contacts", "recent", "tail", "tail_pending", "future")

    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self.end = -math.inf
        self.last: float | None = None  # the latest folded interaction's time
        self.contacts = 0
        self.recent: list[float] = []  # a list: a deque's first block alone is 600 bytes
        self.tail: list[tuple] = []
        self.tail_pending = False
        self.future: list[Event] = []


def begin(params: ScoringParams, *, record: bool, posts: Sequence[float] = (), cadence: float | None = None) -> Progress:
    """A relationship before its first interaction (see :class:`Replay` for the arguments; ``posts``
    may include posts after any moment it will be assessed at: only those before count)."""
    return Progress(Replay(params, record=record, posts=posts, cadence=cadence))


def extend(progress: Progress, events: Sequence[Event], end: float, trend_days: float) -> None:
    """Carry ``progress`` to ``end`` (not before its own), folding in ``events`` (replay order,
    all after ``progress.end``) and its known future ones up to ``end``; later ones wait in
    ``progress.future``. Afterwards a verdict at ``end`` (trend over ``trend_days``) can be read."""
    if end < progress.end:
        raise ValueError("a replay cannot go back in time; replay from the first interaction")
    if progress.future:
        events = sorted([*progress.future, *events])
    cut = bisect_right(events, end, key=_time) if events and events[-1][0] > end else len(events)
    progress.future = list(events[cut:])
    replay = progress.replay
    probe = end - trend_days
    window = end - INTENSITY_WINDOW_DAYS
    previous = progress.last
    start = progress.end if previous is not None else None  # checkpoints are played up to here
    next_midnight = _floor(start) + 1 if start is not None else math.inf
    tail, pending, recent = progress.tail, progress.tail_pending, progress.recent
    on_event = replay.on_event
    for index in range(cut):
        event = events[index]
        t = event[0]
        # a daily checkpoint lies between the previous interaction and this one (below weak_tie,
        # with no promotion waiting and no flag raised, it can change nothing: advance's first test)
        if t > next_midnight and (replay.stage_index > 1 or replay.pending_promotion or replay.at_risk):
            advance(replay, start, t, inclusive=False)
        if t > probe:
            if pending:
                tail[:] = [replay.score_state()]
                pending = False
            on_event(event)
            tail.append(replay.score_state())
        else:
            on_event(event)
            pending = True
        if t > window:
            recent.append(t)
        start = t
        next_midnight = _floor(t) + 1
    if cut:
        progress.last = start
        progress.contacts += cut
    if progress.last is not None:
        advance(replay, progress.last if progress.end < progress.last else progress.end, end, inclusive=True)
    if pending:
        tail[:] = [replay.score_state()]
        pending = False
    while len(tail) > 1 and tail[1][0] <= probe:  # states the trend can no longer ask for
        del tail[0]
    if recent and recent[0] <= window:
        del recent[:bisect_right(recent, window)]
    progress.tail_pending = pending
    progress.end = end


def score_at_probe(progress: Progress, probe: float) -> float:
    """The score at ``probe`` (not before the trend's probe of the last :func:`extend`) as the
    interactions up to it left it: 0 when there was none."""
    tail = progress.tail
    if not tail or tail[0][0] > probe:
        return 0.0
    replay = progress.replay
    if len(tail) == 1 and tail[0][0] == replay.last_contact:  # the usual case: no interaction since the probe
        return replay.score(probe)
    return replay.score_with(tail[0], probe)


def _time(event: Event) -> float:
    return event[0]
