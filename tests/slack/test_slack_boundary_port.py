"""`strongtie serve` and `strongtie run` on an address they cannot bind: one line naming the port,
exit status 1, no traceback (and `run` starts no scheduler)."""

from __future__ import annotations

import socket

import pytest
from fakes.slack_requests import SIGNING_SECRET
from sqlalchemy import select

from models.entities import SchedulerLease


@pytest.fixture
def taken_port():
    """A port on 127.0.0.1 another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("command", [
    pytest.param(("serve",), id="serve"),
    pytest.param(("run", "--mode", "http"), id="run"),
])
def test_a_port_in_use_is_named_in_one_line(cli, monkeypatch, runtime, taken_port, command):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    result = cli(*command, "--host", "127.0.0.1", "--port", str(taken_port))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: cannot listen on port {taken_port} on 127.0.0.1: the port is already in use; "
        "stop what holds it or choose another with --port"]
    with runtime.session() as session:
        assert session.scalar(select(SchedulerLease)) is None  # run took no lease: nothing was started
