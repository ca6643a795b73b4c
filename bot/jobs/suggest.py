"""Suggestion job: gather the facts, run the pure rules, store what they propose.

Storing is idempotent: each proposal's ``dedupe_key`` is unique, and the rules never propose a key
they have seen (whatever became of it), so a re-run, a restart or a concurrent run adds nothing,
and a dismissed suggestion never comes back.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.jobs.meeting_prep import meeting_prep_proposals
from bot.jobs.reminders import follow_up_proposals, mark_cadence_due
from bot.jobs.score import relationship_statuses
from bot.rules.gestures import (
    PastSuggestion,
    PostFact,
    Proposed,
    PurchaseFact,
    SuggestionFacts,
    SuggestionPolicy,
    rank_key,
    suggestion_record,
)
from bot.rules.hourglass import stage_stays
from bot.rules.status import RelationshipStatus
from bot.rules.suggestions import suggest
from bot.runtime import Runtime
from bot.timeutil import end_of_local_day
from config.scoring import ScoringParams
from models.entities import Customer, Interaction, Team
from models.store.interactions import share_counts
from models.store.posts import posts_between
from models.store.snapshots import stage_history
from models.store.suggestions import (
    NewSuggestion,
    actionable_suggestions,
    add_suggestion,
    suggestions_for,
)
from models.store.teams import all_teams, member_names
from models.timeline import utcnow

# An open suggestion older than this is stale news and no longer listed.
OPEN_SUGGESTION_MAX_AGE = timedelta(days=7)


def suggest_job(runtime: Runtime, *, as_of: datetime | None = None, policy: SuggestionPolicy | None = None) -> list[Proposed]:
    """Propose and store today's new suggestions for every team; returns those newly stored.

    ``policy`` sets the daily cap per manager and the cool-down; by default they come from the
    settings (STRONGTIE_SUGGEST_DAILY_CAP, default 5; STRONGTIE_SUGGEST_COOLDOWN_DAYS, default 3).
    """
    as_of = as_of or utcnow()
    policy = policy or _policy(runtime)
    with runtime.session() as session:
        proposals = propose(session=session, as_of=as_of, policy=policy, params=runtime.scoring)
        return store_proposals(proposals, session=session, as_of=as_of)


def preview_suggestions(
    runtime: Runtime, *, as_of: date | datetime, policy: SuggestionPolicy | None = None
) -> list[Proposed]:
    """What the rules would propose at ``as_of``, best first, storing nothing.

    A preview for another moment must not store: a back-dated or future suggestion would be
    delivered now and would use up its dedupe key. A :class:`datetime` is one instant for every
    team; a bare :class:`date` is read per team as the end of that team-local day, so Friday means
    the team's own Friday wherever the team is.
    """
    policy = policy or _policy(runtime)
    with runtime.session() as session:
        if isinstance(as_of, datetime):
            return propose(session=session, as_of=as_of, policy=policy, params=runtime.scoring)
        found: list[Proposed] = []
        for team in all_teams(session=session):
            moment = end_of_local_day(as_of, team.timezone)
            found.extend(propose(session=session, as_of=moment, policy=policy, params=runtime.scoring, team_id=team.id))
    return sorted(found, key=rank_key)


def propose(
    *, session: Session, as_of: datetime, policy: SuggestionPolicy, params: ScoringParams, team_id: int | None = None
) -> list[Proposed]:
    """The new suggestions the rules make at ``as_of`` for every team (or one), read-only: the
    rules' gestures (a relationship past its keep-in-touch cadence counts as one whose rhythm
    broke) plus the reminders due today (:mod:`bot.jobs.reminders`)."""
    statuses = relationship_statuses(session=session, as_of=as_of, params=params, team_id=team_id)
    statuses = mark_cadence_due(statuses, session=session, as_of=as_of, params=params)
    gestures = suggest(suggestion_facts(session=session, statuses=statuses, as_of=as_of, policy=policy), as_of)
    preps = meeting_prep_proposals(session=session, statuses=statuses, as_of=as_of)
    return sorted(gestures + follow_up_proposals(session=session, as_of=as_of, team_id=team_id) + preps, key=rank_key)


def _policy(runtime: Runtime) -> SuggestionPolicy:
    return SuggestionPolicy(daily_cap=runtime.settings.suggest_daily_cap,
                            cooldown_days=runtime.settings.suggest_cooldown_days,
                            templates=dict(runtime.settings.suggest_templates))


def store_proposals(proposals: list[Proposed], *, session: Session, as_of: datetime) -> list[Proposed]:
    """Store proposals as open suggestions; returns the ones that were new."""
    stored = []
    for proposal in proposals:
        new = NewSuggestion(
            customer_id=proposal.customer_id, owner_user=proposal.owner, kind=proposal.kind, text=proposal.text,
            post_id=proposal.post_id, post_url=proposal.post_url, reason=proposal.reason,
            priority=proposal.priority, dedupe_key=proposal.dedupe_key, suggested_at=as_of,
        )
        if add_suggestion(new, session=session) is not None:
            stored.append(proposal)
    return stored


def suggestion_facts(
    *, session: Session, statuses: list[RelationshipStatus], as_of: datetime, policy: SuggestionPolicy
) -> SuggestionFacts:
    """Read from the store everything the rules need about these relationships at ``as_of``."""
    ids = [s.customer_id for s in statuses]
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.id.in_({s.team_id for s in statuses})))}
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))} if ids else {}

    posts = [
        PostFact(post_id=p.id, customer_id=p.customer_id, url=p.url, title=p.title or "", text=p.text or "",
                 published_at=p.published_at or p.fetched_at)
        for p in posts_between(ids, session=session, until=as_of,
                               since=as_of - timedelta(days=max(policy.post_window_days, policy.check_in_lookback_days)))
    ]
    past = [
        PastSuggestion(customer_id=s.customer_id, owner=s.owner_user, dedupe_key=s.dedupe_key, status=s.status,
                       suggested_at=s.suggested_at, acted_at=s.acted_at, snoozed_until=s.snoozed_until)
        for s in suggestions_for(ids, session=session)
    ]
    return SuggestionFacts(
        statuses=statuses,
        posts=posts,
        shared_this_week=_shares_this_week(session, statuses, teams, as_of),
        past=past,
        customer_snoozed_until={cid: c.snoozed_until for cid, c in customers.items() if c.snoozed_until},
        hourglass_since=_hourglass_since(session, statuses, as_of),
        team_timezones={tid: t.timezone for tid, t in teams.items()},
        companies={cid: c.company for cid, c in customers.items()},
        purchases=_latest_purchases(session, ids, as_of),
        policy=policy,
    )


def _latest_purchases(session: Session, ids: list[int], as_of: datetime) -> dict[int, PurchaseFact]:
    """Each customer's latest purchase up to ``as_of`` (what, from its note, and when), so a results
    review or a referral ask can name what they bought."""
    if not ids:
        return {}
    rows = session.scalars(select(Interaction).where(Interaction.customer_id.in_(ids), Interaction.kind == "purchase",
                                                     Interaction.occurred_at <= as_of)
                           .order_by(Interaction.occurred_at, Interaction.id))
    return {row.customer_id: PurchaseFact(row.customer_id, " ".join((row.note or "").split())[:60], row.occurred_at)
            for row in rows}


def _shares_this_week(session: Session, statuses: list[RelationshipStatus], teams: dict[int, Team], as_of: datetime) -> dict[int, int]:
    """Share interactions per customer since the start of the team-local week (Monday 00:00)."""
    by_team: dict[int, list[int]] = defaultdict(list)
    for status in statuses:
        by_team[status.team_id].append(status.customer_id)
    counts: dict[int, int] = {}
    for team_id, ids in by_team.items():
        zone = ZoneInfo(teams[team_id].timezone) if team_id in teams else ZoneInfo("UTC")
        local = as_of.astimezone(zone)
        week_start = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        counts.update(share_counts(ids, session=session, since=week_start, until=as_of))
    return counts


def _hourglass_since(session: Session, statuses: list[RelationshipStatus], as_of: datetime) -> dict[int, datetime]:
    """When each relationship entered the hourglass stage it is in now: the start of its ongoing
    stay in the stored stage changes, when that stay is in its current stage (none otherwise)."""
    current = {s.customer_id: s.hourglass for s in statuses}
    history = stage_history(list(current), session=session, tracks=("hourglass",), until=as_of)
    return {stay.customer_id: stay.entered_at for stay in stage_stays(history, as_of)
            if stay.left_at is None and stay.stage == current[stay.customer_id]}


def open_suggestions(*, session: Session, as_of: datetime, team_id: int | None = None) -> list[dict[str, Any]]:
    """The ``strongtie suggest --json`` records: suggestions a manager can act on now, in board
    order (:func:`board_ordered`)."""
    rows = actionable_suggestions(session=session, as_of=as_of, max_age=OPEN_SUGGESTION_MAX_AGE, team_id=team_id)
    return board_ordered(session, [
        (row.customer_id, suggestion_record(kind=row.kind, customer=row.customer.name, owner=row.owner_user,
                                            text=row.text, post_url=row.post_url, reason=row.reason,
                                            priority=row.priority))
        for row in rows
    ])


def preview_records(runtime: Runtime, *, as_of: date | datetime) -> list[dict[str, Any]]:
    """The records of :func:`preview_suggestions`, in board order (:func:`board_ordered`)."""
    proposals = preview_suggestions(runtime, as_of=as_of)
    with runtime.session() as session:
        return board_ordered(session, [(p.customer_id, p.as_json()) for p in proposals])


def board_ordered(session: Session, records: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Suggestion records (each with its customer's id) as every board orders relationships: by
    team, heavy users first (best revenue rank), then the best suggestion first; each record gains
    ``owner_name``, the owner as the roster names them (None when it does not)."""
    ids = {customer_id for customer_id, _ in records}
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    names: dict[str, str] = {}
    for team_id in {c.team_id for c in customers.values()}:
        names.update(member_names(team_id, session=session))
    teams = {t.id: t.name for t in all_teams(session=session)}

    def key(item: tuple[int, dict[str, Any]]) -> tuple[str, bool, int, float]:
        customer = customers.get(item[0])
        rank = customer.revenue_rank if customer else None
        team = teams.get(customer.team_id, "") if customer else ""
        return (team.casefold(), rank is None, rank or 0, -item[1]["priority"])

    ordered = []
    for _, record in sorted(records, key=key):
        record["owner_name"] = names.get(record["owner"] or "")
        ordered.append(record)
    return ordered
