"""Polling job: read every due source concurrently and store what is new, one source per transaction.

The scheduler (or ``strongtie poll``) only calls :func:`poll_job`; the source rows say what is due.
Worker threads do the network reads (politely: at most ``poll_per_host`` at once per host); the
calling thread stores each result as it arrives, so SQLite sees a single writer. Records and the
new cursor are committed together, so a crash mid-pass re-fetches rather than loses or duplicates.
One bad source never stops a pass: every failure is recorded on its own row.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Collection, Iterator, Mapping

from bot.jobs.capture import CaptureSummary, sync_connections
from bot.jobs.social import read_member_feeds, store_conversation
from bot.runtime import Runtime
from connectors.base import (
    Connector,
    ConnectorError,
    Cursor,
    FetchResult,
    GoneError,
    NotConfiguredError,
    PagedConnector,
    RateLimitedError,
    RetriableError,
    SourceRef,
    redact,
)
from connectors.metering import MonthlyBudget, month_bounds, month_period
from connectors.registry import build_connectors, metered_connectors, secrets_of
from connectors.safety import UnsafeURLError
from models import next_check
from models.entities import Source
from models.store import clean
from models.store.posts import store_posts
from models.store.sources import (
    CursorUpdate,
    pollable_sources,
    save_failure,
    save_success,
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


@dataclass(frozen=True)
class _Task:
    source_id: int
    customer_id: int
    label: str
    ref: SourceRef
    cursor: Cursor
    connector: Connector
    host: str
    error_count: int
    interval_seconds: int | None
    limit: int | None = None


@dataclass(frozen=True)
class _Outcome:
    """What reading one source gave: its records and cursor, or the error that stopped it."""

    task: _Task
    result: FetchResult | None = None
    error: ConnectorError | None = None

    @property
    def units(self) -> int:
        """The units a metered API billed for the read, whether it succeeded or not."""
        if self.result is not None:
            return self.result.units
        return self.error.units if self.error is not None else 0


class _HostLimiter:
    """At most ``per_host`` reads at once against any one host."""

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of ``host``'s slots for the block, waiting while all of them are taken."""
        with self._lock:
            semaphore = self._semaphores.setdefault(host, threading.BoundedSemaphore(self._per_host))
        with semaphore:
            yield


def _task_for(source: Source, connector: Connector) -> _Task:
    ref = SourceRef(kind=source.kind, target=source.target, url=source.url)
    cursor = Cursor(
        url=source.url,
        etag=source.etag,
        last_modified=source.last_modified,
        since_id=source.since_id,
        external_user_id=source.external_user_id,
        extra=dict(source.cursor_extra or {}),
    )
    return _Task(
        source_id=source.id,
        customer_id=source.customer_id,
        label=f"{source.customer.name} {source.kind}:{source.target}",
        ref=ref,
        cursor=cursor,
        connector=connector,
        host=connector.host(ref),
        error_count=source.error_count or 0,
        interval_seconds=source.check_interval_seconds,
    )


def _interleave_hosts(tasks: list[_Task]) -> list[_Task]:
    """Order tasks round-robin across hosts so workers rarely wait on one host's limit."""
    by_host: dict[str, list[_Task]] = defaultdict(list)
    for task in tasks:
        by_host[task.host].append(task)
    queues = list(by_host.values())
    ordered: list[_Task] = []
    for index in range(max((len(q) for q in queues), default=0)):
        ordered.extend(q[index] for q in queues if index < len(q))
    return ordered


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


def _read(task: _Task, limiter: _HostLimiter) -> _Outcome:
    """Run one connector read in a worker thread; never raises."""
    try:
        with limiter.slot(task.host):
            return _Outcome(task, result=task.connector.fetch(task.ref, task.cursor, limit=task.limit))
    except ConnectorError as error:
        return _Outcome(task, error=error)
    except Exception as exc:  # a connector bug must not end the pass
        log.exception("unexpected failure reading %s", task.label)
        return _Outcome(task, error=RetriableError(f"unexpected {type(exc).__name__}: {exc}"))


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
        """Plan the pass, read the due sources concurrently, store each result as it arrives."""
        started = time.monotonic()
        connectors = build_connectors(self.settings)
        tasks = self._plan(connectors)
        limiter = _HostLimiter(self.settings.poll_per_host)
        pool = ThreadPoolExecutor(max_workers=self.settings.poll_concurrency, thread_name_prefix="poll")
        try:
            futures: list[Future[_Outcome]] = [pool.submit(_read, task, limiter) for task in _interleave_hosts(tasks)]
            for done, future in enumerate(as_completed(futures), start=1):
                self._store(future.result())
                if self.progress:
                    self.progress(done, len(futures))
        finally:
            # On a crash, do not keep reading sources whose results nobody will store.
            pool.shutdown(wait=True, cancel_futures=True)
        if self.source_ids is None:  # a worker job's share leaves members' feeds to a job of their own
            read_member_feeds(self.runtime, connectors, now=self.now)  # members' replies and reposts (bot/jobs/social.py)
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _plan(self, connectors: Mapping[str, Connector]) -> list[_Task]:
        """Due sources as tasks; sources of a metered API get their share of its monthly budget (or wait)."""
        metered = metered_connectors(connectors)
        with self.runtime.session() as session:
            sources = pollable_sources(session=session, now=self.now, force=self.force, ids=self.source_ids)
            tasks = [_task_for(source, connectors[source.kind]) for source in sources]
            self.summary.sources = len(tasks)
            due = {task.connector.metered_provider for task in tasks}
            used = {p: api_units(p, month_period(self.now), session=session) for p in metered if p in due}
        for provider, units in used.items():
            tasks = self._within_budget(tasks, metered[provider], units)
        return tasks

    def _within_budget(self, tasks: list[_Task], connector: Connector, used: int) -> list[_Task]:
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
        planned: list[_Task] = []
        for task in tasks:
            share = shares.get(task.source_id)
            if share is None:
                planned.append(task)
            elif share >= min_page:
                planned.append(replace(task, limit=share))
            else:
                self._postpone_for_budget(task, budget.wait_until or month_bounds(self.now)[1])
        return planned

    def _postpone_for_budget(self, task: _Task, until: datetime) -> None:
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

    def _store(self, outcome: _Outcome) -> None:
        task = outcome.task
        self._count_units(task, outcome.units)
        try:
            if outcome.error is not None:
                self._store_failure(task, outcome.error)
            else:
                self._store_success(task, outcome.result)
        except Exception as exc:  # the store refused this source; the others go on
            log.exception("could not store the read of %s", task.label)
            error = RetriableError(f"could not store what was read ({type(exc).__name__}); it will be read again")
            self._store_failure(task, error)

    def _count_units(self, task: _Task, units: int) -> None:
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

    def _store_success(self, task: _Task, result: FetchResult) -> None:
        after = next_check.after_read(
            now=self.now,
            min_interval_seconds=self.min_interval,
            previous_interval_seconds=task.interval_seconds,
            not_modified=result.not_modified,
            published=[record.published_at for record in result.records],
            max_interval_seconds=self.max_interval,
        )
        cursor = result.cursor
        with self.runtime.session() as session:
            records = store_conversation(task.customer_id, task.ref.kind, result.records, session=session, now=self.now,
                                         params=self.runtime.scoring)  # replies and reposts to members (bot/jobs/social.py)
            new_posts = store_posts(task.source_id, task.customer_id, records, session=session, fetched_at=self.now)
            save_success(
                task.source_id,
                CursorUpdate(cursor.url, cursor.etag, cursor.last_modified, cursor.since_id, cursor.external_user_id, cursor.extra),
                session=session,
                now=self.now,
                status="not_modified" if result.not_modified else "ok",
                warning=redact(result.warning, self.secrets) if result.warning else None,
                next_check_at=after.at,
                interval_seconds=after.interval_seconds,
            )
        self.summary.new_posts += new_posts
        self.summary.not_modified += int(result.not_modified)

    def _store_failure(self, task: _Task, error: ConnectorError) -> None:
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
