"""Daily digest job: per team, what changed since the last digest, sent once per team-local day.

Order of work, so that neither a restart nor a second scheduler can send a digest twice:
build the content, claim the day (a ``sending`` DigestRun row, committed), send, then record the
outcome. Whoever fails to claim stays quiet. ``force`` sends again; ``dry_run`` records nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.jobs.score import relationship_statuses
from bot.jobs.suggest import OPEN_SUGGESTION_MAX_AGE
from bot.report import hourglass_title, render_hourglass_png
from bot.rules.digest import (
    Digest,
    DigestSuggestion,
    NotablePost,
    RiskItem,
    StageMove,
)
from bot.rules.hourglass import StageCount, hourglass_counts, stall_stage
from bot.rules.milestones import find_milestones
from bot.rules.status import RelationshipStatus
from bot.runtime import Runtime
from bot.slack.blocks import digest_blocks, digest_text
from bot.slack.client import make_web_client
from bot.timeutil import local_moment, now_utc
from config.roster import parse_digest_time
from config.scoring import ScoringParams
from config.vocabulary import STAGE_ORDERS
from models.entities import Member, Team
from models.store.digest_runs import claim_digest_run, finish_digest_run, last_sent_digest
from models.store.posts import posts_fetched_between
from models.store.snapshots import stage_changes_between, stage_history
from models.store.suggestions import actionable_suggestions
from models.store.teams import team_by_name

log = logging.getLogger(__name__)

NOTABLE_POSTS = 5
SUGGESTIONS_PER_OWNER = 3
FIRST_DIGEST_LOOKBACK = timedelta(days=7)  # a team's first digest catches up on the past week
NOTABLE_POST_MAX_AGE = timedelta(days=7)  # a post published longer ago is no longer news
CHART_WEEKDAY = 0  # Monday: the digest carries the hourglass picture
# to_stage values of the scorer's ``risk`` track that mean the relationship is now at risk.
AT_RISK_STAGES = frozenset({"at_risk"})


@dataclass(frozen=True)
class DigestOutcome:
    """What happened to one team's digest: ``sent``, ``skipped`` (already sent or being sent),
    ``dry_run`` (printed only) or ``failed`` (Slack refused; the day may be retried)."""

    team: str
    local_date: date
    status: str
    text: str  # the digest laid out for a terminal
    detail: str = ""
    slack_ts: str | None = None
    chart_attached: bool = False


def digest_job(
    runtime: Runtime,
    *,
    team: str | None = None,
    as_of: datetime | None = None,
    local_date: date | None = None,
    dry_run: bool = False,
    force: bool = False,
    client: WebClient | None = None,
) -> list[DigestOutcome]:
    """Build each team's digest (or only ``team``'s) and send it to the team channel at most once
    per team-local day; Monday digests attach the hourglass chart.

    ``local_date`` is the team-local date the digest is for (the scheduler derives it from the
    scheduled fire time; ``strongtie digest --as-of DATE`` passes the bare date). Without it the
    date is the team-local date at ``as_of``. ``as_of`` is the moment the digest covers up to;
    without it, a digest for a given ``local_date`` is as of that date's ``digest_time`` in the
    team's zone (what the scheduled digest of that day covers, so a late run says the same), and
    otherwise as of now.
    """
    if not dry_run and client is None:
        runtime.settings.require("slack_bot_token")
        client = make_web_client(runtime.settings)
    with runtime.session() as session:
        teams = [team_by_name(team, session=session)] if team else list(session.scalars(select(Team).order_by(Team.id)))
    now = now_utc()
    outcomes = []
    for each in teams:
        moment, day = digest_moment(each, as_of=as_of, local_date=local_date, now=now)
        digest, covered_from = _team_digest(runtime, each, as_of=moment, local_date=day)
        if dry_run:
            outcomes.append(DigestOutcome(each.name, day, "dry_run", digest_text(digest)))
        else:
            outcomes.append(_send_digest(runtime, client, each, digest, covered_from=covered_from, force=force))
    return outcomes


def digest_moment(team: Team, *, as_of: datetime | None, local_date: date | None, now: datetime) -> tuple[datetime, date]:
    """The instant a team's digest covers up to and the team-local date it is for.

    A given ``local_date`` wins for the date; a given ``as_of`` wins for the instant. A date alone
    is read at the team's ``digest_time`` that day in its zone; an instant alone (or neither: ``now``)
    gives the team-local date at that instant.
    """
    if local_date is not None:
        moment = as_of or local_moment(local_date, parse_digest_time(team.digest_time), team.timezone)
        return moment, local_date
    moment = as_of or now
    return moment, moment.astimezone(ZoneInfo(team.timezone)).date()


def _team_digest(runtime: Runtime, team: Team, *, as_of: datetime, local_date: date) -> tuple[Digest, datetime]:
    """One team's digest content over what happened since its last digest sent (or the past week),
    and the moment that span starts."""
    with runtime.session() as session:
        previous = last_sent_digest(team.id, session=session, before=local_date)
        covered_from = previous.covered_to if previous and previous.covered_to else as_of - FIRST_DIGEST_LOOKBACK
        digest = build_digest(session=session, team=team, as_of=as_of, covered_from=covered_from,
                              local_date=local_date, params=runtime.scoring)
    return digest, covered_from


def _send_digest(runtime: Runtime, client: WebClient, team: Team, digest: Digest, *, covered_from: datetime,
                 force: bool) -> DigestOutcome:
    """Claim the team's local day, post the digest, and record how it went (see the module docstring)."""
    as_of, local_date = digest.covered_to, digest.local_date
    terminal = digest_text(digest)
    with runtime.session() as session:
        run = claim_digest_run(team.id, local_date, session=session, covered_from=covered_from, covered_to=as_of, force=force)
        run_id = run.id if run is not None else None
    if run_id is None:
        return DigestOutcome(team.name, local_date, "skipped", terminal, detail="already sent (or being sent) for this local day")

    text, blocks = digest_blocks(digest)
    try:
        response = client.chat_postMessage(channel=team.slack_channel, text=text, blocks=blocks,
                                          unfurl_links=False, unfurl_media=False)
    except (SlackApiError, SlackClientError, OSError) as exc:
        error = _describe(exc)
        with runtime.session() as session:
            finish_digest_run(run_id, session=session, status="failed", text=terminal, error=error)
        log.warning("digest for %s not sent: %s", team.name, error)
        return DigestOutcome(team.name, local_date, "failed", terminal, detail=error)

    slack_ts = response.get("ts")
    chart_attached, chart_error = False, None
    if local_date.weekday() == CHART_WEEKDAY:
        chart_attached, chart_error = _attach_chart(client, team, local_date, digest.hourglass, slack_ts)
    with runtime.session() as session:
        finish_digest_run(run_id, session=session, status="sent", text=terminal, slack_ts=slack_ts, error=chart_error)
    return DigestOutcome(team.name, local_date, "sent", terminal, detail=chart_error or "", slack_ts=slack_ts,
                         chart_attached=chart_attached)


def _attach_chart(
    slack: WebClient, team: Team, local_date: date, counts: list[StageCount], thread_ts: str | None
) -> tuple[bool, str | None]:
    """Upload the hourglass PNG into the digest's thread; a failure costs the chart, not the digest."""
    title = hourglass_title(team.name, local_date)
    try:
        slack.files_upload_v2(
            channel=team.slack_channel, content=render_hourglass_png(counts, title=title),
            filename=f"hourglass-{local_date.isoformat()}.png", title=title, thread_ts=thread_ts,
        )
    except (SlackApiError, SlackClientError, OSError) as exc:
        error = f"chart not attached: {_describe(exc)}"
        log.warning("digest for %s: %s", team.name, error)
        return False, error
    return True, None


def _describe(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return f"Slack answered {exc.response.get('error', 'an error')}"
    return f"{type(exc).__name__}: {exc}"


def build_digest(
    *, session: Session, team: Team, as_of: datetime, covered_from: datetime, params: ScoringParams,
    local_date: date | None = None,
) -> Digest:
    """The digest's content for one team over ``(covered_from, as_of]``, titled with ``local_date``
    (default: the team-local date at ``as_of``).

    Moves and risk flags come from the stage changes the scorer stored; the current stages, owners
    and at-risk flags from a fresh assessment at ``as_of``, so a flag that has since cleared is not
    reported as new."""
    statuses = relationship_statuses(session=session, as_of=as_of, params=params, team_id=team.id)
    by_id = {s.customer_id: s for s in statuses}
    ids = list(by_id)
    owner_names = _owner_names(session, team.id)

    def owner_of(status: RelationshipStatus) -> str | None:
        return status.owner_name or owner_names.get(status.owner or "") or status.owner

    changes = stage_changes_between(ids, session=session, tracks=("tie", "hourglass", "risk"), since=covered_from, until=as_of)
    moves = [
        StageMove(by_id[c.customer_id].customer, owner_of(by_id[c.customer_id]), c.track, c.from_stage, c.to_stage,
                  c.changed_at, c.reason or "")
        for c in changes
        if c.track in STAGE_ORDERS and c.from_stage in STAGE_ORDERS[c.track] and c.to_stage in STAGE_ORDERS[c.track]
        and c.from_stage != c.to_stage
    ]
    risk_since: dict[int, tuple[datetime, str]] = {}
    for change in changes:
        if change.track == "risk" and change.to_stage in AT_RISK_STAGES and by_id[change.customer_id].at_risk:
            risk_since[change.customer_id] = (change.changed_at, change.reason or "")
    newly_at_risk = [
        RiskItem(by_id[cid].customer, owner_of(by_id[cid]), since, reason)
        for cid, (since, reason) in sorted(risk_since.items(), key=lambda item: _heavy_first(by_id[item[0]]))
    ]

    history = stage_history(ids, session=session, tracks=("hourglass",), until=as_of)
    counts = hourglass_counts(history, {s.customer_id: s.hourglass for s in statuses}, as_of)
    return Digest(
        team=team.name,
        local_date=local_date or as_of.astimezone(ZoneInfo(team.timezone)).date(),
        covered_from=covered_from,
        covered_to=as_of,
        moves=moves,
        newly_at_risk=newly_at_risk,
        notable_posts=_notable_posts(session, by_id, covered_from, as_of),
        suggestions_by_owner=_top_suggestions(session, team.id, as_of, owner_names),
        hourglass=counts,
        stall=stall_stage(counts),
        timezone=team.timezone,
    )


def _heavy_first(status: RelationshipStatus) -> tuple[int, str]:
    return (status.revenue_rank or 10**6, status.customer)


def _owner_names(session: Session, team_id: int) -> dict[str, str]:
    return {m.slack_user: m.name for m in session.scalars(select(Member).where(Member.team_id == team_id))}


def _notable_posts(session: Session, by_id: dict[int, RelationshipStatus], since: datetime, until: datetime) -> list[NotablePost]:
    """Posts first fetched in the window (and published within the last week: older ones are not
    news), milestones first, then the heaviest users, then the newest."""
    found = []
    posts = posts_fetched_between(list(by_id), session=session, since=since, until=until,
                                  published_after=until - NOTABLE_POST_MAX_AGE)
    for post in posts:
        milestones = find_milestones(f"{post.title}\n{post.text}")
        status = by_id[post.customer_id]
        title = post.title or " ".join((post.text or "").split())[:80]
        published = post.published_at or post.fetched_at
        found.append((not milestones, _heavy_first(status), -published.timestamp(),
                      NotablePost(status.customer, title, post.url, published, milestones[0].label if milestones else None)))
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found[:NOTABLE_POSTS]]


def _top_suggestions(session: Session, team_id: int, as_of: datetime, owner_names: dict[str, str]) -> list[tuple[str, list[DigestSuggestion]]]:
    by_owner: dict[str, list[DigestSuggestion]] = defaultdict(list)
    for row in actionable_suggestions(session=session, as_of=as_of, max_age=OPEN_SUGGESTION_MAX_AGE, team_id=team_id):
        owner = owner_names.get(row.owner_user or "", row.owner_user or "Unassigned")
        if len(by_owner[owner]) < SUGGESTIONS_PER_OWNER:
            by_owner[owner].append(DigestSuggestion(row.kind, row.customer.name, row.text, row.post_url, row.priority))
    return sorted(by_owner.items(), key=lambda item: (-item[1][0].priority, item[0]))
