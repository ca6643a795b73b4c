"""Customers: look-ups by name (whole or as the start of a command's text) or id, by company (an
account), the tracked ones, and snoozing one. A name that matches nothing fails with the closest
names of people and of companies alike."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from config.errors import quoted
from config.roster import name_key
from models.entities import Customer, Team
from models.store.errors import StoreError, UnknownNameError
from models.store.sql import chunked


def find_customer(name: str, *, session: Session, team_id: int | None = None, by_company: bool = True) -> Customer:
    """The customer called ``name`` (quotes and case ignored), optionally within one team. A
    company's name stands for its only contact; an account with several asks which one (without
    ``by_company``, for a caller that shows the account itself, only people's names count)."""
    query = select(Customer).where(Customer.name_key == name_key(name))
    if team_id is not None:
        query = query.where(Customer.team_id == team_id)
    matches = list(session.scalars(query))
    if len(matches) > 1:
        teams = ", ".join(sorted(session.get(Team, c.team_id).name for c in matches))
        raise StoreError(f"{quoted(name)} names customers in several teams ({teams}); pass --team")
    if not matches:
        contacts = _company_contacts(name_key(name), session=session, team_id=team_id) if by_company else []
        if contacts:
            return _the_one_contact(name, contacts)
        raise UnknownNameError("customer", name, lookup_names(session=session, team_id=team_id))
    return matches[0]


def _company_contacts(key: str, *, session: Session, team_id: int | None) -> list[Customer]:
    """The customers still in the roster who work at the company whose name has this key."""
    return _companies(session=session, team_id=team_id).get(key, [])


def _companies(*, session: Session, team_id: int | None) -> dict[str, list[Customer]]:
    """Company key -> its contacts still in the roster (of one team, or all), in one query."""
    query = select(Customer).where(Customer.in_roster.is_(True), Customer.company != "").order_by(Customer.id)
    if team_id is not None:
        query = query.where(Customer.team_id == team_id)
    companies: dict[str, list[Customer]] = {}
    for customer in session.scalars(query):
        companies.setdefault(name_key(customer.company), []).append(customer)
    return companies


def _most_words(keys) -> int:
    return max((len(key.split()) for key in keys), default=0)


def _the_one_contact(name: str, contacts: list[Customer]) -> Customer:
    """A company name where one person is wanted: its only contact, or an error naming them all."""
    if len(contacts) == 1:
        return contacts[0]
    shown = ", ".join(c.name for c in contacts[:10]) + (" …" if len(contacts) > 10 else "")
    raise StoreError(f"{quoted(name)} is an account with {len(contacts)} contacts ({shown}); name one of them")


def customer_names(*, session: Session, team_id: int | None = None) -> list[str]:
    """The names of every customer (of one team, or all): what an unknown name is compared with."""
    query = select(Customer.name).order_by(Customer.id)
    if team_id is not None:
        query = query.where(Customer.team_id == team_id)
    return list(session.scalars(query))


def company_names(*, session: Session, team_id: int | None = None) -> list[str]:
    """The distinct company names (case-insensitively) of the customers of one team, or of all."""
    query = select(Customer.company).where(Customer.company != "").order_by(Customer.id)
    if team_id is not None:
        query = query.where(Customer.team_id == team_id)
    spelled: dict[str, str] = {}
    for company in session.scalars(query):
        spelled.setdefault(name_key(company), company.strip())  # as the roster first writes it
    return list(spelled.values())


def lookup_names(*, session: Session, team_id: int | None = None) -> list[str]:
    """What an unknown customer name is compared with: every person and every company."""
    people = customer_names(session=session, team_id=team_id)
    known = {name_key(n) for n in people}
    return people + [c for c in company_names(session=session, team_id=team_id) if name_key(c) not in known]


def find_company(name: str, *, session: Session, team_ids: list[int]) -> str | None:
    """The company called ``name`` (quotes, case and extra spaces ignored) as the roster writes it,
    when a customer of one of these teams works there; ``None`` otherwise."""
    wanted = name_key(name)
    for team_id in team_ids:
        for company in company_names(session=session, team_id=team_id):
            if name_key(company) == wanted:
                return company
    return None


def customer_with_owner(customer_id: int, *, session: Session) -> Customer | None:
    """The customer with this id, its owner and team loaded (``None`` when there is none)."""
    found = customers_with_owner([customer_id], session=session)
    return found[0] if found else None


def customers_with_owner(customer_ids: Iterable[int], *, session: Session) -> list[Customer]:
    """The customers with these ids (those that exist), their owners and teams loaded, by id."""
    found: list[Customer] = []
    for chunk in chunked(sorted(set(customer_ids))):
        found += session.scalars(select(Customer).where(Customer.id.in_(chunk))
                                 .options(selectinload(Customer.owner), selectinload(Customer.team)))
    return sorted(found, key=lambda c: c.id)


def match_customer_prefix(text: str, *, session: Session, team_id: int, by_company: bool = True) -> tuple[Customer, str]:
    """Split free text into the longest known customer name it starts with and the rest.

    ``/tie log Jane Doe call coffee`` must find "Jane Doe" even though it is unquoted. When no person's
    name starts the text, a company's does, as in :func:`find_customer`.
    """
    words = text.split()
    customers = list(session.scalars(select(Customer).where(Customer.team_id == team_id)))
    by_key = {c.name_key: c for c in customers}
    # A name has at most as many words as the longest known one (a little slack for invisible
    # characters a key drops): a 4,000-character command costs a few look-ups, not thousands.
    for cut in range(min(len(words), _most_words(by_key) + 2), 0, -1):
        candidate = name_key(" ".join(words[:cut]))
        if candidate in by_key:
            return by_key[candidate], " ".join(words[cut:])
    companies = _companies(session=session, team_id=team_id) if by_company else {}
    for cut in range(min(len(words), _most_words(companies) + 2), 0, -1):
        contacts = companies.get(name_key(" ".join(words[:cut])))
        if contacts:
            return _the_one_contact(" ".join(words[:cut]), contacts), " ".join(words[cut:])
    guess = " ".join(words[:2]) if words else ""
    raise UnknownNameError("customer", guess, lookup_names(session=session, team_id=team_id))


def tracked_customers(*, session: Session, team_id: int | None = None) -> list[Customer]:
    """Customers being tracked (top ``top_n`` by revenue, still in the roster), by team and rank."""
    query = (
        select(Customer)
        .where(Customer.tracked.is_(True))
        .options(selectinload(Customer.owner), selectinload(Customer.team))
        .order_by(Customer.team_id, Customer.revenue_rank, Customer.id)
    )
    if team_id is not None:
        query = query.where(Customer.team_id == team_id)
    return list(session.scalars(query))


def snooze_customer(customer: Customer, *, session: Session, now: datetime, days: int) -> datetime:
    """Hold back suggestions about ``customer`` for ``days`` days from ``now``; returns when the
    snooze ends (a later snooze replaces an earlier one)."""
    customer.snoozed_until = now + timedelta(days=days)
    session.flush()
    return customer.snoozed_until
