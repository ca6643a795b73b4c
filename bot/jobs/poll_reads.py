"""The reading side of a polling pass: a due source as a task, reading it in a worker thread
within its host's limit, and handing the results to the storing thread in batches
(:mod:`bot.jobs.poll` plans the pass and stores)."""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from connectors.base import Connector, ConnectorError, Cursor, FetchResult, RetriableError, SourceRef
from models.entities import Source

log = logging.getLogger(__name__)

#: Most sources whose results are stored in one transaction.
STORE_BATCH = 250


@dataclass(frozen=True)
class Task:
    """One due source to read: where and how (its connector, cursor and host), and what the
    storing side needs to know of it afterwards."""

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
class Outcome:
    """What reading one source gave: its records and cursor, or the error that stopped it."""

    task: Task
    result: FetchResult | None = None
    error: ConnectorError | None = None

    @property
    def units(self) -> int:
        """The units a metered API billed for the read, whether it succeeded or not."""
        if self.result is not None:
            return self.result.units
        return self.error.units if self.error is not None else 0


class HostLimiter:
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


def task_for(source: Source, connector: Connector) -> Task:
    """The task of reading ``source`` with ``connector`` from the cursor stored on its row."""
    ref = SourceRef(kind=source.kind, target=source.target, url=source.url)
    cursor = Cursor(
        url=source.url,
        etag=source.etag,
        last_modified=source.last_modified,
        since_id=source.since_id,
        external_user_id=source.external_user_id,
        extra=dict(source.cursor_extra or {}),
    )
    return Task(
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


def interleave_hosts(tasks: list[Task]) -> list[Task]:
    """Order tasks round-robin across hosts so workers rarely wait on one host's limit."""
    by_host: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        by_host[task.host].append(task)
    queues = list(by_host.values())
    ordered: list[Task] = []
    for index in range(max((len(q) for q in queues), default=0)):
        ordered.extend(q[index] for q in queues if index < len(q))
    return ordered


def read_source(task: Task, limiter: HostLimiter) -> Outcome:
    """Run one connector read in a worker thread; never raises."""
    try:
        with limiter.slot(task.host):
            return Outcome(task, result=task.connector.fetch(task.ref, task.cursor, limit=task.limit))
    except ConnectorError as error:
        return Outcome(task, error=error)
    except Exception as exc:  # a connector bug must not end the pass
        log.exception("unexpected failure reading %s", task.label)
        return Outcome(task, error=RetriableError(f"unexpected {type(exc).__name__}: {exc}"))


def next_batch(arrived: queue.SimpleQueue[Outcome | BaseException]) -> list[Outcome]:
    """The reads that have arrived: wait for one, then take those already there (up to
    :data:`STORE_BATCH`). A failure of the reading machinery itself is raised."""
    batch: list[Outcome] = []
    item = arrived.get()
    while True:
        if isinstance(item, BaseException):
            raise item
        batch.append(item)
        if len(batch) >= STORE_BATCH:
            return batch
        try:
            item = arrived.get_nowait()
        except queue.Empty:
            return batch
