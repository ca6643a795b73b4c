"""The membership cache on the ack path: a stale copy is refreshed in the background, never waited for."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from fakes.slack_world import DANA, WES, add_member
from helpers import eventually

from bot.slack.middleware import RosterDirectory


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class StoreGate:
    """The runtime a directory reads the roster through, whose sessions a test can hold back (until
    ``release`` is set) or break; ``entered`` is set when a held or broken session is asked for."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.hold = False
        self.broken: Exception | None = None
        self.entered, self.release = threading.Event(), threading.Event()

    @contextmanager
    def session(self):
        if self.hold or self.broken:
            self.entered.set()
        if self.broken:
            raise self.broken
        if self.hold:
            self.release.wait(30)
        with self.runtime.session() as session:
            yield session


def ask(directory: RosterDirectory, user: str):
    """scope_for on another thread; returns (finished, scope) after giving it a few seconds."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(directory.scope_for(user)), daemon=True)
    thread.start()
    thread.join(5)
    return (not thread.is_alive()), (result[0] if result else None)


def test_a_stale_roster_is_served_while_a_slow_refresh_runs(runtime):
    ticks, store = Ticks(), StoreGate(runtime)
    directory = RosterDirectory(store, ttl_seconds=60, clock=ticks)
    assert directory.scope_for(WES).team_names == ("West",)  # the first load is waited for
    add_member(runtime, "Enterprise East", WES, "Wes Tran")
    store.hold = True  # the refresh's read of the store is slow
    ticks.now = 61.0
    finished, scope = ask(directory, WES)
    assert finished, "a request waited for the roster refresh"
    assert scope.team_names == ("West",)  # the previous copy, meanwhile
    assert store.entered.wait(5)
    finished, scope = ask(directory, DANA)  # still refreshing: served at once, no second refresh
    assert finished and scope.team_names == ("Enterprise East",)
    store.release.set()
    assert eventually(lambda: directory.scope_for(WES).team_names == ("Enterprise East", "West"), timeout=5)
    assert directory.scope_for(WES).team_names == ("Enterprise East", "West")
    assert directory.scope_for(WES).timezone.key == "America/New_York"


def test_a_failed_refresh_keeps_the_previous_copy(runtime):
    ticks, store = Ticks(), StoreGate(runtime)
    directory = RosterDirectory(store, ttl_seconds=60, clock=ticks)
    assert directory.scope_for(DANA) is not None
    store.broken = RuntimeError("database unreachable")
    ticks.now = 61.0
    assert directory.scope_for(DANA) is not None
    assert store.entered.wait(5)
    assert directory.scope_for(DANA) is not None
