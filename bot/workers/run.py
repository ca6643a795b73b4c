"""Run a worker: take queued jobs and run them, ``concurrency`` at a time (each sync job in a thread
of its own), until stopped (SIGINT/SIGTERM) or, with ``burst``, until no job is due.

procrastinate runs a synchronous task on the event loop's default thread pool, which Python caps at
``cpu_count + 4`` threads (6 on two cores): the worker gives the loop a pool of exactly
``concurrency`` threads, so ``--concurrency 8`` runs eight jobs at once.

A worker sends a heartbeat every third of ``STRONGTIE_WORKER_STALLED_SECONDS``. A worker killed
mid-job (SIGKILL, a lost machine) sends none; once its heartbeat is older than that, any other
worker hands its running jobs back to the queue, at start and then every heartbeat interval, so
they run again elsewhere (procrastinate notes stalled jobs but leaves retrying them to the app).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import procrastinate

from bot.runtime import Runtime
from bot.workers.app import build_app, ensure_queue_schema_async
from bot.workers.backend import require_postgres

log = logging.getLogger(__name__)


@dataclass
class WorkerSummary:
    """What one worker run did beyond its jobs (which it logs one line each)."""

    requeued: int = 0  # jobs of dead workers handed back to the queue

    def line(self) -> str:
        """The one line ``strongtie worker`` prints when it stops."""
        return f"Worker stopped; {self.requeued} job{'' if self.requeued == 1 else 's'} of dead workers run again."


async def requeue_stalled_jobs(app: procrastinate.App, *, stalled_seconds: float) -> int:
    """Hand every running job of a worker whose heartbeat is older than ``stalled_seconds`` back to
    the queue; returns how many."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds))
    for job in stalled:
        log.warning("job %s (%s) belonged to a worker without a heartbeat for %s s; queued again",
                    job.id, job.call_string, stalled_seconds)
        await app.job_manager.retry_job(job)
    return len(stalled)


async def _requeue_forever(app: procrastinate.App, summary: WorkerSummary, *, stalled_seconds: float,
                           every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            summary.requeued += await requeue_stalled_jobs(app, stalled_seconds=stalled_seconds)
        except Exception:  # the next beat tries again; a worker must not die of it
            log.exception("could not look for the jobs of dead workers")


async def work(runtime: Runtime, *, concurrency: int = 1, burst: bool = False,
               install_signal_handlers: bool = True) -> WorkerSummary:
    """Run queued jobs until stopped or, with ``burst``, until none is due (jobs of dead workers
    included: a burst runs again while it finds some to hand back)."""
    require_postgres(runtime.settings.database_url, "strongtie worker")
    runtime.engine  # noqa: B018  (the schema is up to date before any job runs)
    threads = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="job")
    asyncio.get_running_loop().set_default_executor(threads)
    try:
        return await _work(runtime, concurrency=concurrency, burst=burst, install_signal_handlers=install_signal_handlers)
    finally:
        threads.shutdown(wait=True)


async def _work(runtime: Runtime, *, concurrency: int, burst: bool, install_signal_handlers: bool) -> WorkerSummary:
    stalled = runtime.settings.worker_stalled_seconds
    heartbeat = stalled / 3
    app = build_app(runtime.settings.database_url, worker=True)
    options = dict(concurrency=concurrency, additional_context={"runtime": runtime},
                   install_signal_handlers=install_signal_handlers, update_heartbeat_interval=heartbeat,
                   stalled_worker_timeout=stalled, fetch_job_polling_interval=min(5.0, heartbeat),
                   delete_jobs="successful")
    summary = WorkerSummary()
    async with app.open_async():
        await ensure_queue_schema_async(app)
        summary.requeued += await requeue_stalled_jobs(app, stalled_seconds=stalled)
        if burst:
            while True:
                await app.run_worker_async(wait=False, **options)
                found = await requeue_stalled_jobs(app, stalled_seconds=stalled)
                summary.requeued += found
                if not found:
                    return summary
        reaper = asyncio.create_task(_requeue_forever(app, summary, stalled_seconds=stalled, every=heartbeat))
        try:
            await app.run_worker_async(wait=True, **options)
        finally:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
    return summary


def run_worker(runtime: Runtime, *, concurrency: int = 1, burst: bool = False) -> WorkerSummary:
    """:func:`work` from synchronous code (the ``strongtie worker`` command)."""
    return asyncio.run(work(runtime, concurrency=concurrency, burst=burst))
