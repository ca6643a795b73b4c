"""What a job costs a worker: ``--concurrency N`` means N jobs at once, not capped by the event
loop's default thread pool (cpu_count + 4 threads: 6 on two cores), and the queries that fetch and
finish a job run with no BEGIN and COMMIT around each."""

from __future__ import annotations

import asyncio
import threading
import time

from fakes.feeds import FeedServer, Route, rss, sample_items

from bot.runtime import Runtime
from config.settings import Settings

CONCURRENCY = 8
JOBS = 2 * CONCURRENCY


class Overlap:
    """The most calls of a function running at once."""

    def __init__(self) -> None:
        self.running = self.peak = 0
        self._lock = threading.Lock()

    def wrap(self, func, *, hold: float):
        """``func`` after ``hold`` seconds: long enough for every free thread to take a job meanwhile."""

        def overlapping(*args, **kwargs):
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                time.sleep(hold)
                return func(*args, **kwargs)
            finally:
                with self._lock:
                    self.running -= 1

        return overlapping


def test_a_worker_runs_as_many_jobs_at_once_as_asked(feed_sources, pg_url, monkeypatch):
    from dataclasses import replace

    import bot.workers.tasks as tasks
    from bot.workers.enqueue import enqueue_polls, with_queue
    from bot.workers.run import work

    overlap = Overlap()
    monkeypatch.setattr(tasks, "poll_sources", overlap.wrap(tasks.poll_sources, hold=1.0))
    runtime = Runtime(settings=replace(Settings(database_url=pg_url), allow_private_networks=True))
    with FeedServer() as server:
        urls = [server.add(f"/f{i}.xml", Route(body=rss(sample_items(f"f{i}", 2)))) for i in range(JOBS)]
        feed_sources(urls)
        assert with_queue(runtime, lambda app: enqueue_polls(app, runtime)).queued == JOBS
        asyncio.run(work(runtime, concurrency=CONCURRENCY, burst=True, install_signal_handlers=False))
        assert sorted(server.hits.values()) == [1] * JOBS
    runtime.engine.dispose()
    assert overlap.peak == CONCURRENCY


def test_a_workers_queue_connections_run_each_query_without_a_transaction_around_it(pg_url):
    from bot.workers.app import build_app, ensure_queue_schema_async

    async def autocommit_of(app) -> bool:
        async with app.open_async():
            await ensure_queue_schema_async(app)
            async with app.connector.pool.connection() as connection:
                return connection.autocommit

    assert asyncio.run(autocommit_of(build_app(pg_url, worker=True))) is True
    assert asyncio.run(autocommit_of(build_app(pg_url))) is False  # the App that queues keeps psycopg's default
