"""The procrastinate App of a deployment, built from ``STRONGTIE_DATABASE_URL``.

The queue lives in the PostgreSQL database strongtie already uses (procrastinate's tables, types
and functions, created by ``strongtie init``), so workers need nothing else to install or run.
SQLite has no such queue: the embedded store runs in one process, and every command here refuses
it with :class:`WorkersNeedPostgres`.
"""

from __future__ import annotations

import procrastinate
from sqlalchemy.engine import make_url

from bot.workers.backend import require_postgres

def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL: the driver name dropped, every
    query parameter kept (``options=-csearch_path=…`` among them, so the queue's tables are found in
    the same schema as strongtie's own)."""
    url = make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(database_url: str) -> procrastinate.App:
    """A procrastinate App on the deployment's database with strongtie's tasks; open it (``with
    app.open():`` or ``async with app.open_async():``) before use."""
    from bot.workers.tasks import register

    require_postgres(database_url, "the job queue")
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))
    register(app)
    return app


_PRESENT = "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"


def queue_schema_present(app: procrastinate.App) -> bool:
    """Whether procrastinate's tables are on the connection's search path."""
    row = app.connector.get_sync_connector().execute_query_one(_PRESENT)
    return bool(row["present"])


def ensure_queue_schema(app: procrastinate.App) -> bool:
    """Create procrastinate's schema (tables, types, functions) unless it is there; idempotent.
    Returns whether it was created now. Upgrading procrastinate later may need its own migrations
    (``procrastinate schema --migrations-path``): see docs/architecture.md."""
    if queue_schema_present(app):
        return False
    app.schema_manager.apply_schema()
    return True


async def ensure_queue_schema_async(app: procrastinate.App) -> bool:
    """:func:`ensure_queue_schema` on an app opened with ``open_async`` (a worker)."""
    row = await app.connector.execute_query_one_async(_PRESENT)
    if row["present"]:
        return False
    await app.schema_manager.apply_schema_async()
    return True


def install_queue(database_url: str) -> bool:
    """What ``strongtie init`` does on PostgreSQL: create the job queue's schema unless it is there.
    Returns whether it was created now."""
    app = build_app(database_url)
    with app.open():
        return ensure_queue_schema(app)
