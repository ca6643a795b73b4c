"""The procrastinate App of a deployment, built from ``STRONGTIE_DATABASE_URL``.

The queue lives in the PostgreSQL database strongtie already uses (procrastinate's tables, types
and functions, created by ``strongtie init``), so workers need nothing else to install or run.
SQLite has no such queue: the embedded store runs in one process, and every command here refuses
it with :class:`WorkersNeedPostgres`.
"""

from __future__ import annotations

import procrastinate
import psycopg
from sqlalchemy.engine import make_url

from bot.workers.backend import require_postgres

def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL: the driver name dropped, every
    query parameter kept (``options=-csearch_path=…`` among them, so the queue's tables are found in
    the same schema as strongtie's own)."""
    url = make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _autocommit(connection: psycopg.AsyncConnection) -> None:
    await connection.set_autocommit(True)


def build_app(database_url: str, *, worker: bool = False) -> procrastinate.App:
    """A procrastinate App on the deployment's database with strongtie's tasks; open it (``with
    app.open():`` or ``async with app.open_async():``) before use.

    ``worker``: the App of a worker, opened with ``open_async`` only. Its pooled connections are in
    autocommit: each of procrastinate's queries (fetch a job, finish it, beat) is one statement,
    atomic by itself, so the BEGIN and COMMIT psycopg would wrap around each are two round trips
    per query for nothing, eight per job."""
    from bot.workers.tasks import register

    require_postgres(database_url, "the job queue")
    options = {"configure": _autocommit} if worker else {}
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url), **options))
    register(app)
    return app


#: An index procrastinate's schema lacks (procrastinate issue 1242). Its fetch function takes the
#: first waiting job whose lock no other waiting or running job holds; its own (id, lock) index
#: cannot answer "which jobs hold this lock" without reading all of itself, so once the planner
#: misjudges the queue's length (a thousand jobs queued into a table last analyzed empty) each
#: fetch read every waiting job: 100 ms of PostgreSQL per fetch at 2,000 queued, a pass growing
#: with the square of its jobs. With it, a fetch reads one job and probes its lock.
LOCK_INDEX = "strongtie_procrastinate_jobs_lock_idx"
_LOCK_INDEX_DDL = f"CREATE INDEX IF NOT EXISTS {LOCK_INDEX} ON procrastinate_jobs (lock) WHERE status IN ('todo', 'doing')"
_PRESENT = (f"SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present, "
            f"to_regclass('{LOCK_INDEX}') IS NOT NULL AS indexed")


def ensure_queue_schema(app: procrastinate.App) -> bool:
    """Create procrastinate's schema (tables, types, functions) unless it is there, and the index
    on job locks (:data:`LOCK_INDEX`) unless it is there; idempotent. Returns whether the schema
    was created now. Upgrading procrastinate later may need its own migrations
    (``procrastinate schema --migrations-path``): see docs/architecture.md."""
    connector = app.connector.get_sync_connector()
    row = connector.execute_query_one(_PRESENT)
    if not row["present"]:
        app.schema_manager.apply_schema()
    if not row["indexed"]:
        connector.execute_query(_LOCK_INDEX_DDL)
    return not row["present"]


async def ensure_queue_schema_async(app: procrastinate.App) -> bool:
    """:func:`ensure_queue_schema` on an app opened with ``open_async`` (a worker)."""
    row = await app.connector.execute_query_one_async(_PRESENT)
    if not row["present"]:
        await app.schema_manager.apply_schema_async()
    if not row["indexed"]:
        await app.connector.execute_query_async(_LOCK_INDEX_DDL)
    return not row["present"]


def refresh_queue_statistics(app: procrastinate.App) -> None:
    """ANALYZE the queue's table, so that the planner of procrastinate's fetch function knows how
    many jobs wait: queuing hundreds at once into a table autovacuum last saw nearly empty leaves
    it planning for a handful, which costs every fetch a read of every waiting job. Reads and
    writes of the queue go on meanwhile."""
    app.connector.get_sync_connector().execute_query("ANALYZE procrastinate_jobs")


def install_queue(database_url: str) -> bool:
    """What ``strongtie init`` does on PostgreSQL: create the job queue's schema unless it is there.
    Returns whether it was created now."""
    app = build_app(database_url)
    with app.open():
        return ensure_queue_schema(app)
