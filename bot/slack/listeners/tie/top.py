"""``/tie top``: the team's board, strongest relationship first."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.jobs import score
from bot.slack.blocks import escape_mrkdwn
from bot.slack.listeners.formatting import board_lines, hourglass_summary
from bot.slack.listeners.tie.request import TieRequest


def handle(request: TieRequest, session: Session) -> str:
    """The board of each of the member's teams: hourglass counts, then relationships strongest first."""
    sections = []
    for team_id, team_name in zip(request.member.team_ids, request.member.team_names):
        statuses = score.relationship_statuses(session=session, as_of=request.now, params=request.params, team_id=team_id)
        lines = [f"*{escape_mrkdwn(team_name)}*: hourglass {hourglass_summary(statuses)}"]
        lines += board_lines(statuses) or ["No tracked customers yet."]
        sections.append("\n".join(lines))
    return "\n\n".join(sections)
