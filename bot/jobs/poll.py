"""Polling job: read every due source concurrently and store what is new.

The scheduler (or ``strongtie poll``) only calls :func:`poll_job`; the source rows say what is due.
Worker threads do the network reads (politely: at most ``poll_per_host`` at once per host); the
calling thread stores the results as they arrive, so SQLite sees a single writer. It stores every
result that has arrived since its last transaction together (a few statements and one commit for
up to :data:`~bot.jobs.poll_reads.STORE_BATCH` sources): the storing thread shares the
interpreter lock with the readers, and each statement costs it a wait for the lock. Records and the new cursor are committed
together, so a crash mid-pass re-fetches rather than loses or duplicates. One bad source never
stops a pass: when a batch cannot be stored, its sources are stored again one per transaction, and
every failure is recorded on its own row.
"""

from __future__ import annotations

import logging
import queue
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Collection, Mapping

from bot.jobs.capture import CaptureSummary, sync_connections
from bot.jobs.poll_reads import HostLimiter, Outcome, Task, interleave_hosts, next_batch, read_source, task_for
from bot.jobs.social import read_member_feeds, store_conversation
from bot.runtime import Runtime
from connectors.base import (
    Connector,
    ConnectorError,
    FetchResult,
    GoneError,
    NotConfiguredError,
    PagedConnector,
    RateLimitedError,
    RetriableError,
    redact,
)
from connectors.metering import MonthlyBudget, month_bounds, month_period
from connectors.registry import build_connectors, metered_connectors, secrets_of
from connectors.safety import UnsafeURLError
from models import next_check
from models.store import clean
from models.store.posts import SourcePosts, store_posts_of
from models.store.sources import (
    CursorUpdate,
    ReadSuccess,
    pollable_sources,
    save_failure,
    save_successes,
)
from models.store.usage import add_api_units, api_units
from models.timeline import utcnow

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]


@dataclass
class PollSummary:
    """What one pass did; ``line()`` is the one-line report of ``strongtie poll``."""

    sources: int = 0
    new_posts: int = 0
    not_modified: int = 0
    errors: int = 0
    skipped: int = 0
    disabled: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    capture: CaptureSummary | None = None  # the connections synced in the same pass

    def line(self) -> str:
        """The one-line report printed at the end of ``strongtie poll``."""
        parts = [
            f"{self.new_posts} new post{'s' if self.new_posts != 1 else ''}",
            f"{self.not_modified} not modified (304)",
            f"{self.errors} error{'s' if self.errors != 1 else ''}",
        ]
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.disabled:
            parts.append(f"{self.disabled} disabled")
        synced = f" {self.capture.line()}" if self.capture and self.capture.connections else ""
        return f"Polled {self.sources} source{'s' if self.sources != 1 else ''}: {', '.join(parts)} in {self.seconds:.1f} s.{synced}"


def _failure_of(error: ConnectorError) -> next_check.Failure:
    """What kind of failure ``error`` is, for the next-check rule (a subclass before its base)."""
    if isinstance(error, RateLimitedError):
        return next_check.RATE_LIMITED
    if isinstance(error, RetriableError):
        return next_check.RETRIABLE
    if isinstance(error, NotConfiguredError):
        return next_check.NOT_CONFIGURED
    if isinstance(error, UnsafeURLError):  # refused before any request, as a setting decides
        return next_check.SETTING
    return next_check.FATAL


class _Pass:
    """One polling pass: plan, read concurrently, store as results arrive."""

    def __init__(self, runtime: Runtime, *, force: bool, now: datetime, progress: ProgressCallback | None,
                 source_ids: Collection[int] | None = None) -> None:
        self.source_ids = source_ids  # only these sources (one worker job's share), or every due one
        self.runtime = runtime
        self.settings = runtime.settings
        self.force = force
        self.now = now
        self.progress = progress
        self.min_interval = self.settings.poll_interval_minutes * 60
        self.max_interval = self.settings.poll_max_interval_hours * 3600
        self.secrets = secrets_of(self.settings)
        self.summary = PollSummary()

    def run(self) -> PollSummary:
        """Plan the pass, read the due sources concurrently, store the results in batches as they arrive."""
        started = time.monotonic()
        connectors = build_connectors(self.settings)
        tasks = self._plan(connectors)
        limiter = HostLimiter(self.settings.poll_per_host)
        arrived: queue.SimpleQueue[Outcome | BaseException] = queue.SimpleQueue()

        def deliver(future: Future[Outcome]) -> None:
            try:
                arrived.put(future.result())
            except BaseException as exc:  # noqa: BLE001 - handed to the storing thread, which raises it
                arrived.put(exc)

        pool = ThreadPoolExecutor(max_workers=self.settings.poll_concurrency, thread_name_prefix="poll")
        try:
            for task in interleave_hosts(tasks):
                pool.submit(read_source, task, limiter).add_done_callback(deliver)
            stored = 0
            while stored < len(tasks):
                batch = next_batch(arrived)
                self._store_batch(batch)
                if self.progress:
                    for done in range(stored + 1, stored + len(batch) + 1):
                        self.progress(done, len(tasks))
                stored += len(batch)
        finally:
            # On a crash, do not keep reading sources whose results nobody will store.
            pool.shutdown(wait=True, cancel_futures=True)
        if self.source_ids is None:  # a worker job's share leaves members' feeds to a job of their own
            read_member_feeds(self.runtime, connectors, now=self.now)  # members' replies and reposts (bot/jobs/social.py)
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _plan(self, connectors: Mapping[str, Connector]) -> list[Task]:
        """Due sources as tasks; sources of a metered API get their share of its monthly budget (or wait)."""
        metered = metered_connectors(connectors)
        with self.runtime.session() as session:
            sources = pollable_sources(session=session, now=self.now, force=self.force, ids=self.source_ids)
            tasks = [task_for(source, connectors[source.kind]) for source in sources]
            self.summary.sources = len(tasks)
            due = {task.connector.metered_provider for task in tasks}
            used = {p: api_units(p, month_period(self.now), session=session) for p in metered if p in due}
        for provider, units in used.items():
            tasks = self._within_budget(tasks, metered[provider], units)
        return tasks

    def _within_budget(self, tasks: list[Task], connector: Connector, used: int) -> list[Task]:
        """``tasks`` with the reads of ``connector``'s sources capped by its monthly budget; the
        sources whose share is too small for one read are postponed, not read."""
        if not connector.configured:
            return tasks
        billed = [t for t in tasks if t.connector is connector]
        min_page = connector.min_page_size if isinstance(connector, PagedConnector) else 1
        budget = MonthlyBudget.plan(connector.metering, used=used, due=len(billed), now=self.now, min_page=min_page)
        if budget.per_source is None:
            return tasks
        shares = dict(zip((t.source_id for t in billed), budget.shares(len(billed))))
        planned: list[Task] = []
        for task in tasks:
            share = shares.get(task.source_id)
            if share is None:
                planned.append(task)
            elif share >= min_page:
                planned.append(replace(task, limit=share))
            else:
                self._postpone_for_budget(task, budget.wait_until or month_bounds(self.now)[1])
        return planned

    def _postpone_for_budget(self, task: Task, until: datetime) -> None:
        budget = f"{task.connector.network} monthly budget ({task.connector.budget_setting})"
        with self.runtime.session() as session:
            save_failure(
                task.source_id,
                session=session,
                now=self.now,
                status="budget",
                message=f"{budget} is paced: next read after {until:%Y-%m-%d %H:%M} UTC",
                next_check_at=until,
                count_as_error=False,
            )
        self.summary.skipped += 1

    def _store_batch(self, batch: list[Outcome]) -> None:
        """Store the results of a batch of reads: the successes in one transaction (or, when that
        fails, one per source, so only the source at fault fails), each failure on its own row."""
        successes = []
        for outcome in batch:
            self._count_units(outcome.task, outcome.units)
            if outcome.error is None:
                successes.append(outcome)
            else:
                self._store(outcome)
        if len(successes) > 1:
            try:
                self._store_successes(successes)
                return
            except Exception:  # the store refused one of them: find which, storing them one by one
                log.info("could not store %d reads together; storing them one by one", len(successes), exc_info=True)
        for outcome in successes:
            self._store(outcome)

    def _store(self, outcome: Outcome) -> None:
        task = outcome.task
        try:
            if outcome.error is not None:
                self._store_failure(task, outcome.error)
            else:
                self._store_successes([outcome])
        except Exception as exc:  # the store refused this source; the others go on
            log.exception("could not store the read of %s", task.label)
            error = RetriableError(f"could not store what was read ({type(exc).__name__}); it will be read again")
            self._store_failure(task, error)

    def _count_units(self, task: Task, units: int) -> None:
        """Count the units a metered API billed for this read in a transaction of their own,
        before anything else of the read is stored: whatever happens to the records next (a
        store failure, a crash), the spend is known and the budget paces the retry."""
        provider = task.connector.metered_provider
        if not provider or units <= 0:
            return
        try:
            with self.runtime.session() as session:
                add_api_units(provider, month_period(self.now), units, session=session)
        except Exception:  # the records are still worth storing
            log.exception("could not count the %d %s units billed for reading %s", units, provider, task.label)

    def _store_successes(self, outcomes: list[Outcome]) -> None:
        """Store successful reads, their posts and their sources' new cursors, in one transaction."""
        reads: list[SourcePosts] = []
        saved: list[ReadSuccess] = []
        with self.runtime.session() as session:
            for outcome in outcomes:
                task, result = outcome.task, outcome.result
                assert result is not None
                records = store_conversation(task.customer_id, task.ref.kind, result.records, session=session, now=self.now,
                                             params=self.runtime.scoring)  # replies and reposts to members (bot/jobs/social.py)
                reads.append(SourcePosts(task.source_id, task.customer_id, records))
                saved.append(self._read_success(task, result))
            new_posts = store_posts_of(reads, session=session, fetched_at=self.now)
            save_successes(saved, session=session)
        self.summary.new_posts += sum(new_posts)
        self.summary.not_modified += sum(int(outcome.result.not_modified) for outcome in outcomes if outcome.result)

    def _read_success(self, task: Task, result: FetchResult) -> ReadSuccess:
        """What to save on the source row after ``result``: its cursor, health and next check."""
        after = next_check.after_read(
            now=self.now,
            min_interval_seconds=self.min_interval,
            previous_interval_seconds=task.interval_seconds,
            not_modified=result.not_modified,
            published=[record.published_at for record in result.records],
            max_interval_seconds=self.max_interval,
        )
        cursor = result.cursor
        return ReadSuccess(
            task.source_id,
            CursorUpdate(cursor.url, cursor.etag, cursor.last_modified, cursor.since_id, cursor.external_user_id, cursor.extra),
            now=self.now,
            status="not_modified" if result.not_modified else "ok",
            warning=redact(result.warning, self.secrets) if result.warning else None,
            next_check_at=after.at,
            interval_seconds=after.interval_seconds,
        )

    def _store_failure(self, task: Task, error: ConnectorError) -> None:
        after = next_check.after_failure(
            _failure_of(error),
            now=self.now,
            min_interval_seconds=self.min_interval,
            error_count=task.error_count,
            retry_after=error.retry_after,
            recheck_seconds=task.connector.fatal_retry_seconds,
        )
        message = redact(error.message, self.secrets)
        with self.runtime.session() as session:
            save_failure(
                task.source_id,
                session=session,
                now=self.now,
                status=error.status,
                message=message,
                next_check_at=after.at,
                count_as_error=not isinstance(error, NotConfiguredError),
                disable=isinstance(error, GoneError),
                external_user_id=error.cursor.external_user_id if error.cursor else None,
            )
        if isinstance(error, NotConfiguredError):
            self.summary.skipped += 1
            return
        if isinstance(error, GoneError):
            self.summary.disabled += 1
        self.summary.errors += 1
        # As stored: a server's words quoted in an error carry no terminal escapes to the console.
        self.summary.problems.append(f"{task.label}: {clean.prose(message, clean.ERROR_LIMIT)}")


def poll_job(runtime: Runtime, *, force: bool = False, now: datetime | None = None, progress: ProgressCallback | None = None) -> PollSummary:
    """One polling pass over due sources (``force``: every enabled source), then the due connections
    (:mod:`bot.jobs.capture`); return a summary.

    ``progress(done, total)`` is called after each source is stored (for a terminal display).
    """
    moment = now or utcnow()
    summary = _Pass(runtime, force=force, now=moment, progress=progress).run()
    summary.capture = sync_connections(runtime, force=force, now=moment)  # members' calendars and mailboxes
    summary.seconds += summary.capture.seconds
    summary.problems += summary.capture.problems
    return summary


def poll_sources(runtime: Runtime, source_ids: Collection[int], *, force: bool = False, now: datetime | None = None) -> PollSummary:
    """Poll only these sources (those still due; with ``force``, each one still enabled): what one
    queued job of a ``strongtie worker`` does (bot/workers/tasks.py). Members' feeds and the
    connections are jobs of their own there."""
    return _Pass(runtime, force=force, now=now or utcnow(), progress=None, source_ids=list(source_ids)).run()
