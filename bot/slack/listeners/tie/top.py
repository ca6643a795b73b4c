"""``/tie top``: the team's board, heavy users first (as ``strongtie status`` and App Home)."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy.orm import Session

from bot.jobs import score
from bot.rules.status import RelationshipStatus, heavy_first
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.formatting import customer_title, hourglass_summary, score_summary
from bot.slack.listeners.tie.request import TieRequest


def handle(request: TieRequest, session: Session) -> str:
    """The board of each of the member's teams: hourglass counts, then its relationships, the
    customers that bring the most revenue first, each with its owner's name."""
    sections = []
    for team_id, team_name in zip(request.member.team_ids, request.member.team_names):
        statuses = score.relationship_statuses(session=session, as_of=request.now, params=request.params, team_id=team_id)
        lines = [f"*{escape_mrkdwn(team_name)}*: hourglass {hourglass_summary(statuses)}"]
        lines += top_lines(statuses) or ["No tracked customers yet."]
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def top_lines(statuses: Sequence[RelationshipStatus]) -> list[str]:
    """One numbered line per relationship, heavy users first: name, company, owner, score."""
    lines = []
    for number, status in enumerate(sorted(statuses, key=heavy_first), start=1):
        owner = status.owner_name or status.owner
        owned = f" · {escape_mrkdwn(owner)}" if owner else " · no owner"
        lines.append(f"{number}. {customer_title(status)}{owned}: {score_summary(status)}")
    return lines
