"""Connections: members' calendars and mailboxes. Adding and removing one, the ones due for a
sync, and saving a sync's outcome on the row (its cursor and health).

The credential arrives and leaves sealed (:class:`models.crypto.SecretBox` is the caller's): this
module never sees a plaintext secret. Each function takes ``session=`` and never commits.

``options`` holds what is not secret: for ``imap`` ``host``, ``port``, ``user``, ``security``
(tls, starttls, plain), ``folders`` (a list; empty: INBOX and the Sent folder) and ``xoauth2``;
for ``calendar`` only the address's ``host`` (the rest of the address is the secret).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Collection, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from config.errors import InputError
from config.names import name_key
from config.vocabulary import CONNECTION_KINDS
from models.entities import Connection, Member, Team
from models.store import clean


def add_connection(member: Member, kind: str, *, sealed_secret: str, options: Mapping[str, Any], session: Session) -> Connection:
    """A new connection of ``member``'s, due for its first sync at once."""
    if kind not in CONNECTION_KINDS:
        raise ValueError(f"unknown connection kind {kind!r}; one of {', '.join(CONNECTION_KINDS)}")
    connection = Connection(member_id=member.id, kind=kind, secret=sealed_secret, options=dict(options), cursor={},
                            status="new", error_count=0)
    session.add(connection)
    session.flush()
    return connection


def active_member(who: str, *, session: Session) -> Member:
    """The active member of a team in the roster that ``who`` names: their Slack user id or their
    name (any case). A member of several teams connects as a member of the first (roster order).
    An unknown or ambiguous name is an :class:`InputError` listing the active members."""
    members = list(session.scalars(
        select(Member).join(Team, Member.team_id == Team.id)
        .where(Member.active.is_(True), Team.in_roster.is_(True)).order_by(Team.id, Member.id)))
    wanted = who.strip()
    by_id = [m for m in members if m.slack_user.casefold() == wanted.casefold()]
    if by_id:
        return by_id[0]
    by_name = [m for m in members if name_key(m.name or "") == name_key(wanted)]
    if len({m.slack_user for m in by_name}) == 1:
        return by_name[0]
    if by_name:
        ids = ", ".join(sorted({m.slack_user for m in by_name}))
        raise InputError(f"member {wanted[:80]!r} names several members ({ids}): give the Slack user id")
    listed = ", ".join(sorted({f"{m.slack_user} ({m.name})" for m in members})) or "none"
    raise InputError(f"member {wanted[:80]!r} is not an active member of a team in the roster (members: {listed})")


def replace_credential(connection: Connection, *, sealed_secret: str, options: Mapping[str, Any]) -> None:
    """Connect an existing connection again (a new password, the same calendar pasted twice): the
    new credential and options, its health reset and due for a sync at once; the cursor is kept."""
    connection.secret = sealed_secret
    connection.options = dict(options)
    connection.status = "new"
    connection.last_error = None
    connection.error_count = 0
    connection.next_check_at = None


def connection_by_id(connection_id: int, *, session: Session) -> Connection | None:
    """One connection with its member and team loaded, or ``None``."""
    return session.scalar(select(Connection).where(Connection.id == connection_id)
                          .options(selectinload(Connection.member).selectinload(Member.team)))


def all_connections(*, session: Session, member_user: str | None = None) -> list[Connection]:
    """Every connection (of one Slack user's, with ``member_user``), oldest first."""
    query = select(Connection).join(Member).options(selectinload(Connection.member).selectinload(Member.team))
    if member_user is not None:
        query = query.where(Member.slack_user == member_user)
    return list(session.scalars(query.order_by(Connection.id)))


def remove_connection(connection_id: int, *, session: Session) -> Connection | None:
    """Delete a connection and with it its sealed secret; the removed row, or ``None``."""
    connection = connection_by_id(connection_id, session=session)
    if connection is not None:
        session.delete(connection)
        session.flush()
    return connection


def due_connections(*, session: Session, now: datetime, force: bool = False, kind: str | None = None,
                    ids: Collection[int] | None = None) -> list[Connection]:
    """Connections of active members of teams in the roster that are due at ``now`` (never synced,
    or ``next_check_at`` passed, and not disabled); with ``force``, all of those; with ``ids``,
    only those among them (a worker's job for one connection asks whether it is still due)."""
    query = (select(Connection).join(Member).join(Team, Member.team_id == Team.id)
             .where(Member.active.is_(True), Team.in_roster.is_(True), Connection.status != "disabled")
             .options(selectinload(Connection.member).selectinload(Member.team))
             .order_by(Connection.id))
    if kind is not None:
        query = query.where(Connection.kind == kind)
    if ids is not None:
        query = query.where(Connection.id.in_(list(ids)))
    if not force:
        query = query.where((Connection.next_check_at.is_(None)) | (Connection.next_check_at <= now))
    return list(session.scalars(query))


def save_sync_success(connection: Connection, *, cursor: Mapping[str, Any], status: str, now: datetime,
                      next_check_at: datetime, warning: str | None = None, sealed_secret: str | None = None) -> None:
    """Record a sync that worked: the new cursor, health reset; ``sealed_secret`` replaces the
    stored credential (a calendar that moved permanently)."""
    connection.cursor = clean.json_value(dict(cursor))
    connection.status = clean.prose(status, clean.STATUS_LIMIT)
    connection.last_synced_at = now
    connection.next_check_at = next_check_at
    connection.last_error = clean.prose(warning, clean.ERROR_LIMIT) if warning else None
    connection.error_count = 0
    if sealed_secret is not None:
        connection.secret = sealed_secret


def save_sync_failure(connection: Connection, *, error: str, status: str, now: datetime, next_check_at: datetime | None) -> None:
    """Record a failed sync: the error (already free of secrets), and when to try again
    (``None`` with status ``disabled``: not until it is connected again)."""
    connection.status = clean.prose(status, clean.STATUS_LIMIT)
    connection.last_error = clean.prose(error, clean.ERROR_LIMIT)
    connection.error_count += 1
    connection.next_check_at = next_check_at
