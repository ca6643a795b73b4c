"""What the scheduler should hold: a poll cycle on the poll interval, a roster re-sync, and each
team's digest at its local digest time, as :class:`JobSpec` values with ids stable across restarts
(:func:`desired_jobs`). :mod:`bot.scheduler` reconciles APScheduler's stored jobs with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime import Runtime
from config.roster import parse_digest_time
from models.entities import Team
from models.store.teams import all_teams

POLL_CYCLE_JOB_ID = "poll-cycle"
ROSTER_SYNC_JOB_ID = "roster-sync"
DIGEST_JOB_PREFIX = "digest:team:"
ROSTER_SYNC_MINUTES = 10
# A digest due during downtime is still worth sending if the bot is back within the working morning.
DIGEST_GRACE = timedelta(hours=6)


@dataclass(frozen=True)
class JobSpec:
    """One job the scheduler should hold: its stable id, the ``module:function`` it runs, when, and
    how late a missed run may still happen."""

    id: str
    func: str
    trigger: BaseTrigger
    misfire_grace: timedelta
    args: tuple[Any, ...] = ()
    name: str = ""


def trigger_signature(trigger: BaseTrigger) -> tuple[str, str, str]:
    """What makes two triggers fire at the same moments (``str()`` leaves out the time zone)."""
    return type(trigger).__name__, str(trigger), str(getattr(trigger, "timezone", ""))


def digest_trigger(team: Team) -> CronTrigger:
    """Every day at the team's ``digest_time`` in the team's own zone (DST-safe: the wall-clock time
    holds across a change, it is not a fixed UTC offset)."""
    at = parse_digest_time(team.digest_time)
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=ZoneInfo(team.timezone))


def scheduled_digest_date(now: datetime, *, zone: str, digest_time: str) -> date:
    """The team-local date of the latest scheduled digest run at or before ``now``: today once the
    local clock has reached the digest time, yesterday before it."""
    local = now.astimezone(ZoneInfo(zone))
    today = local.date()
    return today if local.time() >= parse_digest_time(digest_time) else today - timedelta(days=1)


def desired_jobs(runtime: Runtime) -> list[JobSpec]:
    """Every job the roster and settings call for, with ids stable across restarts."""
    interval = timedelta(minutes=runtime.settings.poll_interval_minutes)
    specs = [
        JobSpec(POLL_CYCLE_JOB_ID, "bot.scheduler:run_poll_cycle", IntervalTrigger(minutes=runtime.settings.poll_interval_minutes),
                misfire_grace=interval, name="poll, score, suggest, deliver"),
        JobSpec(ROSTER_SYNC_JOB_ID, "bot.scheduler:resync_team_jobs", IntervalTrigger(minutes=ROSTER_SYNC_MINUTES),
                misfire_grace=timedelta(minutes=ROSTER_SYNC_MINUTES), name="pick up roster changes"),
    ]
    with runtime.session() as session:
        for team in all_teams(session=session):
            specs.append(JobSpec(f"{DIGEST_JOB_PREFIX}{team.id}", "bot.scheduler:run_digest", digest_trigger(team),
                                 misfire_grace=DIGEST_GRACE, args=(team.id,), name=f"digest for {team.name}"))
    return specs
