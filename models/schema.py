"""Create or migrate the schema with Alembic; ``strongtie init`` calls :func:`migrate`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: leave alone tables that other libraries keep in our database (APScheduler's
    job store), which exist in the database but not in our models."""
    return not (type_ == "table" and reflected and compare_to is None)


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the newest revision; idempotent. Returns (before, after) revisions."""
    config = alembic_config()
    with engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        after = MigrationContext.configure(connection).get_current_revision()
    return before, after


def head_revision() -> str:
    """The newest migration revision shipped with this version."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
