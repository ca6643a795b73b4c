"""The membership check's roster copy keeps the promise of docs/slack.md: a member added is recognised
within ``miss_reload_seconds`` (2 s), one removed loses access within ``max_age_seconds`` (a minute),
and strangers cost at most one roster read per interval, even while the database is down."""

from __future__ import annotations

from contextlib import contextmanager

from fakes.slack_world import DANA, STRANGER, add_member
from sqlalchemy import update

from bot.slack.middleware import RosterDirectory
from models.entities import Member


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class CountingStore:
    """The runtime the directory reads through, counting roster reads; ``broken`` makes them fail."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.reads = 0
        self.broken = False

    @contextmanager
    def session(self):
        self.reads += 1
        if self.broken:
            raise RuntimeError("database unreachable")
        with self.runtime.session() as session:
            yield session


def directory(runtime, ticks: Ticks) -> tuple[RosterDirectory, CountingStore]:
    store = CountingStore(runtime)
    return RosterDirectory(store, ttl_seconds=30, max_age_seconds=60, miss_reload_seconds=2, clock=ticks), store


def test_a_member_added_is_recognised_within_the_miss_interval(runtime):
    ticks = Ticks()
    roster, store = directory(runtime, ticks)
    assert roster.scope_for(STRANGER) is None  # refused, with the roster just read
    add_member(runtime, "West", STRANGER, "New Hire")  # what `strongtie roster import` stores
    ticks.now = 1.0
    assert roster.scope_for(STRANGER) is None and store.reads == 1  # within the interval: no read
    ticks.now = 2.5
    scope = roster.scope_for(STRANGER)  # a miss on a copy older than the interval reads again, at once
    assert scope is not None and scope.team_names == ("West",)
    assert store.reads == 2


def test_strangers_cost_one_read_per_interval(runtime):
    ticks = Ticks()
    roster, store = directory(runtime, ticks)
    assert roster.scope_for(DANA) is not None
    ticks.now = 5.0
    assert all(roster.scope_for(f"U0STRANGE{n}") is None for n in range(50))
    assert store.reads == 2  # the first miss read the roster again; the other 49 used that copy
    assert roster.scope_for(DANA) is not None and store.reads == 2


def test_a_member_removed_loses_access_within_the_maximum_age_even_after_a_quiet_spell(runtime):
    ticks = Ticks()
    roster, _ = directory(runtime, ticks)
    assert roster.scope_for(DANA) is not None
    with runtime.session() as session:
        session.execute(update(Member).where(Member.slack_user == DANA).values(active=False))
    ticks.now = 61.0  # nobody asked for a minute: the copy is too old to answer from
    assert roster.scope_for(DANA) is None


def test_a_database_outage_refuses_strangers_without_hammering_it(runtime):
    ticks = Ticks()
    roster, store = directory(runtime, ticks)
    assert roster.scope_for(DANA) is not None
    store.broken = True
    ticks.now = 5.0
    assert roster.scope_for(STRANGER) is None  # the read failed: refused, no exception
    assert roster.scope_for(STRANGER) is None and store.reads == 2  # not tried again within the interval
    assert roster.scope_for(DANA) is not None  # members are still answered from the copy
    ticks.now = 7.5
    store.broken = False
    add_member(runtime, "West", STRANGER, "New Hire")
    assert roster.scope_for(STRANGER) is not None  # the database is back: read again
