"""``strongtie init`` and ``strongtie roster import``."""

from __future__ import annotations

import click

from bot.cli.kit import echo, runtime
from config.roster import load_roster
from models.store.roster import RosterChanges, apply_roster


def register(cli: click.Group) -> None:
    """Add ``init`` and ``roster`` to the command group."""
    cli.add_command(init)
    cli.add_command(roster)


@click.command()
def init() -> None:
    """Create or migrate the database schema (safe to run again)."""
    rt = runtime()
    rt.engine  # noqa: B018  (first use migrates)
    before, after = rt.schema_revisions
    if before == after:
        echo(f"Schema is up to date (revision {after}).")
    else:
        echo(f"Schema migrated from {before or 'empty'} to revision {after}.")
    if rt.engine.dialect.name == "postgresql":  # the workers' job queue lives beside the schema
        from bot.workers.app import install_queue

        echo("Job queue created." if install_queue(rt.settings.database_url) else "Job queue is in place.")


@click.group()
def roster() -> None:
    """Manage the roster of teams, members, customers and sources."""


@roster.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def roster_import(path: str) -> None:
    """Upsert teams, members, customers and sources from a YAML file (all or nothing)."""
    parsed = load_roster(path)  # validates everything before the database is touched
    rt = runtime()
    with rt.session() as session:
        changes = apply_roster(parsed, session=session)
    echo(f"Roster imported from {path}: {import_summary(changes)}")


def import_summary(changes: RosterChanges) -> str:
    """What an import changed, counted in words that read right: ``9 customers added; 1 source
    removed``, then the customers left untracked (beyond the team's top_n by revenue)."""
    parts = []
    for key, count in sorted(changes.counts.items()):
        entity, verb = key.split(" ", 1)
        if verb != "unchanged":
            parts.append(f"{count} {entity}{'' if count == 1 else 's'} {verb}")
    text = "; ".join(parts) if parts else "nothing changed"
    if changes.untracked:
        text += f". Untracked (beyond top_n by revenue): {', '.join(changes.untracked)}"
    return text
