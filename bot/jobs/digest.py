"""Daily digest job: per team, what changed since the last digest, sent once per team-local day.

Order of work, so that neither a restart nor a second scheduler can send a digest twice:
bring the scores up to date (so every stage change since the last digest is stored, however the
touches were logged), build the content, claim the day (a ``sending`` DigestRun row, committed),
send, then record the outcome. Whoever fails to claim stays quiet. ``force`` sends again;
``dry_run`` records no digest run.

Exactly once, not just at most once: the message carries Slack message metadata naming the run. A
claim still ``sending`` after ``STALE_CLAIM_AFTER`` was left by a process that died between the
claim and the send (or before recording it). The next run for that day, or the sweep the
scheduler runs every poll cycle (:func:`recover_stale_digests_job`), reads the channel back from
the claim time (minus ``CLAIM_LOOKBACK_MARGIN``) and takes the claim over: if the message is there
it is recorded as sent, otherwise the digest is sent now. A channel that cannot be read leaves the
claim for the next try.

Each team's digest goes out with the token of its workspace (``WorkspaceClients``: the team's
``workspace`` installation with "Add to Slack", SLACK_BOT_TOKEN otherwise). A workspace that
uninstalled the app gets no digest: the team is ``skipped`` with a log line naming the workspace,
and its day is not claimed, so a reinstall the same day still gets it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session

from bot.jobs.score import relationship_statuses, score_job
from bot.jobs.suggest import OPEN_SUGGESTION_MAX_AGE
from bot.report import hourglass_of, hourglass_title, render_hourglass_png
from bot.rules.new_contacts import NEW_CONTACT_WINDOW
from bot.rules.digest import NOTABLE_POST_MAX_AGE, Digest, DigestSuggestion, NewContactItem, OpenSuggestion, compose_digest
from bot.rules.gestures import PostFact
from bot.rules.hourglass import StageCount
from bot.runtime import Runtime
from bot.slack.blocks import digest_blocks, digest_text
from bot.slack.client import (
    CLAIM_LOOKBACK_MARGIN,
    DIGEST_EVENT,
    STALE_CLAIM_AFTER,
    MessageLookupError,
    find_marked_message,
    message_metadata,
)
from bot.slack.installations import WorkspaceClients, not_installed_notice
from bot.timeutil import local_date as local_date_at
from bot.timeutil import local_moment
from config.roster import parse_digest_time
from config.scoring import ScoringParams
from models.entities import Post, Suggestion, Team
from models.store.digest_runs import (
    claim_digest_run,
    finish_digest_run,
    last_sent_digest,
    stale_digest_runs,
    take_over_digest_run,
)
from models.store.meeting_prep import mark_new_contacts_reported, unreported_new_contacts
from models.store.posts import posts_fetched_between
from models.store.snapshots import stage_changes_between
from models.store.suggestions import actionable_suggestions
from models.store.teams import all_teams, member_names, team_by_id, team_by_name
from models.timeline import utcnow

log = logging.getLogger(__name__)

FIRST_DIGEST_LOOKBACK = timedelta(days=7)  # a team's first digest catches up on the past week
CHART_WEEKDAY = 0  # Monday: the digest carries the hourglass picture
DIGEST_TRACKS = ("tie", "hourglass", "risk")  # the stage changes a digest reports


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
    """Bring the scores up to date, build each team's digest (or only ``team``'s) and send it to
    the team channel exactly once per team-local day (see the module docstring for a crash
    mid-send); Monday digests attach the hourglass chart.

    ``local_date`` is the team-local date the digest is for (the scheduler derives it from the
    scheduled fire time; ``strongtie digest --as-of DATE`` passes the bare date). Without it the
    date is the team-local date at ``as_of``. ``as_of`` is the moment the digest covers up to;
    without it, a digest for a given ``local_date`` is as of that date's ``digest_time`` in the
    team's zone (what the scheduled digest of that day covers, so a late run says the same), and
    otherwise as of now.
    """
    if not dry_run and client is None:
        runtime.settings.require_slack_tokens()
    clients = WorkspaceClients(runtime, client=client)
    with runtime.session() as session:
        teams = [team_by_name(team, session=session)] if team else all_teams(session=session)
    now = utcnow()
    if teams:
        _bring_scores_up_to_date(runtime, now)
    outcomes = []
    for each in teams:
        moment, day = digest_moment(each, as_of=as_of, local_date=local_date, now=now)
        digest, covered_from = _team_digest(runtime, each, as_of=moment, local_date=day)
        if dry_run:
            outcomes.append(DigestOutcome(each.name, day, "dry_run", digest_text(digest)))
        elif (team_client := clients.for_workspace(each.workspace)) is None:
            reason = not_installed_notice(each.workspace)
            log.warning("digest for %s not sent: %s", each.name, reason)
            outcomes.append(DigestOutcome(each.name, day, "skipped", digest_text(digest), detail=reason))
        else:
            outcomes.append(_send_digest(runtime, team_client, each, digest, covered_from=covered_from, force=force))
    return outcomes


def recover_stale_digests_job(runtime: Runtime, *, client: WebClient | None = None) -> list[DigestOutcome]:
    """Finish every digest a crash left ``sending`` past ``STALE_CLAIM_AFTER``: each is looked for
    in its channel and recorded if found, sent if not (see the module docstring). The scheduler
    runs this every poll cycle, so a day's digest is not lost when its one scheduled run died."""
    with runtime.session() as session:
        stale = [(run.team_id, run.local_date, run.covered_to)
                 for run in stale_digest_runs(session=session, stale_before=utcnow() - STALE_CLAIM_AFTER)]
        names = {team_id: found.name for team_id in {t for t, _, _ in stale}
                 if (found := team_by_id(team_id, session=session)) is not None}
    outcomes: list[DigestOutcome] = []
    for team_id, day, covered_to in stale:
        if team_id in names:
            outcomes += digest_job(runtime, team=names[team_id], local_date=day, as_of=covered_to, client=client)
    return outcomes


def _bring_scores_up_to_date(runtime: Runtime, now: datetime) -> None:
    """Score every relationship as of ``now``, so the stage changes since the last digest are stored
    whichever way the touches were logged (a CLI-logged promotion, a CSV import). A scoring failure
    is logged and the digest still goes out, with the changes stored so far."""
    try:
        score_job(runtime, as_of=now)
    except Exception:
        log.exception("could not bring the scores up to date before the digest")


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
    return moment, local_date_at(moment, team.timezone)


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
    """Claim the team's local day (or take over a stale claim), post the digest, and record how it
    went (see the module docstring)."""
    as_of, local_date = digest.covered_to, digest.local_date
    terminal = digest_text(digest)
    now = utcnow()
    with runtime.session() as session:
        run = claim_digest_run(team.id, local_date, session=session, covered_from=covered_from, covered_to=as_of, force=force,
                               now=now)
        run_id = run.id if run is not None else None
        stale = stale_digest_runs(session=session, stale_before=now - STALE_CLAIM_AFTER, team_id=team.id,
                                  local_date=local_date) if run is None else []
        stale_claim = (stale[0].id, stale[0].started_at) if stale else None
    if stale_claim is not None:
        run_id, claimed_at = stale_claim
        try:
            found_ts = find_marked_message(client, channel=team.slack_channel, event_type=DIGEST_EVENT, key="run_id",
                                           value=run_id, oldest=claimed_at - CLAIM_LOOKBACK_MARGIN)
        except (MessageLookupError, SlackClientError, OSError) as exc:
            error = f"an interrupted send could not be checked, so it was not repeated: {_describe(exc)}"
            log.warning("digest for %s not sent: %s", team.name, error)
            return DigestOutcome(team.name, local_date, "failed", terminal, detail=error)
        span = {} if found_ts else {"covered_from": covered_from, "covered_to": as_of}
        with runtime.session() as session:
            won = take_over_digest_run(run_id, session=session, claimed_at=claimed_at, now=utcnow(), **span)
        if not won:
            run_id = None
        elif found_ts:
            with runtime.session() as session:
                finish_digest_run(run_id, session=session, status="sent", text=terminal, slack_ts=found_ts, now=utcnow())
            log.info("digest for %s %s: found in the channel after an interrupted send; not sent again", team.name, local_date)
            return DigestOutcome(team.name, local_date, "skipped", terminal, slack_ts=found_ts,
                                 detail="already sent (found in the channel after an interrupted send)")
    if run_id is None:
        return DigestOutcome(team.name, local_date, "skipped", terminal, detail="already sent (or being sent) for this local day")

    text, blocks = digest_blocks(digest)
    try:
        response = client.chat_postMessage(channel=team.slack_channel, text=text, blocks=blocks,
                                          unfurl_links=False, unfurl_media=False,
                                          metadata=message_metadata(DIGEST_EVENT, "run_id", run_id))
    except (SlackApiError, SlackClientError, OSError) as exc:
        error = _describe(exc)
        with runtime.session() as session:
            finish_digest_run(run_id, session=session, status="failed", text=terminal, error=error, now=utcnow())
        log.warning("digest for %s not sent: %s", team.name, error)
        return DigestOutcome(team.name, local_date, "failed", terminal, detail=error)

    slack_ts = response.get("ts")
    chart_attached, chart_error = False, None
    if local_date.weekday() == CHART_WEEKDAY:
        chart_attached, chart_error = _attach_chart(client, team, local_date, digest.hourglass, slack_ts)
    with runtime.session() as session:
        finish_digest_run(run_id, session=session, status="sent", text=terminal, slack_ts=slack_ts, error=chart_error,
                          now=utcnow())
        mark_new_contacts_reported([c.contact_id for c in digest.new_contacts if c.contact_id], session=session, now=utcnow())
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

    Reads the facts from the store (a fresh assessment at ``as_of``, the stage changes the scorer
    stored, the posts first seen in the span, the actionable suggestions, the hourglass figures) and
    leaves the choosing to :func:`bot.rules.digest.compose_digest`."""
    statuses = relationship_statuses(session=session, as_of=as_of, params=params, team_id=team.id)
    ids = [s.customer_id for s in statuses]
    changes = stage_changes_between(ids, session=session, tracks=DIGEST_TRACKS, since=covered_from, until=as_of)
    posts = posts_fetched_between(ids, session=session, since=covered_from, until=as_of,
                                  published_after=as_of - NOTABLE_POST_MAX_AGE)
    suggestions = actionable_suggestions(session=session, as_of=as_of, max_age=OPEN_SUGGESTION_MAX_AGE, team_id=team.id)
    return compose_digest(
        team=team.name,
        timezone=team.timezone,
        local_date=local_date or local_date_at(as_of, team.timezone),
        covered_from=covered_from,
        as_of=as_of,
        statuses=statuses,
        changes=changes,
        posts=[_post_fact(post) for post in posts],
        suggestions=[_open_suggestion(row) for row in suggestions],
        owner_names=member_names(team.id, session=session),
        hourglass=hourglass_of(statuses, session=session, as_of=as_of),
        new_contacts=[NewContactItem(c.company, c.address, c.first_seen_at, c.id)
                      for c in unreported_new_contacts(team.id, session=session, until=as_of, since=as_of - NEW_CONTACT_WINDOW)],
    )


def _post_fact(post: Post) -> PostFact:
    return PostFact(post_id=post.id, customer_id=post.customer_id, url=post.url, title=post.title or "",
                    text=post.text or "", published_at=post.published_at or post.fetched_at)


def _open_suggestion(row: Suggestion) -> OpenSuggestion:
    return OpenSuggestion(row.owner_user, DigestSuggestion(row.kind, row.customer.name, row.text, row.post_url, row.priority))
