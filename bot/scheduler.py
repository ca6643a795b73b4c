"""The one scheduler of a deployment (APScheduler 3): poll -> score -> suggest -> deliver on an
interval, and each team's digest at its local digest time.

Exactly one per deployment: the process that runs it holds the ``scheduler`` lease row (renewed by a
heartbeat, taken over only once expired), and a second process refuses to start. A process that
loses the lease (paused past its expiry while another took over, or unable to renew it) stands by:
it runs no job, keeps trying to win the lease back at every heartbeat, and runs jobs again once it
has; ``health()`` (``/healthz``) says whether it leads or stands by. Every job also confirms the lease
before it runs, so a process waking from a long pause does not run one beside the new holder.
Stopping does not wait for a running job longer than a grace period (the jobs are crash-safe). Jobs live in a
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
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.util import ref_to_obj

from bot.jobs.outcome import job_line
from bot.runtime import Runtime
from bot.scheduler_jobs import (
    desired_jobs,
    scheduled_digest_date,
    trigger_signature,
)
from bot.scheduler_pool import JobExecutor, StoppableBackgroundScheduler
from config.errors import UserError
from models.store.leases import acquire_lease, release_lease
from models.store.teams import team_by_id
from models.timeline import utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=90)
HEARTBEAT_SECONDS = 30.0  # renewal interval of the leader, and retry interval of a standby
SHUTDOWN_GRACE_SECONDS = 5.0  # how long stopping waits for a running job before leaving it behind
JOBS_TABLE = "apscheduler_jobs"


# The steps of one cycle, in order: the same functions `strongtie poll`, `status`, `suggest` run.
POLL_CYCLE_STEPS = (
    "bot.jobs.poll:poll_job",
    "bot.jobs.score:score_job",
    "bot.jobs.suggest:suggest_job",
    "bot.jobs.deliver:deliver_suggestions_job",
    "bot.jobs.digest:recover_stale_digests_job",
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


def _leading_scheduler(job: str) -> "StrongtieScheduler | None":
    """The scheduler of this process if it still holds the lease (None, logged, if it does not)."""
    scheduler = active_scheduler()
    if scheduler.holds_lease():
        return scheduler
    log.warning("%s skipped: this process does not hold the scheduler lease", job)
    return None


def run_poll_cycle() -> None:
    """Poll, then score, suggest and deliver, then finish digests a crash interrupted; a failing
    step is logged and the later ones still run (fresh scores and pending deliveries are worth
    having even when one feed broke the poll)."""
    scheduler = _leading_scheduler("the poll cycle")
    if scheduler is None:
        return
    runtime = scheduler.runtime
    if runtime.settings.workers == "external":  # the workers run it (bot/workers/): only queue it
        from bot.workers.enqueue import scheduled_cycle

        log.info("%s", scheduled_cycle(runtime))
        return
    first_error: Exception | None = None
    for step in POLL_CYCLE_STEPS:
        try:
            log.info("%s", job_line(step, ref_to_obj(step)(runtime)))
        except Exception as exc:
            log.exception("scheduled step %s failed", step)
            first_error = first_error or exc
    if first_error is not None:
        raise first_error


def run_digest(team_id: int) -> None:
    """Send one team's daily digest (the digest job itself sends one per local day, exactly once).

    The digest is for the local date of the scheduled run this call stands for, not for the date at
    the moment it happens to run: a 20:00 run that fires late (within the grace period), after local
    midnight, is still the previous day's digest, so it cannot take the next day's slot.
    """
    scheduler = _leading_scheduler(f"the digest of team {team_id}")
    if scheduler is None:
        return
    runtime = scheduler.runtime
    with runtime.session() as session:
        team = team_by_id(team_id, session=session)
        found = (team.name, team.timezone, team.digest_time) if team is not None else None
    if found is None:
        log.warning("digest job for team %s skipped: the team no longer exists", team_id)
        return
    name, zone, digest_time = found
    local_date = scheduled_digest_date(scheduler.now(), zone=zone, digest_time=digest_time)
    if runtime.settings.workers == "external":  # a worker sends it, claimed once per local day as here
        from bot.workers.enqueue import scheduled_digest

        log.info("%s", scheduled_digest(runtime, name, local_date))
        return
    log.info("%s", job_line(DIGEST_STEP, ref_to_obj(DIGEST_STEP)(runtime, team=name, local_date=local_date)))


def resync_team_jobs() -> None:
    """Pick up roster changes (new teams, another digest time or time zone) without a restart."""
    scheduler = _leading_scheduler("the roster sync")
    if scheduler is not None:
        scheduler.sync_jobs()


# --- the scheduler ----------------------------------------------------------------------------------


def default_holder() -> str:
    """A lease holder name that tells an operator which process holds it: host, pid, and a random
    suffix so a restarted process with a recycled pid is still someone else."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class StrongtieScheduler:
    """APScheduler's BackgroundScheduler on a persistent job store, guarded by the lease: it runs
    jobs while it leads (holds the lease) and pauses, still trying to win the lease back, while it
    stands by."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        holder: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        lease_ttl: timedelta = LEASE_TTL,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        shutdown_grace_seconds: float = SHUTDOWN_GRACE_SECONDS,
        max_workers: int = 4,
    ) -> None:
        self.runtime = runtime
        self.holder = holder or default_holder()
        self._clock = clock
        self._lease_ttl = lease_ttl
        self._heartbeat_seconds = heartbeat_seconds
        self._shutdown_grace = shutdown_grace_seconds
        self._leader = False
        self._lease_lock = threading.RLock()  # one take-or-renew at a time (heartbeat, jobs)
        self._stop_heartbeat = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._lease_holder, self._lease_expires = "", clock()
        self._renewed_at: datetime | None = None  # the last successful take or renewal of the lease
        self._executor = JobExecutor(max_workers)
        self.scheduler = StoppableBackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=runtime.engine, tablename=JOBS_TABLE)},
            executors={"default": self._executor},
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

    def _lease_lapsed(self) -> bool:
        """Whether the lease this process last took or renewed has expired by now."""
        return self._renewed_at is None or self._clock() >= self._renewed_at + self._lease_ttl

    def _keep_or_regain_lease(self) -> None:
        """Renew the lease if leading, try to win it back if standing by, and switch roles to match.

        A failed renewal (the database unreachable) is retried at the next beat; the leader keeps
        running only while the lease it last took is still valid: past its expiry another process
        may rightly have taken over, so it stands by rather than run beside it."""
        with self._lease_lock:
            if self._stop_heartbeat.is_set():
                return
            try:
                held = self._take_lease()
            except Exception:
                log.exception("could not %s the scheduler lease", "renew" if self._leader else "take")
                if self._leader and self._lease_lapsed():
                    self._stand_by("the scheduler lease expired without a renewal")
                return
            if held and not self._leader:
                self._lead()
            elif not held and self._leader:
                self._stand_by(f"the scheduler lease was taken over by {self._lease_holder}")

    def _lead(self) -> None:
        try:
            self.sync_jobs()
        except Exception:  # the stored jobs still run; the next roster sync retries
            log.exception("could not bring the stored jobs in line with the roster")
        self._leader = True
        self.scheduler.resume()
        log.warning("scheduler %s holds the lease again and runs the jobs", self.holder)

    def _stand_by(self, reason: str) -> None:
        self._leader = False
        self.scheduler.pause()
        log.error("%s; scheduler %s stands by (runs no job) and tries to win the lease back every %s s",
                  reason, self.holder, self._heartbeat_seconds)

    def _beat(self) -> None:
        while not self._stop_heartbeat.wait(self._heartbeat_seconds):
            try:
                self._keep_or_regain_lease()
            except Exception:  # the heartbeat must outlive any surprise, or nothing would ever retry
                log.exception("scheduler heartbeat failed")

    def holds_lease(self) -> bool:
        """Whether this process may run a job now: it leads and its lease is still valid. Past the
        lease's expiry (a long pause, say) it renews first, and stands by if another took over."""
        with self._lease_lock:
            if self._leader and self._lease_lapsed():
                self._keep_or_regain_lease()
            return self._leader

    @property
    def role(self) -> str:
        """``leader`` (holds the lease, runs the jobs), ``standby`` (trying to win it back) or
        ``stopped``."""
        if self._stop_heartbeat.is_set() or self._heartbeat is None:
            return "stopped"
        return "leader" if self._leader else "standby"

    def health(self) -> dict[str, Any]:
        """What ``/healthz`` reports: ok while the scheduler leads or stands by and its heartbeat
        runs (a standby is healthy: it takes over when the leader goes), and which of the two."""
        role = self.role
        alive = self._heartbeat is not None and self._heartbeat.is_alive()
        return {"ok": role != "stopped" and alive, "scheduler": role}

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
        self._leader = True
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

    def shutdown(self, *, wait: bool = True, timeout: float | None = None) -> bool:
        """Stop starting jobs, wait for running ones (with ``wait``, at most ``timeout`` seconds;
        the scheduler's grace period when None), and release the lease. Returns whether no job is
        still running: a job left behind is crash-safe, and the process may exit under it."""
        self._stop_heartbeat.set()
        if self._heartbeat is not None and self._heartbeat is not threading.current_thread():
            self._heartbeat.join(self._shutdown_grace)  # no renewal may land after the release
        self._leader = False
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        limit = (self._shutdown_grace if timeout is None else timeout) if wait else 0
        idle = self._executor.pool.wait_idle(limit)
        if not idle:
            log.warning("stopping with a job still running (left behind; the jobs are crash-safe)")
        if _active.get("scheduler") is self:
            del _active["scheduler"]
        with self.runtime.session() as session:
            release_lease(LEASE_NAME, self.holder, session=session)
        return idle

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
