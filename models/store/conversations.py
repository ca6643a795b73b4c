"""Slack Connect conversations: who in the roster a channel message is from, who is on the other side
of a channel, and the sightings that say so.

A customer lists the Slack user ids they post under (``slack_users``); a sighting records that one of
those ids posted in a channel, so a member's later message in that channel is contact with them. Only
ids, channels and times are kept, never a message. Each function takes ``session=`` and never commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload

from models.entities import Customer, Interaction, Member, SlackConnectSighting, Team
from models.store.sql import chunked, insert_once


def workspace_teams(workspace: str | None, *, session: Session) -> list[Team]:
    """The roster's teams that a message seen by the installation in ``workspace`` concerns: those
    whose ``workspace`` is that one, and those that name none (a single-workspace install)."""
    query = select(Team).where(Team.in_roster.is_(True)).order_by(Team.id)
    if workspace:
        query = query.where(or_(Team.workspace == workspace, Team.workspace.is_(None)))
    else:
        query = query.where(Team.workspace.is_(None))
    return list(session.scalars(query))


def customers_listing(slack_user: str, *, session: Session, team_ids: Iterable[int]) -> list[Customer]:
    """The roster's customers of these teams that list ``slack_user`` among their ``slack_users``
    (with their team loaded). The list is JSON, read here rather than in SQL, which both backends
    query differently; a team has a few dozen customers."""
    ids = list(team_ids)
    if not ids or not slack_user:
        return []
    query = (select(Customer).options(selectinload(Customer.team))
             .where(Customer.team_id.in_(ids), Customer.in_roster.is_(True)).order_by(Customer.id))
    return [c for c in session.scalars(query) if slack_user in (c.slack_users or ())]


def active_memberships(slack_user: str, *, session: Session, team_ids: Iterable[int]) -> list[Member]:
    """``slack_user``'s active memberships of these teams."""
    ids = list(team_ids)
    if not ids or not slack_user:
        return []
    query = select(Member).where(Member.slack_user == slack_user, Member.active.is_(True), Member.team_id.in_(ids))
    return list(session.scalars(query.order_by(Member.id)))


def customers_seen_in(channel: str, *, session: Session, team_ids: Iterable[int]) -> list[Customer]:
    """The roster's customers of these teams seen posting in ``channel`` under an id they still list
    (with their team loaded): the other side of the channel."""
    ids = list(team_ids)
    if not ids:
        return []
    query = (select(Customer, SlackConnectSighting.slack_user)
             .join(SlackConnectSighting, SlackConnectSighting.customer_id == Customer.id)
             .options(selectinload(Customer.team))
             .where(SlackConnectSighting.channel == channel, Customer.team_id.in_(ids), Customer.in_roster.is_(True))
             .order_by(Customer.id))
    found: dict[int, Customer] = {}
    for customer, user in session.execute(query):
        if user in (customer.slack_users or ()):
            found.setdefault(customer.id, customer)
    return list(found.values())


def note_sighting(channel: str, slack_user: str, customer: Customer, *, session: Session, at: datetime) -> None:
    """Record that ``customer``'s ``slack_user`` posted in ``channel`` at ``at`` (the latest time kept)."""
    def existing() -> SlackConnectSighting | None:
        return session.scalar(select(SlackConnectSighting).where(
            SlackConnectSighting.channel == channel, SlackConnectSighting.slack_user == slack_user,
            SlackConnectSighting.customer_id == customer.id))

    row, created = insert_once(SlackConnectSighting(channel=channel, slack_user=slack_user, customer_id=customer.id,
                                                    last_seen_at=at), session=session, existing=existing)
    if not created and row.last_seen_at < at:
        row.last_seen_at = at
    session.flush()


def forget_channel(channel: str, *, session: Session) -> int:
    """Drop every sighting in ``channel`` (it is no longer shared); how many went."""
    return session.execute(delete(SlackConnectSighting).where(SlackConnectSighting.channel == channel)).rowcount or 0


def stored_keys(keys: Iterable[str], *, session: Session) -> set[str]:
    """Which of these interaction dedupe keys are already stored."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    for chunk in chunked(wanted):
        found.update(session.scalars(select(Interaction.dedupe_key).where(Interaction.dedupe_key.in_(chunk))))
    return found
