"""Captured interactions: meetings and emails a connection's sync found, stored once per dedupe
key however many connections find them, and removed only when the last connection that captured
them no longer does (never an interaction logged by hand).

A captured interaction's ``dedupe_key`` is made by :func:`capture_key` from what names it for good
(a meeting's event UID and occurrence key, an email's Message-ID) and the customer, so two members
in one meeting with one customer, or one message in INBOX and Sent, store one interaction. The
:class:`~models.entities.Capture` rows say which connections captured it. Each function takes
``session=`` and never commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.entities import Capture, Customer, Interaction, Member, Team
from models.store.interactions import check_direction, check_kind, check_member_id
from models.store.sql import chunked, insert_once

#: The origins of captured interactions: only these are ever removed by a sync.
CAPTURE_ORIGINS = ("calendar", "email")


def capture_key(origin: str, external_id: str, occurrence: str, customer_id: int) -> str:
    """The dedupe key of one captured touch: ``origin:`` and a hash of what names it (any length)."""
    digest = hashlib.sha256(f"{external_id}\n{occurrence}\n{customer_id}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{origin}:{digest[:48]}"


@dataclass(frozen=True)
class CapturedTouch:
    """One touch a sync found for one customer."""

    customer_id: int
    kind: str
    direction: str
    occurred_at: datetime  # aware
    origin: str  # calendar or email
    external_id: str  # event UID or Message-ID
    occurrence: str  # occurrence key (meeting) or the message's own direction (email)
    note: str = ""
    by_user: str | None = None

    @property
    def key(self) -> str:
        """Its dedupe key (see :func:`capture_key`); for an email, the direction is not part of it."""
        occurrence = "" if self.origin == "email" else self.occurrence
        return capture_key(self.origin, self.external_id, occurrence, self.customer_id)


@dataclass
class CaptureOutcome:
    """What storing a sync's touches changed: interactions created, moved (occurred_at updated),
    removed, and the customers concerned."""

    created: int = 0
    moved: int = 0
    removed: int = 0
    customers: set[int] | None = None

    def __post_init__(self) -> None:
        self.customers = set() if self.customers is None else self.customers


def _by_keys(keys: list[str], *, session: Session) -> dict[str, Interaction]:
    found: dict[str, Interaction] = {}
    for chunk in chunked(keys):
        for row in session.scalars(select(Interaction).where(Interaction.dedupe_key.in_(chunk))):
            found[row.dedupe_key] = row
    return found


def _new_interaction(touch: CapturedTouch, now: datetime) -> Interaction:
    kind = check_kind(touch.kind)
    return Interaction(customer_id=touch.customer_id, kind=kind, direction=check_direction(touch.direction, kind),
                       note=touch.note.replace("\x00", ""), occurred_at=touch.occurred_at,
                       by_user=check_member_id(touch.by_user), origin=touch.origin, dedupe_key=touch.key,
                       created_at=now)


def upsert_captures(touches: Iterable[CapturedTouch], *, connection_id: int, session: Session, now: datetime) -> CaptureOutcome:
    """Store the touches a connection's sync found: a new dedupe key becomes an interaction, a
    known one keeps its row (a captured one whose time changed, an occurrence that moved, is
    updated), and each is linked to the connection. Idempotent."""
    wanted: dict[str, CapturedTouch] = {}
    for touch in touches:
        if touch.occurred_at.tzinfo is None:
            raise ValueError("a captured touch needs an aware time")
        wanted.setdefault(touch.key, touch)
    outcome = CaptureOutcome()
    if not wanted:
        return outcome
    rows = _by_keys(list(wanted), session=session)
    missing = [key for key in wanted if key not in rows]
    if missing:
        fresh = {key: _new_interaction(wanted[key], now) for key in missing}
        try:
            with session.begin_nested():
                session.add_all(fresh.values())
        except IntegrityError:  # a concurrent sync stored some of them first: one at a time
            for key, row in fresh.items():
                fresh[key], _ = insert_once(_new_interaction(wanted[key], now), session=session, existing=lambda k=key: session.scalar(
                    select(Interaction).where(Interaction.dedupe_key == k)))
        rows.update(fresh)
        outcome.created = len(missing)
        outcome.customers.update(wanted[key].customer_id for key in missing)
    for key, row in rows.items():
        touch = wanted[key]
        if key not in missing and row.origin == touch.origin and row.occurred_at != touch.occurred_at:
            row.occurred_at = touch.occurred_at
            outcome.moved += 1
            outcome.customers.add(row.customer_id)
    linked = set(session.scalars(select(Capture.interaction_id).where(Capture.connection_id == connection_id)))
    links = [Capture(connection_id=connection_id, interaction_id=rows[key].id, external_id=touch.external_id,
                     occurrence=touch.occurrence[:64]) for key, touch in wanted.items() if rows[key].id not in linked]
    if links:
        try:
            with session.begin_nested():
                session.add_all(links)
        except IntegrityError:  # linked meanwhile by a concurrent sync of the same connection
            pass
    session.flush()
    return outcome


@dataclass(frozen=True)
class CapturedRow:
    """One interaction a connection captured, as a later sync compares it."""

    interaction_id: int
    customer_id: int
    external_id: str
    occurrence: str
    occurred_at: datetime


def captured_by(connection_id: int, *, session: Session, origin: str) -> list[CapturedRow]:
    """The ``origin`` interactions this connection captured, oldest first."""
    query = (select(Interaction.id, Interaction.customer_id, Capture.external_id, Capture.occurrence, Interaction.occurred_at)
             .join(Capture, Capture.interaction_id == Interaction.id)
             .where(Capture.connection_id == connection_id, Interaction.origin == origin)
             .order_by(Interaction.occurred_at, Interaction.id))
    return [CapturedRow(*row) for row in session.execute(query)]


def release_captures(connection_id: int, interaction_ids: Iterable[int], *, session: Session) -> CaptureOutcome:
    """This connection no longer finds these interactions: drop its links, and delete each
    captured interaction (origin calendar or email only) that no other connection still captures."""
    ids = sorted(set(interaction_ids))
    outcome = CaptureOutcome()
    for chunk in chunked(ids):
        session.execute(delete(Capture).where(Capture.connection_id == connection_id, Capture.interaction_id.in_(chunk)))
        orphaned = (select(Interaction.id, Interaction.customer_id)
                    .where(Interaction.id.in_(chunk), Interaction.origin.in_(CAPTURE_ORIGINS),
                           ~exists().where(Capture.interaction_id == Interaction.id)))
        gone = list(session.execute(orphaned))
        if gone:
            session.execute(delete(Interaction).where(Interaction.id.in_([row_id for row_id, _ in gone])))
            outcome.removed += len(gone)
            outcome.customers.update(customer_id for _, customer_id in gone)
    session.expire_all()  # objects loaded before now must not outlive their rows
    return outcome


def known_directions(message_ids: Iterable[str], *, session: Session) -> dict[str, str]:
    """Message-ID -> the direction it went, for the messages among ``message_ids`` captured by
    any earlier sync (how a reply to a thread started long ago is recognised)."""
    found: dict[str, str] = {}
    for chunk in chunked(sorted(set(message_ids))):
        query = (select(Capture.external_id, Capture.occurrence).join(Interaction, Interaction.id == Capture.interaction_id)
                 .where(Capture.external_id.in_(chunk), Interaction.origin == "email"))
        for external_id, direction in session.execute(query):
            found.setdefault(external_id, direction)
    return found


@dataclass(frozen=True)
class TeamPeople:
    """Who is who in one team, as captured contact is attributed: ``address -> member`` (Slack
    user) for its active members, ``address -> customer id`` for its customers in the roster."""

    members: dict[str, str]
    customers: dict[str, int]
    zone: str


def team_people(slack_user: str, team_id: int, *, session: Session) -> TeamPeople:
    """Who a member's captured contact can be about: the addresses of the active members and
    in-roster customers of every roster team ``slack_user`` is an active member of (a person in two
    teams meets both teams' customers), ``team_id``'s first when an address is listed twice; and
    ``team_id``'s time zone (the team the connection belongs to)."""
    team = session.get(Team, team_id)
    others = session.scalars(select(Member.team_id).join(Team, Team.id == Member.team_id).where(
        Member.slack_user == slack_user, Member.active.is_(True), Team.in_roster.is_(True), Member.team_id != team_id)
        .order_by(Member.team_id))
    team_ids = [team_id, *dict.fromkeys(others)]
    members: dict[str, str] = {}
    customers: dict[str, int] = {}
    for each in team_ids:
        for member in session.scalars(select(Member).where(Member.team_id == each, Member.active.is_(True)).order_by(Member.id)):
            for address in member.addresses:
                members.setdefault(address.strip().lower(), member.slack_user)
        query = select(Customer).where(Customer.team_id == each, Customer.in_roster.is_(True)).order_by(Customer.id)
        for customer in session.scalars(query):
            for address in customer.emails or ():
                customers.setdefault(address.strip().lower(), customer.id)
    return TeamPeople(members, customers, team.timezone if team is not None else "UTC")
