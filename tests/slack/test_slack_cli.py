"""`strongtie serve / socket / run`: clear errors naming the missing variable, never a secret or a
traceback; `run` refuses a second scheduler and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
from fakes.slack_requests import SIGNING_SECRET, slash_command
from fakes.slack_world import DANA
from sqlalchemy import select

from models.entities import SchedulerLease
from models.store.leases import acquire_lease

BOT_TOKEN = "xoxb-very-secret-bot-token"


def _fails_naming(result, variable: str) -> None:
    assert result.exit_code == 1
    assert f"Error: {variable} is not set" in result.output
    assert "Traceback" not in result.output and BOT_TOKEN not in result.output and SIGNING_SECRET not in result.output


def test_serve_without_bot_token_names_it(cli):
    _fails_naming(cli("serve", "--port", "0"), "SLACK_BOT_TOKEN")


def test_serve_without_signing_secret_names_it_and_prints_no_secret(cli, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    _fails_naming(cli("serve", "--port", "0"), "SLACK_SIGNING_SECRET")


@pytest.mark.parametrize("args", [
    pytest.param(("socket",), id="socket"),
    pytest.param(("run", "--mode", "socket"), id="run-mode-socket"),
])
def test_socket_mode_without_app_token_names_it(cli, monkeypatch, args):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    _fails_naming(cli(*args), "SLACK_APP_TOKEN")


def test_run_refuses_when_another_scheduler_holds_the_lease(cli, monkeypatch, runtime):
    with runtime.session() as session:
        acquire_lease("scheduler", "other-host:4242", session=session, now=datetime.now(timezone.utc),
                      ttl=timedelta(minutes=5))
    result = cli("run", "--mode", "http", "--host", "127.0.0.1", "--port", "0")
    assert result.exit_code == 1
    assert "another strongtie scheduler is running (other-host:4242" in result.output
    assert "Traceback" not in result.output


def test_run_serves_and_stops_cleanly_on_sigterm(slack_env, runtime, fake_slack, tmp_path):
    command = [sys.executable, "-c", "from bot.cli.main import main; main()", "run", "--mode", "http",
               "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(command, env={**os.environ, **slack_env}, cwd=tmp_path, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    try:
        url = _wait_for_url(lines)
        request = slash_command("log Jane Doe call", user_id=DANA, response_base=fake_slack.base_url)
        assert requests.post(url, data=request.body.encode(), headers=request.signed(), timeout=10).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    with runtime.session() as session:
        assert session.scalar(select(SchedulerLease)) is None  # the lease was given back


def _wait_for_url(lines: queue.Queue[str]) -> str:
    seen = []
    while True:
        try:
            line = lines.get(timeout=30)
        except queue.Empty:
            raise AssertionError(f"strongtie run never reported it was serving: {seen}") from None
        seen.append(line)
        if "serving Slack via http://" in line:
            return line.rsplit(" ", 1)[-1].strip()
