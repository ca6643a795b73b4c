"""Digest once per local day across restarts: the scheduler runs the real digest job, and even if a
restarted process fires the same day's digest again, the team channel gets one message."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from sqlalchemy import select

from bot.scheduler import StrongtieScheduler
from models.entities import DigestRun, Team


def _restart_with_pending_digest(runtime, holder: str, job_id: str, due: datetime) -> None:
    """Start a scheduler whose stored digest run is pending at ``due`` and wait until it has run.

    The schedulers' own clock is pinned just after ``due``, so the date the digest is for does not
    depend on when the test runs (near midnight in New York the wall clock would say another day)."""
    def clock() -> datetime:
        return (due + timedelta(minutes=5)).astimezone(timezone.utc)

    before = StrongtieScheduler(runtime, holder=f"{holder}-before", clock=clock)
    before.start()
    before.shutdown()
    editor = StrongtieScheduler(runtime, holder="store-editor")  # edits the store, never runs a job
    editor.scheduler.start(paused=True)
    editor.scheduler.modify_job(job_id, next_run_time=due)
    editor.scheduler.shutdown()
    after = StrongtieScheduler(runtime, holder=holder, clock=clock)
    finished = threading.Event()
    after.scheduler.add_listener(lambda event: finished.set() if event.job_id == job_id else None,
                                 EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    after.start()
    try:
        assert finished.wait(30), "the pending digest never ran"
    finally:
        after.shutdown()


def test_a_digest_fired_again_after_a_restart_is_sent_once(runtime, fake_slack):
    zone = ZoneInfo("America/New_York")
    due = datetime.now(zone).replace(second=0, microsecond=0) - timedelta(minutes=5)
    with runtime.session() as session:
        team = session.scalar(select(Team).where(Team.name == "Enterprise East"))
        team.digest_time = due.strftime("%H:%M")
        job_id = f"digest:team:{team.id}"
    _restart_with_pending_digest(runtime, "first", job_id, due)
    _restart_with_pending_digest(runtime, "second", job_id, due)  # the same day's run, fired again
    posts = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == "C0EAST"]
    assert len(posts) == 1
    with runtime.session() as session:
        runs = list(session.scalars(select(DigestRun)))
    assert [(r.status, r.local_date) for r in runs] == [("sent", due.date())]
