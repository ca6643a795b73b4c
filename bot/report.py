"""The hourglass picture: how many relationships sit in each hourglass stage and how long they
dwell there, so a manager sees where the system jams.

:func:`bot.rules.hourglass.hourglass_counts` computes the figures (pure, from stage-change history);
:func:`team_hourglass` and :func:`hourglass_of` feed it from the store, for the report and the
digest alike. The digest states them in words and :func:`render_hourglass_png` draws them
(matplotlib, Agg backend, no display).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.jobs.score import relationship_statuses
from bot.rules.hourglass import StageCount, hourglass_counts, longest_sitting, stall_stage
from bot.rules.status import RelationshipStatus
from bot.timeutil import local_date
from config.scoring import ScoringParams
from models.entities import Team
from models.store.snapshots import stage_history


def team_hourglass(*, session: Session, as_of: datetime, params: ScoringParams,
                   team_id: int | None = None) -> list[StageCount]:
    """The hourglass figures of one team (or every team) at ``as_of``, from the store."""
    statuses = relationship_statuses(session=session, as_of=as_of, params=params, team_id=team_id)
    return hourglass_of(statuses, session=session, as_of=as_of)


def hourglass_of(statuses: Iterable[RelationshipStatus], *, session: Session, as_of: datetime) -> list[StageCount]:
    """The hourglass figures of relationships already assessed at ``as_of``: their stages now and
    the stage history stored up to then (for a caller that has the statuses, such as the digest)."""
    statuses = list(statuses)
    current = {s.customer_id: s.hourglass for s in statuses}
    history = stage_history(list(current), session=session, tracks=("hourglass",), until=as_of)
    return longest_sitting(hourglass_counts(history, current, as_of), history, statuses, as_of)


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


@dataclass(frozen=True)
class ChartRow:
    """One stage as the chart draws it, in the words the digest uses for the same figures."""

    stage: str
    count: int
    dwell_days: float | None  # median stay; none for a stage nobody is in
    dwell_label: str  # "12 d", or empty
    stalled: bool  # the stage the digest names as where relationships stall
    longest: str  # the heavy users sitting longest there, "Maya Lindqvist 80 d, Tomás Herrera 31 d"


def chart_rows(counts: list[StageCount]) -> list[ChartRow]:
    """The chart's content, stage by stage in funnel order (pure, so the chart and the digest can
    be checked to agree): the stalled stage is :func:`stall_stage`'s, the dwell the digest's."""
    stalled = stall_stage(counts)
    return [
        ChartRow(c.stage, c.count, c.median_dwell_days, c.dwell_label, stalled is not None and c.stage == stalled.stage,
                 ", ".join(f"{name} {days:.0f} d" for name, days in c.longest))
        for c in counts
    ]


def render_hourglass_png(counts: list[StageCount], *, title: str) -> bytes:
    """Draw the hourglass: relationships per stage (centred bars), each stage's median dwell (the
    stalled stage in orange) and the heavy users sitting longest in it, the customers to act on."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = chart_rows(counts)[::-1]  # first stage at the top
    stages, sizes = [r.stage for r in rows], [r.count for r in rows]
    dwell = [r.dwell_days or 0.0 for r in rows]
    figure = Figure(figsize=(10, 5), dpi=100)
    funnel, dwell_axis, names_axis = figure.subplots(1, 3, sharey=True, gridspec_kw={"width_ratios": [3, 2, 3]})
    positions = range(len(stages))

    widest = max(sizes + [1])
    funnel.barh(positions, sizes, left=[-s / 2 for s in sizes], color="#3b7dd8", height=0.8)
    for y, size in zip(positions, sizes):
        funnel.text(0, y, str(size), ha="center", va="center", color="white" if size else "#555", fontweight="bold")
    funnel.set_xlim(-widest / 2 - 0.5, widest / 2 + 0.5)
    funnel.set_yticks(list(positions), stages)
    funnel.set_xticks([])
    funnel.set_title("Relationships per stage")

    colours = ["#d8613b" if r.stalled else "#9aa5b1" for r in rows]
    dwell_axis.barh(positions, dwell, color=colours, height=0.8)
    for y, row in zip(positions, rows):
        if row.dwell_label:  # a stage nobody is in shows no dwell
            dwell_axis.text(row.dwell_days or 0.0, y, f" {row.dwell_label}", va="center")
    dwell_axis.set_xlim(0, max(dwell + [1]) * 1.4)
    dwell_axis.set_title("Median days in stage")
    dwell_axis.set_xlabel("days (orange: where relationships stall)")

    names_axis.set_xlim(0, 1)
    names_axis.axis("off")
    names_axis.set_title("Sitting longest (heavy users)")
    for y, row in zip(positions, rows):
        if row.longest:
            names_axis.text(0, y, row.longest, va="center", fontsize=8, wrap=True,
                            color="#d8613b" if row.stalled else "#222")
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
