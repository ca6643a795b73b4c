"""What a ``strongtie worker`` runs: each task is one slice of the scheduler's cycle, and each calls
the same job function ``strongtie run`` calls in-process (bot/jobs/), so both topologies do the same
work with the same guarantees.

No overlap: every job carries a ``lock`` (procrastinate runs no two jobs with one lock at once) and
is queued with a ``queueing_lock`` (a second job for the same thing is not queued while one waits),
both per source, per connection, per team digest, or per singleton step (bot/workers/enqueue.py).
No loss: a job whose worker died is found by its stale heartbeat and queued again
(bot/workers/run.py); the jobs are crash-safe, as in-process: a poll commits records and cursor
together and posts are insert-once, a connection's sync commits its captures and cursor together
and captures one meeting occurrence or message once, a digest is claimed once per team-local day
and a suggestion DM once
(models/store/digest_runs.py, deliveries.py), so a job run again repeats nothing it finished.

Tasks take plain JSON arguments (ids, ISO dates) and reach the worker's :class:`Runtime` through
the job context (``additional_context["runtime"]``). :func:`register` adds them to an App (a new
App per database: procrastinate ties each task to one App).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import procrastinate
from procrastinate import JobContext

from bot.jobs.capture import sync_connections
from bot.jobs.digest import digest_job, recover_stale_digests_job
from bot.jobs.deliver import deliver_suggestions_job
from bot.jobs.outcome import job_line
from bot.jobs.poll import poll_sources
from bot.jobs.social import read_member_feeds
from bot.jobs.suggest import suggest_job
from bot.runtime import Runtime
from bot.workers.backend import NAMESPACE
from bot.workers.shards import score_shard
from connectors.registry import build_connectors
from models.timeline import utcnow

log = logging.getLogger(__name__)

#: Fetched first: the polls of a cycle, then its scoring, then suggestions and digests (procrastinate
#: takes the highest priority first, so a cycle's scoring mostly sees its polls' posts; any it misses
#: are scored the next cycle).
POLL_PRIORITY, SCORE_PRIORITY, FOLLOW_PRIORITY = 30, 20, 10


def runtime_of(context: JobContext) -> Runtime:
    """The worker's runtime, handed to every job through the context."""
    return context.additional_context["runtime"]


def poll_source(context: JobContext, source_id: int, force: bool = False) -> None:
    """Poll one source (if still due; with ``force``, if still enabled) and store what is new."""
    log.info("%s", job_line(f"poll source {source_id}", poll_sources(runtime_of(context), [source_id], force=force)))


def sync_connection(context: JobContext, connection_id: int, force: bool = False) -> None:
    """Sync one member's calendar or mailbox (if still due; with ``force``, if still enabled) and
    rescore the customers whose captured interactions it changed."""
    summary = sync_connections(runtime_of(context), force=force, connection_ids=[connection_id])
    log.info("%s", job_line(f"sync connection {connection_id}", summary))


def member_feeds(context: JobContext) -> None:
    """Read members' Bluesky and Mastodon feeds for their replies to and reposts of customers."""
    runtime = runtime_of(context)
    touched = read_member_feeds(runtime, build_connectors(runtime.settings), now=utcnow())
    log.info("member feeds: %d customer(s) touched", touched)


def score_shard_task(context: JobContext, shard: int, shards: int, as_of: str | None = None) -> None:
    """Score one shard of the tracked relationships (those whose customer id is ``shard`` modulo ``shards``)."""
    runtime = runtime_of(context)
    moment = datetime.fromisoformat(as_of) if as_of else utcnow()
    scored = score_shard(runtime, shard=shard, shards=shards, as_of=moment)
    log.info("score shard %d/%d: %d relationship(s)", shard, shards, scored)


def suggest_and_deliver(context: JobContext) -> None:
    """Propose today's suggestions, DM the due ones (each at most once), and finish the digests a
    crash interrupted; a failing step is logged and the next still runs, as in the in-process cycle."""
    runtime = runtime_of(context)
    first_error: Exception | None = None
    for name, step in (("bot.jobs.suggest:suggest_job", suggest_job),
                       ("bot.jobs.deliver:deliver_suggestions_job", deliver_suggestions_job),
                       ("bot.jobs.digest:recover_stale_digests_job", recover_stale_digests_job)):
        try:
            log.info("%s", job_line(name, step(runtime)))
        except Exception as exc:
            log.exception("queued step %s failed", name)
            first_error = first_error or exc
    if first_error is not None:
        raise first_error


def digest(context: JobContext, team: str, local_date: str) -> None:
    """Send one team's digest for one team-local day (claimed: at most once per day)."""
    outcomes = digest_job(runtime_of(context), team=team, local_date=date.fromisoformat(local_date))
    log.info("%s", job_line("bot.jobs.digest:digest_job", outcomes))


#: task name (``strongtie:<name>``), function, priority
TASKS = (
    ("poll_source", poll_source, POLL_PRIORITY),
    ("sync_connection", sync_connection, POLL_PRIORITY),
    ("member_feeds", member_feeds, POLL_PRIORITY),
    ("score_shard", score_shard_task, SCORE_PRIORITY),
    ("suggest_and_deliver", suggest_and_deliver, FOLLOW_PRIORITY),
    ("digest", digest, FOLLOW_PRIORITY),
)


def register(app: procrastinate.App) -> None:
    """Add strongtie's tasks to ``app`` under ``strongtie:<name>``; none is retried on an error (the
    next cycle queues the work again, and a claim left behind is finished by the recovery steps),
    only when its worker died (bot/workers/run.py)."""
    for name, func, priority in TASKS:
        app.task(name=f"{NAMESPACE}:{name}", pass_context=True, priority=priority)(func)
