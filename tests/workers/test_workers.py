"""Workers on PostgreSQL: queued polls run by ``strongtie worker`` processes, each source exactly
once, none lost when a worker dies, and the embedded SQLite store refused with a clear reason."""

from __future__ import annotations

import signal
import time
from dataclasses import replace
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from fakes.feeds import FeedServer, Route, rss, sample_items
from sqlalchemy import text

from bot.runtime import Runtime
from config.settings import Settings
from models.base import make_engine
from models.entities import Post, Source


def queued(pg_url: str) -> list[tuple[str, str, str | None]]:
    """(task, status, lock) of every job in the test's queue."""
    engine = make_engine(pg_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT task_name, status, lock FROM procrastinate_jobs ORDER BY id")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def serve(server: FeedServer, count: int, *, delay: float = 0.0) -> list[str]:
    """``count`` feeds of two items each; their URLs."""
    return [server.add(f"/f{i}.xml", Route(body=rss(sample_items(f"f{i}", 2)), delay=delay)) for i in range(count)]


def paths(urls: list[str]) -> list[str]:
    return ["/" + url.rsplit("/", 1)[1] for url in urls]


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def stored(pg_sessions) -> tuple[int, set[str]]:
    """How many posts are stored, and the statuses of the sources."""
    with pg_sessions() as session:
        return session.query(Post).count(), {s.last_status for s in session.query(Source)}


def test_enqueued_sources_are_polled_once_each_by_a_burst_worker(st, feed_sources, pg_url, pg_sessions):
    with FeedServer() as server:
        urls = serve(server, 3)
        ids = feed_sources(urls)
        init = st("init")
        assert "Job queue created." in init.output and "Job queue is in place." in st("init").output
        result = st("poll", "--enqueue")
        assert result.exit_code == 0 and "Queued 3 poll jobs." in result.output
        assert [each for each in server.hits.values() if each] == []  # queued, not polled
        assert sorted(lock for _, _, lock in queued(pg_url)) == sorted(f"source:{i}" for i in ids)
        done = st("worker", "--burst", "--concurrency", "2")
        assert done.exit_code == 0, done.output
        assert [server.hits[p] for p in paths(urls)] == [1, 1, 1]
    assert stored(pg_sessions) == (6, {"ok"})
    assert queued(pg_url) == []  # succeeded jobs leave the queue


def test_enqueueing_twice_queues_one_job_per_source(st, feed_sources, pg_url):
    ids = feed_sources(["http://127.0.0.1:9/a.xml", "http://127.0.0.1:9/b.xml"])
    assert "Queued 2 poll jobs." in st("poll", "--enqueue").output
    again = st("poll", "--enqueue", "--force")
    assert "Queued 0 poll jobs (2 already waiting)." in again.output
    assert sorted(lock for _, _, lock in queued(pg_url)) == sorted(f"source:{i}" for i in ids)


def test_two_burst_worker_processes_in_parallel_poll_every_source_exactly_once(st, spawn, feed_sources, pg_sessions):
    with FeedServer() as server:
        urls = serve(server, 8, delay=0.2)
        feed_sources(urls)
        st("poll", "--enqueue")
        workers = [spawn("worker", "--burst", "--concurrency", "2") for _ in range(2)]
        for worker in workers:
            out, err = worker.communicate(timeout=90)
            assert worker.returncode == 0, err
            assert "Worker stopped" in out
        assert [server.hits[p] for p in paths(urls)] == [1] * 8
    assert stored(pg_sessions) == (16, {"ok"})


def test_a_job_of_a_killed_worker_is_run_again_by_another(st, spawn, feed_sources, pg_url, pg_sessions):
    with FeedServer() as server:
        [url] = serve(server, 1, delay=3.0)  # the first read hangs long enough to kill its worker
        feed_sources([url])
        st("poll", "--enqueue")
        victim = spawn("worker")
        wait_for(lambda: server.hits[paths([url])[0]] == 1)
        assert [status for _, status, _ in queued(pg_url)] == ["doing"]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        server.add(paths([url])[0], Route(body=rss(sample_items("f0", 2))))  # answers at once from now on
        time.sleep(1.5)  # the victim's heartbeat is now older than STRONGTIE_WORKER_STALLED_SECONDS=1
        result = st("worker", "--burst")
        assert "1 job of dead workers run again" in result.output
        assert server.hits[paths([url])[0]] == 2
    assert stored(pg_sessions) == (2, {"ok"})  # posts are insert-once: read twice, stored once
    assert queued(pg_url) == []


def test_the_queue_schema_lives_in_the_tests_schema_and_alembic_leaves_it_alone(st, pg_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from models.base import Base
    from models.schema import include_object

    st("init")
    schema = pg_url.rsplit("search_path%3D", 1)[1]
    engine = make_engine(pg_url)
    with engine.connect() as connection:
        where = connection.scalar(text("SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = 'procrastinate_jobs'::regclass"))
        unfiltered = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        filtered = compare_metadata(MigrationContext.configure(connection, opts={"include_object": include_object}), Base.metadata)
    engine.dispose()
    assert where == schema
    assert any(diff[0] == "remove_table" and diff[1].name == "procrastinate_jobs" for diff in unfiltered)
    assert filtered == []


@pytest.mark.parametrize("args", [
    pytest.param(("worker",), id="worker"),
    pytest.param(("worker", "--burst"), id="worker-burst"),
    pytest.param(("poll", "--enqueue"), id="poll-enqueue"),
])
def test_sqlite_refuses_workers_and_says_why(args, tmp_path, monkeypatch):
    from bot.cli.main import main

    monkeypatch.setenv("STRONGTIE_DATABASE_URL", f"sqlite:///{tmp_path / 'strongtie.db'}")
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 1
    assert "needs PostgreSQL: the embedded SQLite store runs in one process" in result.output
    assert "Traceback" not in result.output


def test_external_workers_need_postgresql(tmp_path):
    from config.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="STRONGTIE_WORKERS=external needs a PostgreSQL"):
        load_settings({"STRONGTIE_WORKERS": "external", "STRONGTIE_DATABASE_URL": f"sqlite:///{tmp_path}/s.db"})
    with pytest.raises(SettingsError, match="STRONGTIE_WORKERS must be one of inprocess, external"):
        load_settings({"STRONGTIE_WORKERS": "elsewhere"})


class _Leader:
    """What the scheduler's jobs need of the scheduler: its runtime, the lease, the clock."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def holds_lease(self) -> bool:
        return True

    def now(self):
        from models.timeline import utcnow

        return utcnow()


def test_the_scheduler_enqueues_instead_of_working_when_workers_are_external(st, feed_sources, pg_url, monkeypatch):
    from bot import scheduler
    from models.store.teams import all_teams

    runtime = Runtime(settings=replace(Settings(database_url=pg_url), workers="external", allow_private_networks=True))
    monkeypatch.setitem(scheduler._active, "scheduler", _Leader(runtime))
    with FeedServer() as server:
        urls = serve(server, 2)
        ids = feed_sources(urls)
        scheduler.run_poll_cycle()
        scheduler.run_poll_cycle()  # the next cycle while the first's jobs still wait: nothing twice
        assert sum(server.hits.values()) == 0  # the scheduler itself polled nothing
        with runtime.session() as session:
            team = all_teams(session=session)[0]
        scheduler.run_digest(team.id)
    jobs = queued(pg_url)
    assert all(status == "todo" for _, status, _ in jobs)
    tasks = [task for task, _, _ in jobs]
    assert tasks.count("strongtie:poll_source") == 2 and len(tasks) == len(set(zip(tasks, [lock for *_, lock in jobs])))
    assert {lock for _, _, lock in jobs if lock.startswith("source:")} == {f"source:{i}" for i in ids}
    assert tasks.count("strongtie:score_shard") == 4
    assert {"strongtie:member_feeds", "strongtie:suggest_and_deliver", "strongtie:digest"} <= set(tasks)
    assert "strongtie:sync_connection" not in tasks  # one job per due connection, and none is connected
    [digest_lock] = [lock for task, _, lock in jobs if task == "strongtie:digest"]
    assert digest_lock.startswith("digest:Enterprise:") and date.fromisoformat(digest_lock.rsplit(":", 1)[1])
    runtime.engine.dispose()


def test_a_digest_queued_twice_for_one_team_day_reaches_its_channel_once(pg_url):
    import asyncio

    from digest.seed_world import MONDAY, seed, slack_runtime
    from fakes.slack_api import FakeSlackAPI

    from bot.workers.enqueue import enqueue_digest, with_queue
    from bot.workers.run import work

    with FakeSlackAPI() as fake:
        runtime = slack_runtime(pg_url, fake)
        seed(runtime)
        tuesday = MONDAY.date() + timedelta(days=1)  # not a Monday: no chart to draw
        for _ in range(2):  # the second after the first ran: the queue takes it, the digest's claim refuses it
            line = with_queue(runtime, lambda app: enqueue_digest(app, "East", tuesday))
            assert line.queued == 1
            asyncio.run(work(runtime, burst=True, install_signal_handlers=False))
        posted = [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == "C0EAST"]
    assert len(posted) == 1
    assert queued(pg_url) == []
    runtime.engine.dispose()
