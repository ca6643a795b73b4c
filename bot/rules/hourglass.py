"""Hourglass figures: how many relationships sit in each stage and how long they dwell there (pure)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from statistics import median
from typing import Iterable, Mapping, Protocol

from bot.rules.status import RelationshipStatus
from config.vocabulary import HOURGLASS_STAGES, STAGE_ORDERS
from models.timeline import SECONDS_PER_DAY


class StageChangeLike(Protocol):
    """What the dwell-time figures need of a stage change (a stored StageChange or a test's tuple)."""

    customer_id: int
    to_stage: str
    changed_at: datetime


@dataclass(frozen=True)
class Stay:
    """One relationship's time in one stage; ``left_at`` is ``None`` while it is still there."""

    customer_id: int
    stage: str
    entered_at: datetime
    left_at: datetime | None

    def days(self, as_of: datetime) -> float:
        """How many days the stay lasted, or has lasted so far at ``as_of``."""
        return max(0.0, ((self.left_at or as_of) - self.entered_at).total_seconds() / SECONDS_PER_DAY)


def stage_stays(changes: Iterable[StageChangeLike], as_of: datetime) -> list[Stay]:
    """Cut each relationship's history of changes (on one track) into stays, up to ``as_of``."""
    by_customer: dict[int, list[StageChangeLike]] = defaultdict(list)
    for change in changes:
        if change.changed_at <= as_of:
            by_customer[change.customer_id].append(change)
    stays: list[Stay] = []
    for customer_id, history in by_customer.items():
        history.sort(key=lambda c: c.changed_at)
        for current, following in zip(history, history[1:] + [None]):
            left = following.changed_at if following is not None else None
            stays.append(Stay(customer_id, current.to_stage, current.changed_at, left))
    return stays


def hourglass_counts(
    changes: Iterable[StageChangeLike], current: Mapping[int, str], as_of: datetime,
    stages: tuple[str, ...] = HOURGLASS_STAGES,
) -> list[StageCount]:
    """Per stage: relationships in it now (``current``: customer id -> stage), the median length of
    every stay in it (finished or ongoing), and the median time the present occupants have sat there.

    A relationship whose stored history does not end in its current stage (scored since, not yet
    stored) counts in the stage but not in the dwell times, which would otherwise be invented.
    """
    stays = stage_stays(changes, as_of)
    ongoing = {s.customer_id: s for s in stays if s.left_at is None}
    all_days: dict[str, list[float]] = defaultdict(list)
    current_days: dict[str, list[float]] = defaultdict(list)
    for stay in stays:
        if stay.left_at is None and current.get(stay.customer_id) != stay.stage:
            continue
        all_days[stay.stage].append(stay.days(as_of))
    for customer_id, stage in current.items():
        stay = ongoing.get(customer_id)
        if stay is not None and stay.stage == stage:
            current_days[stage].append(stay.days(as_of))
    counts = defaultdict(int)
    for stage in current.values():
        counts[stage] += 1
    return [
        StageCount(
            stage=stage,
            count=counts[stage],
            # a stage nobody is in has no dwell to show: past stays there are not where anyone is stuck
            median_dwell_days=median(all_days[stage]) if all_days[stage] and counts[stage] else None,
            median_current_days=median(current_days[stage]) if current_days[stage] else None,
        )
        for stage in stages
    ]



@dataclass(frozen=True)
class StageCount:
    """How many relationships sit in a stage now, and how long stays in it last (median days)."""

    stage: str
    count: int
    median_dwell_days: float | None  # over every stay in the stage, finished or ongoing
    median_current_days: float | None = None  # over the relationships in it now
    longest: tuple[tuple[str, float], ...] = ()  # the heavy users sitting longest here: (customer, days so far)

    @property
    def dwell_label(self) -> str:
        """The stage's median stay as every surface prints it (``"12 d"``), empty when it has none."""
        return f"{self.median_dwell_days:.0f} d" if self.median_dwell_days is not None else ""


#: Stages a relationship is not meant to leave: ``refer`` is the goal, so no one "stalls" there.
GOAL_STAGES = frozenset({HOURGLASS_STAGES[-1]})
LONGEST_PER_STAGE = 3  # how many of the longest-sitting heavy users the chart names per stage


def stall_stage(counts: list[StageCount]) -> StageCount | None:
    """Where relationships stall: among the stages a relationship is meant to leave (never the goal,
    :data:`GOAL_STAGES`), the occupied one whose occupants have sat there longest (median of their
    current stays), the larger stage winning a tie."""
    occupied = [c for c in counts if c.count and c.median_current_days is not None and c.stage not in GOAL_STAGES]
    if not occupied:
        return None
    return max(occupied, key=lambda c: (c.median_current_days, c.count))


def longest_sitting(
    counts: list[StageCount], changes: Iterable[StageChangeLike], statuses: Iterable[RelationshipStatus],
    as_of: datetime, limit: int = LONGEST_PER_STAGE,
) -> list[StageCount]:
    """``counts`` with each stage's :attr:`StageCount.longest`: the heavy users (those with a revenue
    rank; the unranked only when no one ranked is there) who have sat in it longest, longest first
    (ties: the better rank). These are the customers to act on where the funnel jams."""
    by_id = {s.customer_id: s for s in statuses}
    sitting: dict[str, list[tuple[bool, float, int, str]]] = defaultdict(list)
    for stay in stage_stays(changes, as_of):
        status = by_id.get(stay.customer_id)
        if stay.left_at is None and status is not None and status.hourglass == stay.stage:
            rank = status.revenue_rank
            sitting[stay.stage].append((rank is None, -stay.days(as_of), rank or 0, status.customer))
    result = []
    for count in counts:
        rows = sorted(sitting.get(count.stage, []))
        heavy = [row for row in rows if not row[0]] or rows
        longest = tuple((name, -negative_days) for _, negative_days, _, name in heavy[:limit])
        result.append(replace(count, longest=longest))
    return result


def stage_census(statuses: Iterable[RelationshipStatus], track: str = "hourglass") -> list[tuple[str, int]]:
    """How many relationships sit in each stage of a track (``tie`` or ``hourglass``) right now, in
    the track's order, empty stages included: what every picture of the funnel counts."""
    counts = Counter(status.stage if track == "tie" else status.hourglass for status in statuses)
    return [(stage, counts.get(stage, 0)) for stage in STAGE_ORDERS[track]]
