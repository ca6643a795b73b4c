"""The hourglass picture: how many relationships sit in each hourglass stage and how long they
dwell there, so a manager sees where the system jams.

:func:`bot.rules.hourglass.hourglass_counts` computes the figures (pure, from stage-change history);
:func:`team_hourglass` and :func:`hourglass_of` feed it from the store, for the report and the
digest alike. The digest states them in words and :func:`render_hourglass_png` draws them
(matplotlib, Agg backend, no display).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.jobs.score import relationship_statuses
from bot.rules.hourglass import StageCount, hourglass_counts, stall_stage
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
