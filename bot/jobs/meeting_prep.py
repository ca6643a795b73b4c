"""The jobs' side of meeting prep and new contacts: what a capture sync stores of them, and the
facts the meeting-prep rule (:mod:`bot.rules.meeting_prep`) reads for the suggestion job."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.rules.gestures import PostFact, Proposed
from bot.rules.meeting_prep import PREP_AHEAD, PrepFacts, TouchFact, UpcomingFact, meeting_prep
from bot.rules.new_contacts import company_domains, new_contacts
from bot.rules.status import RelationshipStatus
from models.entities import Interaction, Team
from models.store.meeting_prep import account_addresses, record_new_contacts, upcoming_between
from models.store.posts import posts_between
from models.store.suggestions import suggestions_for

#: The latest post a prep names may be this old.
POST_LOOKBACK = timedelta(days=45)


def note_new_contacts(team_id: int, seen: Iterable[tuple[str, datetime]], *, session: Session) -> int:
    """Store the unlisted addresses in ``seen`` that are at a tracked customer's company (never a
    webmail domain) as the team's new contacts; returns how many were new."""
    seen = list(seen)
    if not seen:
        return 0
    listed, known = account_addresses(team_id, session=session)
    return record_new_contacts(team_id, new_contacts(seen, domains=company_domains(listed), known=known), session=session)


def meeting_prep_proposals(*, session: Session, statuses: list[RelationshipStatus], as_of: datetime) -> list[Proposed]:
    """The meeting-prep suggestions due at ``as_of`` for these relationships (read-only)."""
    ids = [s.customer_id for s in statuses]
    meetings = [UpcomingFact(m.customer_id, m.uid, m.occurrence, m.starts_at)
                for m in upcoming_between(ids, session=session, since=as_of, until=as_of + PREP_AHEAD)]
    if not meetings:
        return []
    ids = sorted({m.customer_id for m in meetings})
    posts = [PostFact(post_id=p.id, customer_id=p.customer_id, url=p.url, title=p.title or "", text=p.text or "",
                      published_at=p.published_at or p.fetched_at)
             for p in posts_between(ids, session=session, since=as_of - POST_LOOKBACK, until=as_of)]
    touches: dict[int, TouchFact] = {}
    rows = session.scalars(select(Interaction).where(Interaction.customer_id.in_(ids), Interaction.occurred_at <= as_of)
                           .order_by(Interaction.occurred_at, Interaction.id))
    for row in rows:
        touches[row.customer_id] = TouchFact(row.kind, row.occurred_at)
    past = suggestions_for(ids, session=session)
    open_counts: dict[int, int] = {}
    for suggestion in past:
        if suggestion.status == "open":
            open_counts[suggestion.customer_id] = open_counts.get(suggestion.customer_id, 0) + 1
    teams = session.scalars(select(Team).where(Team.id.in_({s.team_id for s in statuses})))
    facts = PrepFacts(statuses=statuses, meetings=meetings, posts=posts, last_touches=touches, open_counts=open_counts,
                      seen_keys=frozenset(s.dedupe_key for s in past), zones={t.id: _zone(t.timezone) for t in teams})
    return meeting_prep(facts, as_of)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc
