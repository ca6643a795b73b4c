"""The scheduler: one per deployment, stable job ids, per-team digest in the team's zone, missed runs
run once within their grace period after a restart, and the jobs are the CLI's job functions. A
scheduler that loses its lease stands by and wins it back; stopping does not wait for a slow job.

Each test builds the real scheduler on the test database; "downtime" is simulated by storing the
next run time a stopped process would have left behind, so nothing waits for wall-clock time.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING
from helpers import eventually
from sqlalchemy import delete, select, text

from bot.scheduler import (
    LEASE_TTL,
    POLL_CYCLE_STEPS,
    SchedulerAlreadyRunning,
    StrongtieScheduler,
    run_digest,
    run_poll_cycle,
)
from bot.scheduler_jobs import DIGEST_GRACE, POLL_CYCLE_JOB_ID, ROSTER_SYNC_JOB_ID, scheduled_digest_date
from models.entities import SchedulerLease, Team
from models.store.leases import acquire_lease


class Calls:
    """Records calls to stand-in job functions and lets a test wait for them."""

    def __init__(self) -> None:
        self.made: list[tuple[str, tuple, dict]] = []
        self.changed = threading.Condition()

    def stand_in(self, name: str, fail: bool = False):
        def job(*args, **kwargs):
            with self.changed:
                self.made.append((name, args, kwargs))
                self.changed.notify_all()
            if fail:
                raise RuntimeError(f"{name} broke")
        return job

    def wait_for(self, n: int, timeout: float = 10.0) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.made) >= n, timeout), f"expected {n} call(s), got {self.made}"


@pytest.fixture
def calls(monkeypatch):
    recorder = Calls()
    for module, name in (("bot.jobs.poll", "poll_job"), ("bot.jobs.score", "score_job"),
                         ("bot.jobs.suggest", "suggest_job"), ("bot.jobs.deliver", "deliver_suggestions_job"),
                         ("bot.jobs.digest", "digest_job"), ("bot.jobs.digest", "recover_stale_digests_job")):
        monkeypatch.setattr(f"{module}.{name}", recorder.stand_in(name))
    return recorder


@pytest.fixture
def schedulers(runtime):
    """Build schedulers on the test database; whatever a test leaves running is shut down."""
    made: list[StrongtieScheduler] = []

    def build(holder: str, **kwargs) -> StrongtieScheduler:
        made.append(StrongtieScheduler(runtime, holder=holder, **kwargs))
        return made[-1]

    yield build
    for each in made:
        if each.scheduler.running:
            each.shutdown(wait=False)


class SettableClock:
    """A UTC clock that moves only when a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def team(runtime, name: str) -> Team:
    with runtime.session() as session:
        return session.scalar(select(Team).where(Team.name == name))


def set_digest_time(runtime, name: str, when: datetime) -> None:
    with runtime.session() as session:
        session.scalar(select(Team).where(Team.name == name)).digest_time = when.strftime("%H:%M")


def stop_with_pending_run(sched: StrongtieScheduler, job_id: str, due: datetime) -> None:
    """Stop ``sched`` and leave in the job store what a process that died before ``due`` would have
    left: that run still pending. The store is edited by a scheduler that never runs jobs."""
    sched.shutdown(wait=True)
    pending_run_stored(sched.runtime, job_id, due)


def pending_run_stored(runtime, job_id: str, due: datetime) -> None:
    editor = StrongtieScheduler(runtime, holder="store-editor")
    editor.scheduler.start(paused=True)
    editor.scheduler.modify_job(job_id, next_run_time=due)
    editor.scheduler.shutdown()


def test_job_ids_are_stable_and_replaced_on_restart(runtime, schedulers):
    east, west = team(runtime, "Enterprise East").id, team(runtime, "West").id
    expected = sorted([POLL_CYCLE_JOB_ID, ROSTER_SYNC_JOB_ID, f"digest:team:{east}", f"digest:team:{west}"])
    first = schedulers("first")
    first.start()
    assert first.job_ids() == expected
    first.shutdown()
    second = schedulers("second")
    second.start()
    assert second.job_ids() == expected
    with runtime.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar() == 4


def test_jobs_are_configured_for_misfires_and_the_poll_interval(runtime, schedulers):
    sched = schedulers("only")
    sched.start()
    poll = sched.job(POLL_CYCLE_JOB_ID)
    assert poll.trigger.interval == timedelta(minutes=runtime.settings.poll_interval_minutes)
    assert poll.func_ref == "bot.scheduler:run_poll_cycle" and poll.args == ()
    digest = sched.job(f"digest:team:{team(runtime, 'Enterprise East').id}")
    assert digest.func_ref == "bot.scheduler:run_digest" and digest.args == (team(runtime, "Enterprise East").id,)
    assert digest.misfire_grace_time == int(DIGEST_GRACE.total_seconds()) > 1
    assert digest.coalesce is True and poll.coalesce is True and poll.misfire_grace_time > 1
    assert str(digest.trigger.timezone) == "America/New_York"


def test_the_digest_fires_at_local_time_on_both_sides_of_a_dst_change(runtime, schedulers):
    sched = schedulers("only")
    sched.start()
    trigger = sched.job(f"digest:team:{team(runtime, 'Enterprise East').id}").trigger
    zone = ZoneInfo("America/New_York")
    before = trigger.get_next_fire_time(None, datetime(2026, 10, 31, 12, 0, tzinfo=timezone.utc))
    after = trigger.get_next_fire_time(None, datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc))
    assert [m.astimezone(zone).strftime("%Y-%m-%d %H:%M") for m in (before, after)] == ["2026-10-31 09:00", "2026-11-01 09:00"]
    assert after.astimezone(timezone.utc) - before.astimezone(timezone.utc) == timedelta(hours=25)  # clocks went back


def test_a_second_scheduler_is_refused_clearly(runtime, schedulers):
    first = schedulers("host-a:1")
    first.start()
    second = schedulers("host-b:2")
    with pytest.raises(SchedulerAlreadyRunning, match=r"another strongtie scheduler is running \(host-a:1"):
        second.start()
    assert not second.scheduler.running
    first.shutdown()
    second.start()  # the lease was given back on a clean shutdown
    assert second.scheduler.running


def test_an_expired_lease_of_a_dead_process_is_taken_over(runtime, schedulers):
    with runtime.session() as session:
        acquire_lease("scheduler", "crashed:9", session=session,
                      now=datetime.now(timezone.utc) - timedelta(minutes=10), ttl=timedelta(seconds=90))
    sched = schedulers("new:1")
    sched.start()
    with runtime.session() as session:
        assert session.get(SchedulerLease, "scheduler").holder == "new:1"


def hand_lease_to(runtime, holder: str, *, for_: timedelta) -> None:
    """Make ``holder`` the holder of the scheduler lease for ``for_`` from now (negative: expired)."""
    with runtime.session() as session:
        lease = session.get(SchedulerLease, "scheduler")
        lease.holder, lease.expires_at = holder, datetime.now(timezone.utc) + for_


def lease_holder(runtime) -> str | None:
    with runtime.session() as session:
        lease = session.get(SchedulerLease, "scheduler")
        return lease.holder if lease else None


def test_a_scheduler_that_loses_its_lease_stands_by_and_wins_it_back(runtime, schedulers, calls):
    sched = schedulers("slow:1", heartbeat_seconds=0.02)
    sched.start()
    assert sched.health() == {"ok": True, "scheduler": "leader"}
    hand_lease_to(runtime, "other:2", for_=timedelta(minutes=5))  # it was paused while another took over
    assert eventually(lambda: sched.role == "standby")
    assert sched.scheduler.state == STATE_PAUSED  # no job runs beside the new holder...
    run_poll_cycle()  # ...not even one already due when the lease went
    assert calls.made == []
    assert sched.health() == {"ok": True, "scheduler": "standby"}  # a standby is healthy
    hand_lease_to(runtime, "other:2", for_=-timedelta(seconds=1))  # the other process died
    assert eventually(lambda: sched.role == "leader")
    assert sched.scheduler.state == STATE_RUNNING and lease_holder(runtime) == "slow:1"
    assert sched.health() == {"ok": True, "scheduler": "leader"}
    run_poll_cycle()
    assert [name for name, _, _ in calls.made] == ["poll_job", "score_job", "suggest_job", "deliver_suggestions_job",
                                                  "recover_stale_digests_job"]


def test_a_process_paused_past_its_lease_runs_no_job_when_it_wakes(runtime, schedulers, calls):
    clock = SettableClock(datetime.now(timezone.utc))
    sched = schedulers("sleeper:1", heartbeat_seconds=3600, clock=clock)  # no heartbeat before the job
    sched.start()
    clock.now += timedelta(minutes=10)  # paused for ten minutes, its lease long expired...
    hand_lease_to(runtime, "awake:2", for_=timedelta(minutes=30))  # ...and taken over meanwhile
    run_poll_cycle()  # a job that was due when it woke
    run_digest(team(runtime, "West").id)
    assert calls.made == [] and sched.role == "standby"
    assert lease_holder(runtime) == "awake:2"


def test_a_job_renews_a_lapsed_lease_nobody_took_and_runs(runtime, schedulers, calls):
    clock = SettableClock(datetime.now(timezone.utc))
    sched = schedulers("sleeper:1", heartbeat_seconds=3600, clock=clock)
    sched.start()
    clock.now += timedelta(minutes=10)  # paused past its lease, but nobody took over
    run_poll_cycle()
    assert len(calls.made) == len(POLL_CYCLE_STEPS) and sched.role == "leader"
    with runtime.session() as session:
        assert session.get(SchedulerLease, "scheduler").expires_at == clock.now + LEASE_TTL


def test_stopping_does_not_wait_for_a_running_job_beyond_the_grace_period(runtime, schedulers, calls, monkeypatch):
    started, release = threading.Event(), threading.Event()

    def slow_poll(*args, **kwargs):
        started.set()
        release.wait(30)

    monkeypatch.setattr("bot.jobs.poll.poll_job", slow_poll)
    sched = schedulers("only", shutdown_grace_seconds=0.2)
    sched.start()
    sched.scheduler.modify_job(POLL_CYCLE_JOB_ID, next_run_time=datetime.now(timezone.utc))
    assert started.wait(10), "the poll cycle never started"
    began = time.monotonic()
    try:
        assert sched.shutdown() is False  # a job is left running
        assert time.monotonic() - began < 3
        assert lease_holder(runtime) is None and sched.health()["ok"] is False
    finally:
        release.set()


def test_a_digest_missed_during_downtime_runs_once_after_restart(runtime, schedulers, calls):
    zone = ZoneInfo("America/New_York")
    due = datetime.now(zone).replace(second=0, microsecond=0) - timedelta(minutes=20)
    set_digest_time(runtime, "Enterprise East", due)
    job_id = f"digest:team:{team(runtime, 'Enterprise East').id}"
    before = schedulers("before-crash")
    before.start()
    # Down since before the day-before-yesterday's digest: three runs missed, only today's within grace.
    stop_with_pending_run(before, job_id, due - timedelta(days=2))
    assert calls.made == []
    after = schedulers("after-restart", clock=SettableClock((due + timedelta(minutes=20)).astimezone(timezone.utc)))
    after.start()
    calls.wait_for(1)
    assert calls.made == [("digest_job", (runtime,), {"team": "Enterprise East", "local_date": due.date()})]
    assert after.job(job_id).next_run_time.astimezone(zone) == due + timedelta(days=1)
    after.shutdown()
    again = schedulers("second-restart")
    again.start()
    assert again.job(job_id).next_run_time.astimezone(zone) == due + timedelta(days=1)
    assert len(calls.made) == 1  # nothing is due, so nothing ran twice


def test_a_run_missed_beyond_its_grace_period_is_skipped(runtime, schedulers, calls):
    zone = ZoneInfo("America/New_York")
    due = datetime.now(zone).replace(second=0, microsecond=0) - DIGEST_GRACE - timedelta(minutes=30)
    set_digest_time(runtime, "Enterprise East", due)
    job_id = f"digest:team:{team(runtime, 'Enterprise East').id}"
    before = schedulers("before-crash")
    before.start()
    stop_with_pending_run(before, job_id, due)
    after = schedulers("after-restart")
    missed = threading.Event()
    after.scheduler.add_listener(lambda event: missed.set(), EVENT_JOB_MISSED)
    after.start()
    assert missed.wait(10)
    assert calls.made == []
    assert after.job(job_id).next_run_time.astimezone(zone) == due + timedelta(days=1)


def test_a_changed_digest_time_reschedules_and_a_removed_team_loses_its_job(runtime, schedulers):
    sched = schedulers("only")
    sched.start()
    west, east = team(runtime, "West"), team(runtime, "Enterprise East")
    with runtime.session() as session:
        session.get(Team, west.id).digest_time = "07:15"
        session.execute(delete(Team).where(Team.id == east.id))
    sched.sync_jobs()
    assert sched.job_ids() == sorted([POLL_CYCLE_JOB_ID, ROSTER_SYNC_JOB_ID, f"digest:team:{west.id}"])
    fire = sched.job(f"digest:team:{west.id}").next_run_time.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (fire.hour, fire.minute) == (7, 15)


def test_the_poll_cycle_runs_the_cli_jobs_in_order_even_when_one_fails(runtime, schedulers, calls, monkeypatch):
    monkeypatch.setattr("bot.jobs.poll.poll_job", calls.stand_in("poll_job", fail=True))
    sched = schedulers("only", clock=SettableClock(datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc)))
    sched.start()
    with pytest.raises(RuntimeError, match="poll_job broke"):
        run_poll_cycle()
    assert [name for name, _, _ in calls.made] == ["poll_job", "score_job", "suggest_job", "deliver_suggestions_job",
                                                  "recover_stale_digests_job"]
    assert all(args == (runtime,) for _, args, _ in calls.made)
    run_digest(team(runtime, "West").id)  # 09:00 in Los Angeles, after West's 08:30
    assert calls.made[-1] == ("digest_job", (runtime,), {"team": "West", "local_date": date(2026, 11, 23)})


@pytest.mark.parametrize(("utc", "expected"), [
    # 20:00 New York: the run of that day
    pytest.param(datetime(2026, 11, 24, 1, 0), date(2026, 11, 23), id="at-the-run-that-day"),
    # 19:59: the latest run was the day before
    pytest.param(datetime(2026, 11, 24, 0, 59), date(2026, 11, 22), id="a-minute-before-is-the-day-before"),
    # 00:30 the next day: still the 23rd's run
    pytest.param(datetime(2026, 11, 24, 5, 30), date(2026, 11, 23), id="after-midnight-still-that-days-run"),
    # 20:00 EDT, the day clocks went forward
    pytest.param(datetime(2026, 3, 9, 0, 0), date(2026, 3, 8), id="the-day-clocks-went-forward"),
])
def test_the_scheduled_digest_date_is_that_of_the_latest_due_run(utc, expected):
    now = utc.replace(tzinfo=timezone.utc)
    assert scheduled_digest_date(now, zone="America/New_York", digest_time="20:00") == expected


def test_a_late_evening_digest_firing_after_midnight_is_for_the_day_it_was_due(runtime, schedulers, calls):
    east = team(runtime, "Enterprise East")
    with runtime.session() as session:
        session.get(Team, east.id).digest_time = "20:00"
    # 00:30 in New York on the 24th: the 20:00 run of the 23rd, fired late within its grace period.
    sched = schedulers("only", clock=SettableClock(datetime(2026, 11, 24, 5, 30, tzinfo=timezone.utc)))
    sched.start()
    run_digest(east.id)
    assert calls.made[-1] == ("digest_job", (runtime,), {"team": "Enterprise East", "local_date": date(2026, 11, 23)})


def test_a_scheduler_whose_lease_renewals_keep_failing_stands_by_once_the_lease_has_expired(
        runtime, schedulers, monkeypatch):
    clock = SettableClock(datetime.now(timezone.utc))
    sched = schedulers("flaky-db:1", heartbeat_seconds=0.01, lease_ttl=timedelta(seconds=90), clock=clock)
    sched.start()
    attempts = threading.Semaphore(0)

    def failing_renewal(*args, **kwargs):
        attempts.release()
        raise RuntimeError("database unreachable")

    monkeypatch.setattr("bot.scheduler.acquire_lease", failing_renewal)
    for _ in range(3):  # renewals fail while the lease is still valid: keep trying, keep running
        assert attempts.acquire(timeout=10)
    assert sched.role == "leader" and sched.scheduler.state == STATE_RUNNING
    clock.now += timedelta(seconds=91)  # past the last renewal + TTL: another process may take over
    assert eventually(lambda: sched.role == "standby")
    assert sched.scheduler.state == STATE_PAUSED
    for _ in range(3):  # and it keeps trying
        assert attempts.acquire(timeout=10)
    monkeypatch.undo()  # the database is back and nobody else took the lease
    assert eventually(lambda: sched.role == "leader")
    assert sched.scheduler.state == STATE_RUNNING


def test_the_stored_jobs_hold_no_secrets(runtime, schedulers):
    sched = schedulers("only")
    sched.start()
    with runtime.engine.connect() as connection:
        blobs = [row[0] for row in connection.execute(text("SELECT job_state FROM apscheduler_jobs"))]
    assert blobs and not any(runtime.settings.slack_bot_token.get().encode() in bytes(blob) for blob in blobs)
    assert not any(runtime.settings.slack_signing_secret.get().encode() in bytes(blob) for blob in blobs)
