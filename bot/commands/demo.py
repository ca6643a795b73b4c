"""``strongtie demo``: everything end to end on bundled sample data, no tokens, no network."""

from __future__ import annotations

import click

from bot.clikit import NotBuiltYet


def register(cli: click.Group) -> None:
    cli.add_command(demo)


@click.command()
@click.option("--database", metavar="PATH", help="Keep the demo database here (default: a temporary file).")
def demo(database: str | None) -> None:
    """Run the whole pipeline on bundled sample data: no token, no network."""
    raise NotBuiltYet("the demo is being built")
