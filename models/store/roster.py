"""Apply a validated roster to the store: upsert in place, never delete history.

A team, customer or source the file no longer lists stays in the database with ``in_roster=False``
(a team gets no digest, a customer is not tracked, a source not polled); its interactions, posts
and scores are kept, and a member the file no longer lists is deactivated (no DMs, no access).
Teams and customers are matched by ``name_key``, as every look-up by name is. Per team only the
top ``top_n`` customers by revenue are tracked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.roster import CustomerSpec, Roster, TeamSpec, name_key
from models.entities import Customer, Member, Source, Team


@dataclass
class RosterChanges:
    """What an import changed, counted by ``"<entity> <verb>"`` (e.g. ``"customer added"``)."""

    counts: Counter = field(default_factory=Counter)
    untracked: list[str] = field(default_factory=list)

    def note(self, entity: str, verb: str) -> None:
        """Count one change, e.g. ``note("customer", "added")``."""
        self.counts[f"{entity} {verb}"] += 1

    @property
    def changed(self) -> bool:
        """Whether the import changed anything at all."""
        return any(not key.endswith("unchanged") for key in self.counts)

    def summary(self) -> str:
        """The changes in one line, e.g. ``2 customer added; 1 source removed``."""
        parts = [f"{n} {key}" for key, n in sorted(self.counts.items()) if not key.endswith("unchanged")]
        text = "; ".join(parts) if parts else "nothing changed"
        if self.untracked:
            text += f". Untracked (beyond top_n by revenue): {', '.join(self.untracked)}"
        return text


def _assign(row: object, values: dict[str, object]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _upsert_team(spec: TeamSpec, session: Session, changes: RosterChanges) -> Team:
    """The team the roster names, matched as every name is (``name_key``): ``Team A`` renamed
    ``team a`` is the same team, renamed, with its history; a team retired before is listed again."""
    team = session.scalar(select(Team).where(Team.name_key == name_key(spec.name)))
    values = {
        "name": spec.name,
        "slack_channel": spec.slack_channel,
        "timezone": spec.timezone,
        "digest_time": spec.digest_time,
        "top_n": spec.top_n,
        "workspace": spec.workspace,
        "in_roster": True,
    }
    if team is None:
        team = Team(**values)
        session.add(team)
        session.flush()
        changes.note("team", "added")
    else:
        restored = not team.in_roster
        changed = _assign(team, values)
        changes.note("team", "restored" if restored else "updated" if changed else "unchanged")
    return team


def _sync_members(team: Team, spec: TeamSpec, session: Session, changes: RosterChanges) -> dict[str, Member]:
    existing = {m.slack_user: m for m in session.scalars(select(Member).where(Member.team_id == team.id))}
    for member_spec in spec.members:
        member = existing.get(member_spec.slack_user)
        values = {
            "name": member_spec.name,
            "active": True,
            "email": member_spec.email,
            "aliases": list(member_spec.aliases),
            "bluesky": member_spec.bluesky,
            "mastodon": member_spec.mastodon,
        }
        if member is None:
            member = Member(team_id=team.id, slack_user=member_spec.slack_user, **values)
            session.add(member)
            existing[member.slack_user] = member
            changes.note("member", "added")
        else:
            changes.note("member", "updated" if _assign(member, values) else "unchanged")
    listed = {m.slack_user for m in spec.members}
    for slack_user, member in existing.items():
        if slack_user not in listed and member.active:
            member.active = False
            changes.note("member", "deactivated")
    session.flush()
    return existing


def _tracked_names(spec: TeamSpec) -> tuple[set[str], dict[str, int]]:
    ranked = sorted(spec.customers, key=lambda c: (-c.revenue, name_key(c.name)))
    ranks = {c.name: index + 1 for index, c in enumerate(ranked)}
    return {c.name for c in ranked[: spec.top_n]}, ranks


def _sync_sources(customer: Customer, spec: CustomerSpec, session: Session, changes: RosterChanges) -> None:
    existing = {(s.kind, s.target): s for s in session.scalars(select(Source).where(Source.customer_id == customer.id))}
    listed = set()
    for source_spec in spec.sources:
        key = (source_spec.kind, source_spec.target)
        listed.add(key)
        source = existing.get(key)
        if source is None:
            session.add(Source(customer_id=customer.id, kind=source_spec.kind, target=source_spec.target, url=source_spec.url, enabled=True, in_roster=True))
            changes.note("source", "added")
        elif not source.in_roster:
            # listing a source again is how a source disabled by a 410 is given another chance
            _assign(source, {"in_roster": True, "enabled": True, "error_count": 0, "next_check_at": None})
            changes.note("source", "restored")
        else:
            changes.note("source", "unchanged")
    for key, source in existing.items():
        if key not in listed and source.in_roster:
            source.in_roster = False
            changes.note("source", "removed")


def _sync_customers(team: Team, spec: TeamSpec, members: dict[str, Member], session: Session, changes: RosterChanges) -> None:
    existing = {c.name_key: c for c in session.scalars(select(Customer).where(Customer.team_id == team.id))}
    tracked, ranks = _tracked_names(spec)
    listed = set()
    for customer_spec in spec.customers:
        key = name_key(customer_spec.name)
        listed.add(key)
        owner = members.get(customer_spec.owner) if customer_spec.owner else None
        values = {
            "name": customer_spec.name,
            "company": customer_spec.company,
            "owner_id": owner.id if owner else None,
            "revenue": customer_spec.revenue,
            "revenue_rank": ranks[customer_spec.name],
            "tracked": customer_spec.name in tracked,
            "emails": list(customer_spec.emails),
            "slack_users": list(customer_spec.slack_users),
            "cadence_days": customer_spec.cadence_days,
            "in_roster": True,
        }
        customer = existing.get(key)
        if customer is None:
            customer = Customer(team_id=team.id, name_key=key, **values)
            session.add(customer)
            session.flush()
            changes.note("customer", "added")
        else:
            changes.note("customer", "updated" if _assign(customer, values) else "unchanged")
        if customer_spec.name not in tracked:
            changes.untracked.append(f"{customer_spec.name} ({team.name})")
        _sync_sources(customer, customer_spec, session, changes)
    for key, customer in existing.items():
        if key not in listed:
            _retire_customer(customer, changes)


def _retire_customer(customer: Customer, changes: RosterChanges) -> None:
    """Stop tracking and polling a customer the roster no longer lists; keep all its history."""
    if not (customer.in_roster or customer.tracked):
        return
    _assign(customer, {"in_roster": False, "tracked": False, "revenue_rank": None})
    for source in customer.sources:
        source.in_roster = False
    changes.note("customer", "removed")


def _retire_team(team: Team, session: Session, changes: RosterChanges) -> None:
    """A team gone from the file: no more digests, its customers stop being tracked and its members
    lose access (and their DMs)."""
    if team.in_roster:
        team.in_roster = False
        changes.note("team", "removed")
    for customer in session.scalars(select(Customer).where(Customer.team_id == team.id)):
        _retire_customer(customer, changes)
    for member in session.scalars(select(Member).where(Member.team_id == team.id, Member.active.is_(True))):
        member.active = False
        changes.note("member", "deactivated")


def apply_roster(roster: Roster, *, session: Session) -> RosterChanges:
    """Upsert every team, member, customer and source of ``roster``; report what changed.

    Teams, customers and sources the file no longer lists are retired, never deleted."""
    changes = RosterChanges()
    listed_teams = set()
    for team_spec in roster.teams:
        team = _upsert_team(team_spec, session, changes)
        listed_teams.add(team.id)
        members = _sync_members(team, team_spec, session, changes)
        _sync_customers(team, team_spec, members, session, changes)
    for team in session.scalars(select(Team).where(Team.id.not_in(listed_teams) if listed_teams else Team.id.is_not(None))):
        _retire_team(team, session, changes)
    session.flush()
    return changes
