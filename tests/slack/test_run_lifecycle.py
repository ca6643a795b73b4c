"""`strongtie run` as a supervisor sees it: ``/healthz`` says whether this process leads the
scheduling or stands by, and SIGTERM stops the process within seconds even in the middle of a poll
of a feed that never finishes."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any

import pytest
import requests
from fakes.feeds import FeedServer, Route, rss, sample_items
from fakes.slack_requests import SIGNING_SECRET
from helpers import eventually
from sqlalchemy import select

from bot.scheduler import StrongtieScheduler
from bot.scheduler_jobs import POLL_CYCLE_JOB_ID
from bot.slack.app import build_app
from bot.slack.server import HEALTH_PATH, wsgi_app
from models.entities import Customer, SchedulerLease, Source


def health_check(runtime, health) -> tuple[str, Any]:
    """GET /healthz through the WSGI application; (status line, parsed body)."""
    import json

    application = wsgi_app(build_app(runtime), signing_secret=SIGNING_SECRET, health=health)
    answered: list[str] = []
    body = b"".join(application({"PATH_INFO": HEALTH_PATH, "REQUEST_METHOD": "GET"},
                                lambda status, headers, *rest: answered.append(status)))
    return answered[0], json.loads(body)


@pytest.mark.parametrize(("reported", "status"), [
    pytest.param({"ok": True, "scheduler": "leader"}, "200", id="leader"),
    pytest.param({"ok": True, "scheduler": "standby"}, "200", id="standby-is-healthy"),
    pytest.param({"ok": False, "scheduler": "stopped"}, "503", id="stopped"),
])
def test_healthz_reports_the_scheduler_role(runtime, reported, status):
    line, body = health_check(runtime, lambda: reported)
    assert line.startswith(status) and body == reported


def test_healthz_follows_the_scheduler_through_losing_and_winning_back_its_lease(runtime):
    sched = StrongtieScheduler(runtime, holder="me:1", heartbeat_seconds=0.02)
    sched.start()
    try:
        assert health_check(runtime, sched.health)[1] == {"ok": True, "scheduler": "leader"}
        with runtime.session() as session:
            session.get(SchedulerLease, "scheduler").holder = "other:2"
        assert eventually(lambda: health_check(runtime, sched.health)[1]["scheduler"] == "standby")
        with runtime.session() as session:
            session.get(SchedulerLease, "scheduler").expires_at = datetime.now(timezone.utc)
        assert eventually(lambda: health_check(runtime, sched.health)[1]["scheduler"] == "leader")
    finally:
        sched.shutdown(wait=False)
    line, body = health_check(runtime, sched.health)
    assert line.startswith("503") and body == {"ok": False, "scheduler": "stopped"}


@pytest.fixture
def endless_feed():
    """A feed that sends one byte every 0.2 s and never ends (until the test stops it)."""
    with FeedServer() as server:
        yield server, server.add("/feed.xml", Route(body=rss(sample_items("slow", 3)), trickle=0.2, endless=True))


def test_run_stops_within_seconds_of_sigterm_in_the_middle_of_a_poll(slack_env, runtime, endless_feed, tmp_path):
    server, url = endless_feed
    with runtime.session() as session:
        jane = session.scalar(select(Customer).where(Customer.name == "Jane Doe"))
        session.add(Source(customer_id=jane.id, kind="rss", target=url, url=url))
    poll_is_due_now(runtime)
    env = {**os.environ, **slack_env, "STRONGTIE_ALLOW_PRIVATE_NETWORKS": "true",
           "STRONGTIE_POLL_FETCH_TIMEOUT_SECONDS": "600"}  # the fetch itself would go on for ten minutes
    command = [sys.executable, "-c", "from bot.cli.main import main; main()", "run", "--mode", "http",
               "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    try:
        events_url = wait_for_url(lines)
        health = requests.get(events_url.replace("/slack/events", HEALTH_PATH), timeout=5)
        assert (health.status_code, health.json()) == (200, {"ok": True, "scheduler": "leader"})
        assert eventually(lambda: server.hits["/feed.xml"] >= 1, timeout=30), "the poll never reached the feed"
        time.sleep(0.5)  # well into the trickle
        process.send_signal(signal.SIGTERM)
        began = time.monotonic()
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - began < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with runtime.session() as session:
        assert session.scalar(select(SchedulerLease)) is None  # the lease was given back


def poll_is_due_now(runtime) -> None:
    """Leave in the job store what a process stopped just before its poll cycle leaves: the cycle
    due now (so the new process runs it at once rather than after a poll interval)."""
    editor = StrongtieScheduler(runtime, holder="store-editor")  # edits the store, never runs a job
    editor.scheduler.start(paused=True)
    editor.sync_jobs()
    editor.scheduler.modify_job(POLL_CYCLE_JOB_ID, next_run_time=datetime.now(timezone.utc))
    editor.scheduler.shutdown()


def wait_for_url(lines: queue.Queue[str]) -> str:
    seen = []
    while True:
        try:
            line = lines.get(timeout=30)
        except queue.Empty:
            raise AssertionError(f"strongtie run never reported it was serving: {seen}") from None
        seen.append(line)
        if "serving Slack via http://" in line:
            return line.rsplit(" ", 1)[-1].strip()
