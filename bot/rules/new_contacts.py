"""New contacts at known accounts (pure): which unlisted addresses seen in members' calendars and
mail are at a tracked customer's company. A company's domain is the domain of its customers'
listed ``emails``; a webmail domain says nothing about a company and never counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Mapping

from config.identity import is_free_mail

#: A contact first seen longer ago than this is history a first sync found (a year of mail read
#: back at once), not news: it is stored, so it is never "new" again, but no digest reports it.
NEW_CONTACT_WINDOW = timedelta(days=14)


def company_domains(listed: Mapping[str, str]) -> dict[str, str]:
    """``domain -> company`` from tracked customers' listed ``address -> company`` (webmail and
    customers without a company left out; the first company listed for a domain wins)."""
    domains: dict[str, str] = {}
    for address, company in listed.items():
        domain = address.rpartition("@")[2].strip().lower()
        if domain and company and not is_free_mail(address):
            domains.setdefault(domain, company)
    return domains


def new_contacts(
    seen: Iterable[tuple[str, datetime]], *, domains: Mapping[str, str], known: Iterable[str]
) -> dict[str, tuple[str, datetime]]:
    """``address -> (company, first seen)`` for each address in ``seen`` at one of ``domains``
    that is not ``known`` (any listed customer's or member's address)."""
    skip = {a.strip().lower() for a in known}
    found: dict[str, tuple[str, datetime]] = {}
    for address, at in seen:
        address = address.strip().lower()
        company = domains.get(address.rpartition("@")[2])
        if company is None or address in skip or is_free_mail(address):
            continue
        if address not in found or at < found[address][1]:
            found[address] = (company, at)
    return found
