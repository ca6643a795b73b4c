"""Accounts: the customers of one company in one team, seen together (pure).

A relationship with a company rests on its people. An account whose only strong thread is one
champion is at risk the day that person leaves, however good the score beside their name looks;
:func:`accounts_of` groups the relationships by company and says so.

- ``contacts``: the account's tracked relationships, strongest tie first.
- ``strongest``: the tie stage of the strongest contact (None for an account without contacts).
- ``coverage``: how many contacts are at :data:`COVERED_STAGE` (weak tie) or better.
- ``single_threaded``: exactly one contact is at :data:`THREAD_STAGE` (building) or better.

A customer with no company belongs to no account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from bot.rules.status import RelationshipStatus, heavy_first
from config.roster import name_key
from config.vocabulary import TIE_STAGES

#: A contact at this stage or better counts towards an account's coverage.
COVERED_STAGE = "weak_tie"
#: A contact at this stage or better is a thread the account hangs by.
THREAD_STAGE = "building"
_RANK = {stage: index for index, stage in enumerate(TIE_STAGES)}


@dataclass(frozen=True)
class Contact:
    """One person of an account and their tie."""

    customer: str
    score: float
    stage: str
    owner_name: str | None = None


@dataclass(frozen=True)
class Account:
    """One company of one team, with its contacts strongest first and what they add up to."""

    account: str
    team: str
    contacts: tuple[Contact, ...]
    revenue_rank: int | None = None  # the best revenue rank among its contacts (heavy users first)

    @property
    def strongest(self) -> str | None:
        """The tie stage of the strongest contact."""
        return self.contacts[0].stage if self.contacts else None

    @property
    def coverage(self) -> int:
        """How many contacts are at weak tie or better."""
        return sum(_RANK.get(c.stage, 0) >= _RANK[COVERED_STAGE] for c in self.contacts)

    @property
    def threads(self) -> int:
        """How many contacts are at building or better."""
        return sum(_RANK.get(c.stage, 0) >= _RANK[THREAD_STAGE] for c in self.contacts)

    @property
    def single_threaded(self) -> bool:
        """Exactly one contact at building or better: the account hangs by one person."""
        return self.threads == 1

    def as_json(self) -> dict[str, Any]:
        """The ``strongtie accounts --json`` record."""
        return {
            "account": self.account,
            "team": self.team,
            "contacts": [{"customer": c.customer, "score": round(c.score, 1) + 0.0, "stage": c.stage}
                         for c in self.contacts],
            "strongest": self.strongest,
            "coverage": self.coverage,
            "single_threaded": self.single_threaded,
        }


def _contact_order(status: RelationshipStatus) -> tuple[int, float, str]:
    return (-_RANK.get(status.stage, 0), -status.score, status.customer.casefold())


def accounts_of(statuses: Iterable[RelationshipStatus]) -> list[Account]:
    """The accounts these relationships make up: one per (team, company), the company matched
    case-insensitively and named as its heaviest contact's roster entry writes it; ordered by team,
    then heavy users first (the account's best revenue rank), then name."""
    groups: dict[tuple[str, str], list[RelationshipStatus]] = {}
    for status in statuses:
        company = (status.company or "").strip()
        if company:
            groups.setdefault((status.team, name_key(company)), []).append(status)
    accounts = []
    for (team, _), members in groups.items():
        heaviest = min(members, key=heavy_first)
        contacts = tuple(Contact(s.customer, s.score, s.stage, s.owner_name or s.owner)
                         for s in sorted(members, key=_contact_order))
        accounts.append(Account(heaviest.company.strip(), team, contacts, heaviest.revenue_rank))
    return sorted(accounts, key=lambda a: (a.team.casefold(), a.revenue_rank is None, a.revenue_rank or 0,
                                           a.account.casefold()))


def account_named(statuses: Iterable[RelationshipStatus], company: str) -> list[Account]:
    """The accounts (one per team) of the company called ``company`` (quotes, case and spaces ignored)."""
    wanted = name_key(company)
    return [a for a in accounts_of(statuses) if name_key(a.account) == wanted]


def single_threaded_accounts(statuses: Iterable[RelationshipStatus]) -> list[Account]:
    """The accounts that hang by one contact, heavy users first."""
    return [a for a in accounts_of(statuses) if a.single_threaded]


def account_summary(account: Account) -> str:
    """``2 contacts · strongest: building · coverage 2/2 · single-threaded`` (plain words)."""
    count = len(account.contacts)
    parts = [f"{count} contact{'s' if count != 1 else ''}",
             f"strongest: {(account.strongest or 'none').replace('_', ' ')}",
             f"coverage {account.coverage}/{count} at weak tie or better"]
    if account.single_threaded:
        parts.append("single-threaded: only one contact at building or better")
    return " · ".join(parts)
