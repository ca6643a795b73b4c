"""Slack retries and concurrent copies of one /tie invocation: the work is done once, with one
result, and answered once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from fakes.slack_requests import slash_command
from fakes.slack_world import DANA, customer_id
from helpers import eventually
from sqlalchemy import func, select, text

from models.entities import Customer, Rating
from models.store.ratings import record_rating


class Ticking:
    """A UTC clock that moves a minute every time it is read, as time moves between retries."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def lock_waits(runtime) -> int:
    """How many sessions on the test's database wait for a lock (read afresh each time: the view is
    a snapshot for as long as one transaction lasts)."""
    with runtime.engine.connect() as watcher:
        return watcher.execute(text("SELECT count(*) FROM pg_stat_activity "
                                    "WHERE wait_event_type = 'Lock' AND datname = current_database()")).scalar()


def snoozed_until(runtime, name: str) -> datetime | None:
    with runtime.session() as session:
        return session.get(Customer, customer_id(runtime, name)).snoozed_until


@pytest.mark.parametrize("subcommand", [
    pytest.param("snooze Omar Haddad 5", id="snooze"),
    pytest.param("status Jane Doe", id="status"),
    pytest.param("top", id="top"),
    pytest.param("rate Jane Doe 7", id="rate"),
])
def test_a_retried_command_is_answered_once(send, fake_slack, runtime, replies, subcommand):
    request = slash_command(subcommand, user_id=DANA, response_base=fake_slack.base_url)
    send(request)
    send(request, retry_num=1)
    send(request, retry_num=2)
    assert len(replies()) == 1


def test_a_retried_snooze_keeps_the_end_the_first_attempt_set(send, fake_slack, runtime, replies, monkeypatch):
    monkeypatch.setattr("bot.slack.listeners.tie.utcnow", Ticking())
    request = slash_command("snooze Omar Haddad 5", user_id=DANA, response_base=fake_slack.base_url)
    send(request)
    first = snoozed_until(runtime, "Omar Haddad")
    send(request, retry_num=1)
    assert snoozed_until(runtime, "Omar Haddad") == first == datetime(2026, 11, 28, 15, 1, tzinfo=timezone.utc)


def test_a_command_that_failed_is_done_when_slack_retries_it(send, fake_slack, runtime, replies, monkeypatch):
    request = slash_command("snooze Omar Haddad 5", user_id=DANA, response_base=fake_slack.base_url)

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    with monkeypatch.context() as patch:
        patch.setattr("bot.slack.listeners.tie.HANDLERS", {"snooze": broken})
        send(request)
    assert "problem on our side" in replies()[-1] and snoozed_until(runtime, "Omar Haddad") is None
    send(request, retry_num=1)
    assert "Snoozed *Omar Haddad*" in replies()[-1] and snoozed_until(runtime, "Omar Haddad") is not None


def test_two_copies_of_one_rating_racing_store_one(runtime, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time: the two inserts cannot race")
    jane = customer_id(runtime, "Jane Doe")
    now = datetime.now(timezone.utc)
    outcome: dict = {}

    def second_copy() -> None:
        try:
            with runtime.session() as session:
                customer = session.get(Customer, jane)
                outcome["second"] = record_rating(customer, 8, session=session, rated_at=now, dedupe_key="k").rating
        except Exception as exc:  # reported to the test below
            outcome["second"] = exc

    with runtime.session() as session:
        record_rating(session.get(Customer, jane), 8, session=session, rated_at=now, dedupe_key="k")
        racer = threading.Thread(target=second_copy)
        racer.start()
        # Commit only once the second copy is blocked on the unique key this transaction holds.
        assert eventually(lambda: lock_waits(runtime))
    racer.join(10)
    assert outcome["second"] == 8, outcome
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(Rating)) == 1
