"""The hourglass picture: how many relationships sit in each hourglass stage and how long they
dwell there, so a manager sees where the system jams.

:func:`hourglass_counts` computes the figures (pure, from stage-change history); the digest states
them in words and :func:`render_hourglass_png` draws them (matplotlib, Agg backend, no display).
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Iterable, Mapping, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest_content import StageCount, stall_stage
from bot.jobs.score import relationship_statuses
from bot.timeutil import local_date
from models.entities import HOURGLASS_STAGES, Team
from models.suggestion_store import stage_history

_DAY = 86400.0


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
        return max(0.0, ((self.left_at or as_of) - self.entered_at).total_seconds() / _DAY)


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
            median_dwell_days=median(all_days[stage]) if all_days[stage] else None,
            median_current_days=median(current_days[stage]) if current_days[stage] else None,
        )
        for stage in stages
    ]


def team_hourglass(*, session: Session, as_of: datetime, team_id: int | None = None) -> list[StageCount]:
    """The hourglass figures of one team (or every team) at ``as_of``, from the store."""
    statuses = relationship_statuses(session=session, as_of=as_of, team_id=team_id)
    current = {s.customer_id: s.hourglass for s in statuses}
    history = stage_history(list(current), session=session, tracks=("hourglass",), until=as_of)
    return hourglass_counts(history, current, as_of)


def hourglass_title(name: str, day: date) -> str:
    """The chart's title: whose hourglass and the date it shows. Callers pass the team-local date
    (the date the team's digest shows), so the chart and the digest never disagree about the day."""
    return f"{name}: hourglass, {day.isoformat()}"


def report_title(*, session: Session, team: Team | None, as_of: datetime) -> str:
    """``strongtie report``'s chart title: dated on the team's own calendar, as its digest is.

    For every team at once, the zone they share; if their zones differ there is no one local day,
    so the date is the UTC one and the title says so."""
    if team is not None:
        return hourglass_title(team.name, local_date(as_of, team.timezone))
    zones = set(session.scalars(select(Team.timezone).distinct()))
    if len(zones) == 1:
        return hourglass_title("All teams", local_date(as_of, zones.pop()))
    return hourglass_title("All teams", local_date(as_of, "UTC")) + " (UTC)"


def render_hourglass_png(counts: list[StageCount], *, title: str) -> bytes:
    """Draw the hourglass (relationships per stage, centred bars) beside each stage's median dwell."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    stages = [c.stage for c in counts][::-1]  # first stage at the top
    sizes = [c.count for c in counts][::-1]
    dwell = [c.median_dwell_days or 0.0 for c in counts][::-1]
    figure = Figure(figsize=(10, 5), dpi=100)
    funnel, dwell_axis = figure.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    positions = range(len(stages))

    widest = max(sizes + [1])
    funnel.barh(positions, sizes, left=[-s / 2 for s in sizes], color="#3b7dd8", height=0.8)
    for y, size in zip(positions, sizes):
        funnel.text(0, y, str(size), ha="center", va="center", color="white" if size else "#555", fontweight="bold")
    funnel.set_xlim(-widest / 2 - 0.5, widest / 2 + 0.5)
    funnel.set_yticks(list(positions), stages)
    funnel.set_xticks([])
    funnel.set_title("Relationships per stage")

    stalled = stall_stage(counts)  # the same stage the digest names
    colours = ["#d8613b" if stalled and stage == stalled.stage else "#9aa5b1" for stage in stages]
    dwell_axis.barh(positions, dwell, color=colours, height=0.8)
    for y, days, count in zip(positions, dwell, [c.median_dwell_days for c in counts][::-1]):
        label = f"{days:.0f} d" if count is not None else "n/a"
        dwell_axis.text(days, y, f" {label}", va="center")
    dwell_axis.set_xlim(0, max(dwell + [1]) * 1.3)
    dwell_axis.set_title("Median days in stage")
    dwell_axis.set_xlabel("days (orange: where relationships stall)")
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
