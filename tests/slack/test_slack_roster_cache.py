"""The membership cache on the ack path: a stale copy is refreshed in the background, never waited for."""

from __future__ import annotations

import threading

from fakes.slack_world import DANA, WES, add_member

from bot.slack.middleware import RosterDirectory


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def ask(directory: RosterDirectory, user: str):
    """scope_for on another thread; returns (finished, scope) after giving it a few seconds."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(directory.scope_for(user)), daemon=True)
    thread.start()
    thread.join(5)
    return (not thread.is_alive()), (result[0] if result else None)


def test_a_stale_roster_is_served_while_a_slow_refresh_runs(runtime):
    ticks = Ticks()
    directory = RosterDirectory(runtime, ttl_seconds=60, clock=ticks)
    assert directory.scope_for(WES).team_names == ("West",)  # the first load is waited for
    add_member(runtime, "Enterprise East", WES, "Wes Tran")
    real_load, release, loading = directory._load, threading.Event(), threading.Event()

    def slow_load():
        loading.set()
        release.wait(30)
        return real_load()

    directory._load = slow_load
    ticks.now = 61.0
    finished, scope = ask(directory, WES)
    assert finished, "a request waited for the roster refresh"
    assert scope.team_names == ("West",)  # the previous copy, meanwhile
    assert loading.wait(5)
    finished, scope = ask(directory, DANA)  # still refreshing: served at once, no second refresh
    assert finished and scope.team_names == ("Enterprise East",)
    release.set()
    for _ in range(500):
        if directory.scope_for(WES).team_names == ("Enterprise East", "West"):
            break
        threading.Event().wait(0.01)
    assert directory.scope_for(WES).team_names == ("Enterprise East", "West")
    assert directory.scope_for(WES).timezone.key == "America/New_York"


def test_a_failed_refresh_keeps_the_previous_copy(runtime):
    ticks = Ticks()
    directory = RosterDirectory(runtime, ttl_seconds=60, clock=ticks)
    assert directory.scope_for(DANA) is not None
    done = threading.Event()

    def broken_load():
        done.set()
        raise RuntimeError("database unreachable")

    directory._load = broken_load
    ticks.now = 61.0
    assert directory.scope_for(DANA) is not None
    assert done.wait(5)
    assert directory.scope_for(DANA) is not None
