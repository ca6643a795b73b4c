"""Teams and their members: look-ups by name and by Slack user."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.entities import Member, Team
from models.store.errors import UnknownNameError


def team_by_name(name: str, *, session: Session) -> Team:
    """The team called ``name`` (case ignored), or an error listing the closest team names."""
    team = session.scalar(select(Team).where(func.lower(Team.name) == name.strip().lower()))
    if team is None:
        raise UnknownNameError("team", name, list(session.scalars(select(Team.name))))
    return team


def team_id_for(name: str | None, *, session: Session) -> int | None:
    """The id of the team called ``name``, or ``None`` when no team was named (an optional --team)."""
    return team_by_name(name, session=session).id if name else None


def member_teams(slack_user: str, *, session: Session) -> list[Team]:
    """The teams the roster puts a Slack user in."""
    query = select(Team).join(Member).where(Member.slack_user == slack_user, Member.active.is_(True))
    return list(session.scalars(query))


def all_teams(*, session: Session) -> list[Team]:
    """Every team, in the order they were first imported (id order)."""
    return list(session.scalars(select(Team).order_by(Team.id)))
