"""Whether a deployment can have workers: queued jobs need PostgreSQL. Kept apart from the queue
itself so that a command can refuse SQLite without loading procrastinate."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from config.errors import UserError

#: procrastinate's task names are ``strongtie:<task>``.
NAMESPACE = "strongtie"


class WorkersNeedPostgres(UserError):
    """Queued jobs and worker processes need PostgreSQL; the embedded SQLite store runs in one process."""


def require_postgres(database_url: str, command: str) -> None:
    """Refuse ``command`` on anything but PostgreSQL, saying what to run instead."""
    if make_url(database_url).get_backend_name() != "postgresql":
        raise WorkersNeedPostgres(
            f"{command} needs PostgreSQL: the embedded SQLite store runs in one process, where "
            "`strongtie run` (or `strongtie poll`) does all the work itself. Set STRONGTIE_DATABASE_URL "
            "to a PostgreSQL database to spread the work over `strongtie worker` processes.")
