"""Queue work for the workers: what ``strongtie poll --enqueue`` and, with ``STRONGTIE_WORKERS=external``,
the scheduler's poll cycle and digests call instead of doing the work themselves.

Every job is queued with a ``queueing_lock`` and a ``lock`` naming what it works on: a source or
connection already waiting in the queue is not queued twice (however often the scheduler or an
operator enqueues), and two jobs for one source or one connection never run at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued

from bot.runtime import Runtime
from bot.workers.app import build_app, ensure_queue_schema, refresh_queue_statistics
from models.store.connections import due_connections
from models.store.sources import pollable_sources
from models.timeline import utcnow

log = logging.getLogger(__name__)

#: How many scoring jobs a cycle splits the tracked relationships into.
SCORE_SHARDS = 4
#: Queuing at least this many jobs at once refreshes the queue's statistics (bot/workers/app.py).
ANALYZE_AFTER = 100


@dataclass
class Enqueued:
    """How many jobs were queued, and how many were already waiting (not queued again)."""

    queued: int = 0
    already: int = 0

    def add(self, other: "Enqueued") -> "Enqueued":
        """Both counts summed."""
        return Enqueued(self.queued + other.queued, self.already + other.already)

    def line(self, what: str = "job") -> str:
        """``Queued 3 jobs (2 already waiting).``"""
        waiting = f" ({self.already} already waiting)" if self.already else ""
        return f"Queued {self.queued} {what}{'' if self.queued == 1 else 's'}{waiting}."


def _defer(app: procrastinate.App, task: str, key: str, **kwargs) -> Enqueued:
    """Queue one job under the lock and queueing lock ``key``; a job already waiting under it stays."""
    try:
        app.tasks[task].configure(lock=key, queueing_lock=key).defer(**kwargs)
    except AlreadyEnqueued:
        return Enqueued(already=1)
    return Enqueued(queued=1)


def enqueue_polls(app: procrastinate.App, runtime: Runtime, *, force: bool = False,
                  now: datetime | None = None) -> Enqueued:
    """One job per due source (``force``: every enabled source)."""
    with runtime.session() as session:
        ids = [source.id for source in pollable_sources(session=session, now=now or utcnow(), force=force)]
    total = Enqueued()
    for source_id in ids:
        total = total.add(_defer(app, "strongtie:poll_source", f"source:{source_id}", source_id=source_id, force=force))
    return total


def enqueue_connections(app: procrastinate.App, runtime: Runtime, *, force: bool = False,
                        now: datetime | None = None) -> Enqueued:
    """One job per due connection, a member's calendar or mailbox (``force``: every enabled one)."""
    with runtime.session() as session:
        ids = [connection.id for connection in due_connections(session=session, now=now or utcnow(), force=force)]
    total = Enqueued()
    for connection_id in ids:
        total = total.add(_defer(app, "strongtie:sync_connection", f"connection:{connection_id}",
                                 connection_id=connection_id, force=force))
    return total


def enqueue_cycle(app: procrastinate.App, runtime: Runtime, *, now: datetime | None = None) -> Enqueued:
    """The scheduler's poll cycle as jobs: each due source, each due connection, the members' feeds,
    scoring in :data:`SCORE_SHARDS` shards, then suggestions, deliveries and interrupted digests."""
    moment = now or utcnow()
    total = enqueue_polls(app, runtime, now=moment)
    total = total.add(enqueue_connections(app, runtime, now=moment))
    total = total.add(_defer(app, "strongtie:member_feeds", "member-feeds"))
    for shard in range(SCORE_SHARDS):
        total = total.add(_defer(app, "strongtie:score_shard", f"score:{shard}/{SCORE_SHARDS}",
                                 shard=shard, shards=SCORE_SHARDS, as_of=None))
    return total.add(_defer(app, "strongtie:suggest_and_deliver", "suggest-and-deliver"))


def enqueue_digest(app: procrastinate.App, team: str, local_date: date) -> Enqueued:
    """One team's digest for one team-local day."""
    return _defer(app, "strongtie:digest", f"digest:{team}:{local_date.isoformat()}",
                  team=team, local_date=local_date.isoformat())


def with_queue(runtime: Runtime, work: Callable[[procrastinate.App], Enqueued]) -> Enqueued:
    """Open the deployment's queue (creating its schema if missing), run ``work(app)``, refresh the
    queue's statistics if it queued :data:`ANALYZE_AFTER` jobs or more, close it."""
    app = build_app(runtime.settings.database_url)
    with app.open():
        ensure_queue_schema(app)
        enqueued = work(app)
        if enqueued.queued >= ANALYZE_AFTER:
            refresh_queue_statistics(app)
        return enqueued


def scheduled_cycle(runtime: Runtime) -> str:
    """What the scheduler's poll cycle does with ``STRONGTIE_WORKERS=external``: queue it; a log line."""
    return "poll cycle: " + with_queue(runtime, lambda app: enqueue_cycle(app, runtime)).line()


def scheduled_digest(runtime: Runtime, team: str, local_date: date) -> str:
    """What a scheduled digest does with ``STRONGTIE_WORKERS=external``: queue it; a log line."""
    return f"digest {team} {local_date}: " + with_queue(runtime, lambda app: enqueue_digest(app, team, local_date)).line()
