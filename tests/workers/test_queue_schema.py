"""The queue's schema as strongtie keeps it: procrastinate's, plus an index on job locks that
procrastinate lacks (without it a fetch can read every waiting job), added to a queue created
without it; and a queue's statistics refreshed after a large enqueue, so that its planner knows
how many jobs wait."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import text

from bot.workers.app import LOCK_INDEX, build_app, ensure_queue_schema, ensure_queue_schema_async
from bot.workers.enqueue import ANALYZE_AFTER
from models.base import make_engine


def scalar(pg_url: str, query: str):
    engine = make_engine(pg_url)
    with engine.connect() as connection:
        value = connection.scalar(text(query))
    engine.dispose()
    return value


def lock_index(pg_url: str) -> str | None:
    return scalar(pg_url, f"SELECT indexdef FROM pg_indexes WHERE indexname = '{LOCK_INDEX}' AND schemaname = current_schema()")


def test_init_creates_the_queue_with_an_index_on_job_locks(st, pg_url):
    assert "Job queue created." in st("init").output
    definition = lock_index(pg_url)
    assert definition is not None and "(lock)" in definition and "'todo'" in definition and "'doing'" in definition


def test_a_queue_created_without_the_lock_index_gets_it_from_the_next_enqueue_or_worker(pg_url):
    for ensure in ("enqueue", "worker"):
        app = build_app(pg_url)
        with app.open():
            ensure_queue_schema(app)
            app.connector.get_sync_connector().execute_query(f"DROP INDEX {LOCK_INDEX}")
        assert lock_index(pg_url) is None
        if ensure == "enqueue":
            with app.open():
                assert ensure_queue_schema(app) is False  # the schema was there: only the index is new
        else:
            async def start(worker_app) -> bool:
                async with worker_app.open_async():
                    return await ensure_queue_schema_async(worker_app)

            assert asyncio.run(start(build_app(pg_url, worker=True))) is False
        assert lock_index(pg_url) is not None, ensure


def test_a_large_enqueue_refreshes_the_queues_statistics(feed_sources, pg_url):
    from bot.runtime import Runtime
    from bot.workers.enqueue import Enqueued, enqueue_polls, with_queue
    from config.settings import Settings

    analyzed = ("SELECT coalesce(analyze_count, 0) FROM pg_stat_user_tables "
                "WHERE relname = 'procrastinate_jobs' AND schemaname = current_schema()")
    runtime = Runtime(settings=Settings(database_url=pg_url))
    with_queue(runtime, lambda app: Enqueued(queued=ANALYZE_AFTER - 1))
    time.sleep(0.5)
    assert scalar(pg_url, analyzed) == 0  # a small enqueue leaves it to autovacuum
    feed_sources([f"http://127.0.0.1:9/{i}.xml" for i in range(ANALYZE_AFTER)])
    assert with_queue(runtime, lambda app: enqueue_polls(app, runtime)).queued == ANALYZE_AFTER
    runtime.engine.dispose()
    deadline = time.monotonic() + 10
    while scalar(pg_url, analyzed) == 0:  # the statistics may be reported a moment later
        assert time.monotonic() < deadline, "the queue was not analyzed"
        time.sleep(0.1)
