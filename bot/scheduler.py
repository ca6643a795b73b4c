"""The one scheduler of a deployment (APScheduler 3): poll -> score -> suggest -> deliver on an
interval, and each team's digest at its local digest time.

Exactly one per deployment: the process that runs it holds the ``scheduler`` lease row (renewed by a
heartbeat, taken over only once expired), and a second process refuses to start. Jobs live in a
persistent store (``apscheduler_jobs``, same database), so after a restart APScheduler still knows
a run that fell due while the process was down and runs it once if it is within the job's grace
period (coalesced: once, however many were missed). Stored jobs are referenced by textual
``module:function`` names with plain arguments (never a secret): the jobs are the functions the CLI
commands run, looked up by name when they fire.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import ref_to_obj

from bot.runtime import Runtime
from config.errors import UserError
from config.roster import parse_digest_time
from models.entities import Team
from models.store.leases import acquire_lease, release_lease
from models.store.teams import all_teams, team_by_id
from models.timeline import utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=90)
HEARTBEAT_SECONDS = 30.0
JOBS_TABLE = "apscheduler_jobs"

POLL_CYCLE_JOB_ID = "poll-cycle"
ROSTER_SYNC_JOB_ID = "roster-sync"
DIGEST_JOB_PREFIX = "digest:team:"
ROSTER_SYNC_MINUTES = 10
# A digest due during downtime is still worth sending if the bot is back within the working morning.
DIGEST_GRACE = timedelta(hours=6)

# The steps of one cycle, in order: the same functions `strongtie poll`, `status`, `suggest` run.
POLL_CYCLE_STEPS = (
    "bot.jobs.poll:poll_job",
    "bot.jobs.score:score_job",
    "bot.jobs.suggest:suggest_job",
    "bot.jobs.deliver:deliver_suggestions_job",
)
DIGEST_STEP = "bot.jobs.digest:digest_job"


class SchedulerAlreadyRunning(UserError):
    """Another live process holds the scheduler lease."""


# --- what a stored job calls ------------------------------------------------------------------------

_active: dict[str, "StrongtieScheduler"] = {}


def active_scheduler() -> "StrongtieScheduler":
    """The scheduler of this process; jobs reach the runtime through it (it cannot be pickled)."""
    try:
        return _active["scheduler"]
    except KeyError:
        raise RuntimeError("no strongtie scheduler is running in this process") from None


def run_poll_cycle() -> None:
    """Poll, then score, suggest and deliver; a failing step is logged and the later ones still run
    (fresh scores and pending deliveries are worth having even when one feed broke the poll)."""
    runtime = active_scheduler().runtime
    first_error: Exception | None = None
    for step in POLL_CYCLE_STEPS:
        try:
            ref_to_obj(step)(runtime)
        except Exception as exc:
            log.exception("scheduled step %s failed", step)
            first_error = first_error or exc
    if first_error is not None:
        raise first_error


def run_digest(team_id: int) -> None:
    """Send one team's daily digest (the digest job itself sends at most one per local day).

    The digest is for the local date of the scheduled run this call stands for, not for the date at
    the moment it happens to run: a 20:00 run that fires late (within the grace period), after local
    midnight, is still the previous day's digest, so it cannot take the next day's slot.
    """
    scheduler = active_scheduler()
    runtime = scheduler.runtime
    with runtime.session() as session:
        team = team_by_id(team_id, session=session)
        found = (team.name, team.timezone, team.digest_time) if team is not None else None
    if found is None:
        log.warning("digest job for team %s skipped: the team no longer exists", team_id)
        return
    name, zone, digest_time = found
    local_date = scheduled_digest_date(scheduler.now(), zone=zone, digest_time=digest_time)
    ref_to_obj(DIGEST_STEP)(runtime, team=name, local_date=local_date)


def resync_team_jobs() -> None:
    """Pick up roster changes (new teams, another digest time or time zone) without a restart."""
    active_scheduler().sync_jobs()


# --- job specifications -----------------------------------------------------------------------------


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


# --- the scheduler ----------------------------------------------------------------------------------


class _StoppableBackgroundScheduler(BackgroundScheduler):
    """APScheduler 3's thread makes one more pass over due jobs after ``shutdown()`` wakes it; with a
    persistent store that pass would record a due run as done although its executor is already shut
    down (the run would be lost). This pass is skipped once stopped."""

    def _process_jobs(self):
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def default_holder() -> str:
    """A lease holder name that tells an operator which process holds it: host, pid, and a random
    suffix so a restarted process with a recycled pid is still someone else."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class StrongtieScheduler:
    """APScheduler's BackgroundScheduler on a persistent job store, guarded by the lease."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        holder: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        lease_ttl: timedelta = LEASE_TTL,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        max_workers: int = 4,
    ) -> None:
        self.runtime = runtime
        self.holder = holder or default_holder()
        self._clock = clock
        self._lease_ttl = lease_ttl
        self._heartbeat_seconds = heartbeat_seconds
        self._stop_heartbeat = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._lease_holder, self._lease_expires = "", clock()
        self._renewed_at: datetime | None = None  # the last successful take or renewal of the lease
        self.scheduler = _StoppableBackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=runtime.engine, tablename=JOBS_TABLE)},
            executors={"default": ThreadPoolExecutor(max_workers=max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=timezone.utc,
        )
        self.scheduler.add_listener(_log_missed, EVENT_JOB_MISSED)

    def now(self) -> datetime:
        """The current time on this scheduler's clock (UTC)."""
        return self._clock()

    # lease -----------------------------------------------------------------------------------------
    def _take_lease(self) -> bool:
        now = self._clock()
        with self.runtime.session() as session:
            state = acquire_lease(LEASE_NAME, self.holder, session=session, now=now, ttl=self._lease_ttl)
        if state.acquired:
            self._renewed_at = now
        else:
            self._lease_holder, self._lease_expires = state.holder, state.expires_at
        return state.acquired

    def _beat(self) -> None:
        """Renew the lease every heartbeat. A failed renewal is retried at the next beat, but only while
        the lease last taken is still valid: past its expiry another process may rightly have taken
        over, so this scheduler stops rather than run beside it."""
        while not self._stop_heartbeat.wait(self._heartbeat_seconds):
            try:
                renewed = self._take_lease()
            except Exception:
                log.exception("could not renew the scheduler lease")
                if self._renewed_at is None or self._clock() > self._renewed_at + self._lease_ttl:
                    log.error("the scheduler lease expired without a renewal; stopping this scheduler")
                    self.scheduler.shutdown(wait=False)
                    return
                continue
            if not renewed:
                log.error("the scheduler lease was taken over by %s; stopping this scheduler", self._lease_holder)
                self.scheduler.shutdown(wait=False)
                return

    # lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Take the lease (or refuse), load the stored jobs, bring them in line with the roster, run."""
        if not self._take_lease():
            raise SchedulerAlreadyRunning(
                f"another strongtie scheduler is running ({self._lease_holder}, lease valid until "
                f"{self._lease_expires:%Y-%m-%d %H:%M:%S} UTC). Run exactly one `strongtie run` per "
                "deployment; if that process is gone, its lease expires within "
                f"{int(self._lease_ttl.total_seconds())} seconds."
            )
        _active["scheduler"] = self
        try:
            self.scheduler.start(paused=True)
            self.sync_jobs()
            self.scheduler.resume()
        except BaseException:
            self.shutdown(wait=False)
            raise
        self._heartbeat = threading.Thread(target=self._beat, name="scheduler-lease", daemon=True)
        self._heartbeat.start()
        log.info("scheduler started as %s with jobs: %s", self.holder, ", ".join(self.job_ids()))

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop running jobs (waiting for running ones with ``wait``) and release the lease."""
        self._stop_heartbeat.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if _active.get("scheduler") is self:
            del _active["scheduler"]
        with self.runtime.session() as session:
            release_lease(LEASE_NAME, self.holder, session=session)

    # jobs -----------------------------------------------------------------------------------------
    def sync_jobs(self) -> list[str]:
        """Add or replace every desired job under its stable id and drop digests of removed teams.

        A job whose trigger is unchanged keeps its stored next run time: that is how a run which
        fell due while the process was down is still run (once, within its grace period).
        """
        specs = desired_jobs(self.runtime)
        wanted = {spec.id for spec in specs}
        for spec in specs:
            existing = self.scheduler.get_job(spec.id)
            keep: dict[str, Any] = {}
            if (existing is not None and existing.next_run_time is not None
                    and trigger_signature(existing.trigger) == trigger_signature(spec.trigger)):
                keep["next_run_time"] = existing.next_run_time
            self.scheduler.add_job(
                spec.func, trigger=spec.trigger, args=spec.args, id=spec.id, name=spec.name or spec.id,
                replace_existing=True, coalesce=True, max_instances=1,
                misfire_grace_time=int(spec.misfire_grace.total_seconds()), **keep,
            )
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                self.scheduler.remove_job(job.id)
        return sorted(wanted)

    def job_ids(self) -> list[str]:
        """The ids of the jobs in the store, sorted (for logs and checks)."""
        return sorted(job.id for job in self.scheduler.get_jobs())

    def job(self, job_id: str) -> Job | None:
        """The stored job with this id, or None."""
        return self.scheduler.get_job(job_id)


def _log_missed(event: JobExecutionEvent) -> None:
    log.warning("job %s missed its run at %s (beyond its grace period); it runs again at its next time",
                event.job_id, event.scheduled_run_time)
