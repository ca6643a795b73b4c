"""The APScheduler 3 pieces :mod:`bot.scheduler` is built from: a background scheduler that stops
cleanly on a persistent store, and a thread pool executor whose running jobs can be waited for with
a time limit."""

from __future__ import annotations

import concurrent.futures
import threading

from apscheduler.executors.pool import BasePoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED


class StoppableBackgroundScheduler(BackgroundScheduler):
    """APScheduler 3's thread makes one more pass over due jobs after ``shutdown()`` wakes it; with a
    persistent store that pass would record a due run as done although its executor is already shut
    down (the run would be lost). This pass is skipped once stopped."""

    def _process_jobs(self):
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


class TrackedThreadPool(concurrent.futures.ThreadPoolExecutor):
    """A thread pool that knows which of its jobs are still running, so stopping can wait for them
    with a time limit (APScheduler's own shutdown waits without one)."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers, thread_name_prefix="strongtie-job")
        self._running: set[concurrent.futures.Future] = set()
        self._changed = threading.Condition()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        """Run ``fn`` on the pool, counted as running until it finishes."""
        future = super().submit(fn, *args, **kwargs)
        with self._changed:
            self._running.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: concurrent.futures.Future) -> None:
        with self._changed:
            self._running.discard(future)
            self._changed.notify_all()

    def wait_idle(self, timeout: float | None) -> bool:
        """Wait until no job runs (at most ``timeout`` seconds); whether none does."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._running, timeout)


class JobExecutor(BasePoolExecutor):
    """APScheduler's thread pool executor on a :class:`TrackedThreadPool`."""

    def __init__(self, max_workers: int) -> None:
        self.pool = TrackedThreadPool(max_workers)
        super().__init__(self.pool)
