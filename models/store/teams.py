"""Teams and their members: look-ups by name or id, every team, and the teams of each member.

A team the roster no longer lists (``in_roster`` false) keeps its rows and history, but is not
found by name or id, not among :func:`all_teams`, and so gets neither a digest nor a scheduled job.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.errors import quoted
from config.roster import name_key
from models.entities import Member, Team
from models.store.errors import StoreError, UnknownNameError


def team_by_name(name: str, *, session: Session) -> Team:
    """The team called ``name``, compared as every name is (``name_key``: case, width, quotes and
    invisible characters aside), or an error listing the closest team names; a team the roster no
    longer lists is refused as such."""
    team = session.scalar(select(Team).where(Team.name_key == name_key(name)))
    if team is None:
        raise UnknownNameError("team", name, list(session.scalars(select(Team.name).where(Team.in_roster.is_(True)))))
    if not team.in_roster:
        raise StoreError(f"team {quoted(team.name)} is no longer in the roster (a roster import removed it)")
    return team


def team_id_for(name: str | None, *, session: Session) -> int | None:
    """The id of the team called ``name``, or ``None`` when no team was named (an optional --team)."""
    return team_by_name(name, session=session).id if name else None


def team_by_id(team_id: int, *, session: Session) -> Team | None:
    """The team with this id, or ``None`` when there is none any more: deleted, or no longer in the
    roster (a digest job left over from before the roster changed then does nothing)."""
    team = session.get(Team, team_id)
    return team if team is not None and team.in_roster else None


def teams_by_member(*, session: Session) -> dict[str, list[Team]]:
    """Every active member's Slack user id -> the teams the roster puts them in, in id order: the
    whole roster in one read, for the membership check's cache."""
    query = (
        select(Member.slack_user, Team)
        .join(Team, Team.id == Member.team_id)
        .where(Member.active.is_(True), Team.in_roster.is_(True))
        .order_by(Team.id)
    )
    found: dict[str, list[Team]] = {}
    for slack_user, team in session.execute(query):
        found.setdefault(slack_user, []).append(team)
    return found


def all_teams(*, session: Session) -> list[Team]:
    """Every team the roster lists, in the order they were first imported (id order)."""
    return list(session.scalars(select(Team).where(Team.in_roster.is_(True)).order_by(Team.id)))


def member_names(team_id: int, *, session: Session) -> dict[str, str]:
    """Slack user -> display name, for every member the roster gives a team (left ones included,
    so an old suggestion still names its owner)."""
    return dict(session.execute(select(Member.slack_user, Member.name).where(Member.team_id == team_id)).all())
