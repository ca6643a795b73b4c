"""How relationships read in a terminal: the board of ``strongtie status`` (which the demo prints
too) and the hourglass as bars. Slack has its own layout in bot/slack/listeners/formatting.py."""

from __future__ import annotations

from datetime import datetime

from bot.rules.hourglass import stage_census
from bot.rules.status import RelationshipStatus, heavy_first, trend_text


def board_text(statuses: list[RelationshipStatus], as_of: datetime) -> str:
    """A readable board: one line per relationship, grouped by team, heavy users first (as
    ``/tie top``, App Home and ``strongtie suggest``), with its owner's name and its top reason."""
    if not statuses:
        return "No tracked customers yet (import a roster with `strongtie roster import`)."
    ordered = sorted(statuses, key=lambda s: (s.team.casefold(), heavy_first(s)))
    owners = {id(s): s.owner_name or s.owner or "-" for s in ordered}
    owner_width = max(5, *(len(o) for o in owners.values()))
    lines = [f"Relationships as of {as_of:%Y-%m-%d %H:%M} UTC"]
    team = None
    for s in ordered:
        if s.team != team:
            team = s.team
            lines += ["", f"{team}", f"  {'#':>3} {'customer':<24} {'owner':<{owner_width}} {'score':>5} {'trend':>6}  "
                                     f"{'stage':<11} {'hourglass':<9}  why"]
        flag = "  AT RISK: " + s.risk_reason if s.at_risk else ""
        why = s.explanation[0] if s.explanation else ""
        rank = s.revenue_rank if s.revenue_rank is not None else "-"
        lines.append(f"  {rank:>3} {s.customer[:24]:<24} {owners[id(s)]:<{owner_width}} {s.score:5.0f} "
                     f"{trend_text(s.trend):>6}  {s.stage:<11} {s.hourglass:<9}  {why}{flag}")
    at_risk = sum(s.at_risk for s in statuses)
    lines += ["", f"{len(statuses)} relationship{'s' if len(statuses) != 1 else ''}, {at_risk} at risk."]
    return "\n".join(lines)


def hourglass_bars(statuses: list[RelationshipStatus]) -> list[str]:
    """How many relationships sit in each tie stage and each hourglass stage, as bars."""
    lines = []
    for title, track in (("tie stage", "tie"), ("hourglass", "hourglass")):
        lines.append(f"  by {title}:")
        lines.extend(f"    {stage:<10} {'█' * n}{' ' if n else ''}{n}" for stage, n in stage_census(statuses, track))
    return lines
