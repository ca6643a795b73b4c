"""Store functions for what a capture sync notices besides interactions: upcoming meetings with
customers (meeting prep) and new contacts at known accounts (the digest). They never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models.entities import Customer, Member, NewContact, UpcomingMeeting


def replace_upcoming(connection_id: int, meetings: Iterable[tuple[int, str, str, datetime]], *, session: Session) -> int:
    """Replace a connection's upcoming meetings with ``(customer_id, uid, occurrence, starts_at)``
    rows (what its latest read found); returns how many are stored."""
    session.execute(delete(UpcomingMeeting).where(UpcomingMeeting.connection_id == connection_id))
    rows = {(c, u, o): s for c, u, o, s in meetings}
    session.add_all(UpcomingMeeting(connection_id=connection_id, customer_id=c, uid=u, occurrence=o, starts_at=s)
                    for (c, u, o), s in rows.items())
    session.flush()
    return len(rows)


def upcoming_between(customer_ids: Iterable[int], *, session: Session, since: datetime,
                     until: datetime) -> list[UpcomingMeeting]:
    """The stored upcoming meetings of these customers starting in ``(since, until]``, once per
    (customer, uid, occurrence) however many calendars hold them, earliest first."""
    ids = list(customer_ids)
    if not ids:
        return []
    query = (select(UpcomingMeeting).where(UpcomingMeeting.customer_id.in_(ids), UpcomingMeeting.starts_at > since,
                                           UpcomingMeeting.starts_at <= until)
             .order_by(UpcomingMeeting.starts_at, UpcomingMeeting.id))
    seen: dict[tuple[int, str, str], UpcomingMeeting] = {}
    for row in session.scalars(query):
        seen.setdefault((row.customer_id, row.uid, row.occurrence), row)
    return list(seen.values())


def account_addresses(team_id: int, *, session: Session) -> tuple[dict[str, str], set[str]]:
    """The team's tracked customers' listed ``address -> company``, and every address the team
    already knows (all its customers' and members' addresses, normalised)."""
    listed: dict[str, str] = {}
    known: set[str] = set()
    for customer in session.scalars(select(Customer).where(Customer.team_id == team_id).order_by(Customer.id)):
        for address in customer.emails or ():
            known.add(address.strip().lower())
            if customer.tracked and customer.in_roster:
                listed.setdefault(address.strip().lower(), customer.company)
    for member in session.scalars(select(Member).where(Member.team_id == team_id)):
        known.update(a.strip().lower() for a in member.addresses)
    return listed, known


def record_new_contacts(team_id: int, found: Mapping[str, tuple[str, datetime]], *, session: Session) -> int:
    """Store ``address -> (company, first seen)`` not stored yet for the team; returns how many."""
    if not found:
        return 0
    stored = set(session.scalars(select(NewContact.address).where(NewContact.team_id == team_id,
                                                                  NewContact.address.in_(list(found)))))
    new = [NewContact(team_id=team_id, address=a, company=c, first_seen_at=at)
           for a, (c, at) in sorted(found.items()) if a not in stored]
    session.add_all(new)
    session.flush()
    return len(new)


def unreported_new_contacts(team_id: int, *, session: Session, until: datetime,
                            since: datetime | None = None) -> list[NewContact]:
    """The team's new contacts first seen up to ``until`` (and after ``since``, if given) that no
    digest has reported, by company."""
    query = select(NewContact).where(
        NewContact.team_id == team_id, NewContact.reported_at.is_(None), NewContact.first_seen_at <= until)
    if since is not None:
        query = query.where(NewContact.first_seen_at > since)
    return list(session.scalars(query.order_by(NewContact.company, NewContact.address)))


def mark_new_contacts_reported(ids: Iterable[int], *, session: Session, now: datetime) -> None:
    """Mark these new contacts reported (a digest listing them was sent)."""
    ids = list(ids)
    if ids:
        session.execute(update(NewContact).where(NewContact.id.in_(ids), NewContact.reported_at.is_(None))
                        .values(reported_at=now))
