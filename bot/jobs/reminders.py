"""What the suggestion job adds for cadences and follow-ups: it reads the store and runs the pure
rules of :mod:`bot.rules.cadence` and :mod:`bot.rules.followups`.

- :func:`cadence_states` / :func:`mark_cadence_due`: relationships past their keep-in-touch
  cadence, flagged for the check-in rule (the stored scores are untouched);
- :func:`follow_up_proposals`: the reminders whose team-local day has come, as ``follow_up``
  suggestions (explicit, so neither the daily cap nor the cool-down holds them back).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.rules.cadence import CadenceState, cadence_reason, cadence_state, with_cadence_due
from bot.rules.followups import FOLLOW_UP_KIND, FollowUpFact, due_follow_ups, reminder_text
from bot.rules.gestures import Proposed, suggestion_record
from bot.rules.status import RelationshipStatus
from bot.timeutil import local_date, local_days
from config.scoring import ScoringParams
from models.entities import Customer, FollowUp, Team
from models.scoring.wording import short_date
from models.store.cadence import cadences, recent_touches
from models.store.followups import follow_ups_until, upcoming_follow_ups
from models.store.suggestions import suggestions_for
from models.store.teams import member_names


def cadence_states(statuses: list[RelationshipStatus], *, session: Session, as_of: datetime,
                   params: ScoringParams) -> dict[int, CadenceState]:
    """Customer id -> its cadence at ``as_of``, for the relationships that have one."""
    ids = [s.customer_id for s in statuses]
    customers = list(session.scalars(select(Customer).where(Customer.id.in_(ids)))) if ids else []
    intervals = cadences(customers)
    touches = recent_touches(intervals, session=session, until=as_of, slack_days=params.reply_window_days)
    return {cid: cadence_state(cid, days, touches.get(cid, []), as_of, params.reply_window_days)
            for cid, days in intervals.items()}


def mark_cadence_due(statuses: list[RelationshipStatus], *, session: Session, as_of: datetime,
                     params: ScoringParams) -> list[RelationshipStatus]:
    """The statuses with every relationship past its cadence flagged for a check-in."""
    states = cadence_states(statuses, session=session, as_of=as_of, params=params)
    zones = _zones(session, {s.team_id for s in statuses})
    team_of = {s.customer_id: s.team_id for s in statuses}
    reasons = {}
    for cid, state in states.items():
        zone = ZoneInfo(zones.get(team_of[cid], "UTC"))
        day = short_date(state.last_two_way.astimezone(zone), as_of.astimezone(zone)) if state.last_two_way else None
        reasons[cid] = cadence_reason(state, day)
    return with_cadence_due(statuses, states, reasons)


def follow_up_proposals(*, session: Session, as_of: datetime, team_id: int | None = None) -> list[Proposed]:
    """The ``follow_up`` suggestions due at ``as_of`` on each team's own calendar."""
    # no zone is more than 14 hours ahead of UTC: every reminder due anywhere today is in this range
    rows = follow_ups_until((as_of + timedelta(hours=14)).date(), session=session, team_id=team_id)
    if not rows:
        return []
    zones = {row.customer.team_id: row.customer.team.timezone for row in rows}
    used = {s.dedupe_key for s in suggestions_for(sorted({r.customer_id for r in rows}), session=session)}
    return due_follow_ups([_fact(row) for row in rows], local_days(as_of, zones), used)


def _fact(row: FollowUp) -> FollowUpFact:
    return FollowUpFact(follow_up_id=row.id, customer_id=row.customer_id, customer=row.customer.name,
                        team_id=row.customer.team_id, member=row.member_user, due_on=row.due_on, what=row.what,
                        created_on=local_date(row.created_at, row.customer.team.timezone))


def _zones(session: Session, team_ids: set[int]) -> dict[int, str]:
    if not team_ids:
        return {}
    return {t.id: t.timezone for t in session.scalars(select(Team).where(Team.id.in_(team_ids)))}


def upcoming_records(*, session: Session, as_of: datetime, team_ids: list[int] | None = None,
                     member: str | None = None) -> list[dict[str, Any]]:
    """Reminders whose day is still to come on their team's calendar, soonest first, as
    ``strongtie suggest --json`` records (``kind: follow_up``, priority 0 until due) with ``due_on``
    and ``owner_name`` (who set it, as the roster names them)."""
    rows = upcoming_follow_ups(session=session, from_day=as_of.date(), team_ids=team_ids, member=member)
    names: dict[str, str] = {}
    for team_id in {row.customer.team_id for row in rows}:
        names.update(member_names(team_id, session=session))
    records = []
    for row in rows:
        if row.due_on <= local_date(as_of, row.customer.team.timezone):
            continue  # due: the suggestion job makes it a suggestion
        record = suggestion_record(kind=FOLLOW_UP_KIND, customer=row.customer.name, owner=row.member_user,
                                   text=reminder_text(row.customer.name, row.what), post_url=None,
                                   reason=f"reminder for {row.due_on.isoformat()}", priority=0.0)
        record.update(due_on=row.due_on.isoformat(), owner_name=names.get(row.member_user))
        records.append(record)
    return records
