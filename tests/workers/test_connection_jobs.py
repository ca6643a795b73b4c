"""One queued job per connection: the scheduler's cycle queues each due calendar or mailbox once,
under a lock of its own, and worker processes sync each exactly once and rescore what it touched;
a job whose connection is no longer due when it starts does nothing, and one whose worker was
killed is run again by another without capturing anything twice."""

from __future__ import annotations

import signal
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from itertools import product

import pytest
from cryptography.fernet import Fernet
from fakes.feeds import FeedServer, Route
from sqlalchemy import select, text

from bot.runtime import Runtime
from config.settings import Secret, Settings
from models.base import make_engine
from models.crypto import SecretBox
from models.entities import Connection, Customer, Interaction, Member, ScoreSnapshot, Team
from models.store.connections import add_connection, due_connections

UTC = timezone.utc
KEY = Fernet.generate_key().decode()


def calendar_with_past_meetings(uid: str, weeks: int) -> bytes:
    """A weekly meeting of Dana's with Jane whose first ``weeks`` occurrences are past."""
    start = (datetime.now(UTC) - timedelta(weeks=weeks, hours=1)).strftime("%Y%m%dT%H%M00Z")
    event = (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT={weeks}\r\n"
             "ORGANIZER:mailto:dana@ourco.example\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:jane@acme.example\r\nEND:VEVENT\r\n")
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//strongtie tests//EN\r\n{event}END:VCALENDAR\r\n".encode()


@pytest.fixture
def worker_env(worker_env):
    """The worker processes open the sealed calendar addresses with the test's key."""
    return {**worker_env, "STRONGTIE_SECRET_KEY": KEY}


def seed_team(session) -> Team:
    team = Team(name="Enterprise", slack_channel="C0TEAM", timezone="UTC")
    session.add(team)
    session.flush()
    session.add_all([Member(team_id=team.id, slack_user="U_DANA", name="Dana", email="dana@ourco.example"),
                     Customer(team_id=team.id, name="Jane Doe", name_key="jane doe", company="Acme",
                              emails=["jane@acme.example"])])
    session.flush()
    return team


def connect(sessions, urls: list[str]) -> list[int]:
    """A team whose member Dana has calendars at ``urls`` (sealed as the app seals them); their ids."""
    box = SecretBox(Secret(KEY))
    with sessions.begin() as session:
        seed_team(session)
        dana = session.scalar(select(Member).where(Member.slack_user == "U_DANA"))
        return [add_connection(dana, "calendar", sealed_secret=box.seal(url), options={}, session=session).id
                for url in urls]


def queued(pg_url: str) -> list[tuple[str, str | None, dict]]:
    """(task, lock, arguments) of every job waiting in the test's queue."""
    engine = make_engine(pg_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT task_name, lock, args FROM procrastinate_jobs ORDER BY id")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_due_connections_among_some_ids_are_the_due_ones_among_them(sessions):
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    with sessions.begin() as session:
        team = seed_team(session)
        elsewhere = Team(name="Former", slack_channel="C0OLD", in_roster=False)
        session.add(elsewhere)
        session.flush()
        session.add_all([Member(team_id=team.id, slack_user="U_GONE", name="Gone", active=False),
                         Member(team_id=elsewhere.id, slack_user="U_OLD", name="Old")])
        session.flush()
        members = list(session.scalars(select(Member)))
        checks = [None, now - timedelta(minutes=1), now, now + timedelta(minutes=1)]
        for member, status, check in product(members, ["new", "ok", "error", "disabled"], checks):
            session.add(Connection(member_id=member.id, kind="calendar", secret="sealed", options={}, cursor={},
                                   status=status, error_count=0, next_check_at=check))
    with sessions() as session:
        every = list(session.scalars(select(Connection)))
        for force in (False, True):
            listed = {c.id for c in due_connections(session=session, now=now, force=force)}
            assert 0 < len(listed) < len(every)
            some = {c.id for c in every[::3]}
            assert {c.id for c in due_connections(session=session, now=now, force=force, ids=some)} == listed & some


def test_each_due_connection_is_queued_once_under_a_lock_of_its_own(pg_url, pg_sessions):
    from bot.workers.enqueue import enqueue_connections, with_queue

    due, later = connect(pg_sessions, ["http://127.0.0.1:9/a.ics", "http://127.0.0.1:9/b.ics"])
    with pg_sessions.begin() as session:
        session.get(Connection, later).next_check_at = datetime.now(UTC) + timedelta(hours=1)
    runtime = Runtime(settings=Settings(database_url=pg_url))
    first = with_queue(runtime, lambda app: enqueue_connections(app, runtime))
    again = with_queue(runtime, lambda app: enqueue_connections(app, runtime))
    forced = with_queue(runtime, lambda app: enqueue_connections(app, runtime, force=True))
    runtime.engine.dispose()
    assert (first.queued, first.already) == (1, 0)
    assert (again.queued, again.already) == (0, 1)  # still waiting: not queued twice
    assert (forced.queued, forced.already) == (1, 1)  # the one not due, queued only when forced
    assert [(task, lock) for task, lock, _ in queued(pg_url)] == [
        ("strongtie:sync_connection", f"connection:{due}"), ("strongtie:sync_connection", f"connection:{later}")]
    assert [args["connection_id"] for *_, args in queued(pg_url)] == [due, later]


def test_worker_processes_sync_each_connection_once_and_rescore_its_customers(st, spawn, pg_url, pg_sessions):
    from bot.workers.enqueue import enqueue_connections, with_queue

    with FeedServer() as server:
        paths = [f"/calendar/{n}/private.ics" for n in range(4)]
        urls = [server.add(path, Route(body=calendar_with_past_meetings(f"weekly-{n}@ourco", 3),
                                       content_type="text/calendar")) for n, path in enumerate(paths)]
        ids = connect(pg_sessions, urls)
        runtime = Runtime(settings=replace(Settings(database_url=pg_url), allow_private_networks=True,
                                           secret_key=Secret(KEY)))
        assert with_queue(runtime, lambda app: enqueue_connections(app, runtime)).queued == 4
        with pg_sessions.begin() as session:  # synced meanwhile by someone else: its job must do nothing
            session.get(Connection, ids[3]).next_check_at = datetime.now(UTC) + timedelta(hours=1)
        workers = [spawn("worker", "--burst", "--concurrency", "2") for _ in range(2)]
        for worker in workers:
            out, err = worker.communicate(timeout=90)
            assert worker.returncode == 0, err
        assert [server.hits[path] for path in paths] == [1, 1, 1, 0]
    runtime.engine.dispose()
    with pg_sessions() as session:
        statuses = [session.get(Connection, i).status for i in ids]
        meetings = session.scalar(select(Interaction.id).where(Interaction.origin == "calendar").limit(1))
        count = len(session.scalars(select(Interaction).where(Interaction.origin == "calendar")).all())
        snapshot = session.scalar(select(ScoreSnapshot).join(Customer).where(Customer.name == "Jane Doe"))
    assert statuses == ["ok", "ok", "ok", "new"]
    assert meetings is not None and count == 9  # three calendars, three past meetings each
    assert snapshot is not None and snapshot.score > 0  # rescored by the jobs that captured them
    assert queued(pg_url) == []


def test_a_sync_of_a_killed_worker_is_run_again_and_captures_each_meeting_once(st, spawn, pg_url, pg_sessions):
    from bot.workers.enqueue import enqueue_connections, with_queue

    path = "/calendar/slow/private.ics"
    body = calendar_with_past_meetings("weekly-slow@ourco", 3)
    with FeedServer() as server:
        url = server.add(path, Route(body=body, content_type="text/calendar", delay=3.0))  # long enough to kill
        [connection_id] = connect(pg_sessions, [url])
        runtime = Runtime(settings=Settings(database_url=pg_url))
        assert with_queue(runtime, lambda app: enqueue_connections(app, runtime)).queued == 1
        runtime.engine.dispose()
        victim = spawn("worker")
        deadline = time.monotonic() + 30
        while server.hits[path] == 0:
            assert time.monotonic() < deadline, "the worker never read the calendar"
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        server.add(path, Route(body=body, content_type="text/calendar"))  # answers at once from now on
        time.sleep(1.5)  # the victim's heartbeat is now older than STRONGTIE_WORKER_STALLED_SECONDS=1
        result = st("worker", "--burst")
        assert "1 job of dead workers run again" in result.output
        assert server.hits[path] == 2
    with pg_sessions() as session:
        assert session.get(Connection, connection_id).status == "ok"
        assert len(session.scalars(select(Interaction).where(Interaction.origin == "calendar")).all()) == 3
    assert queued(pg_url) == []
