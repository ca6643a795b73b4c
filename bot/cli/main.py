"""The ``strongtie`` command line. This module only wires: each command group lives in its own module of bot/cli/ and
exposes ``register(cli)``."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from bot.cli import demo, interactions, scoring, setup, slack, sources, suggestions
from config.errors import UserError

COMMAND_MODULES = (setup, sources, interactions, scoring, suggestions, slack, demo)


class StrongtieGroup(click.Group):
    """Turns the errors a user can fix into one clear line and exit status 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a :class:`UserError` becomes ``Error: …`` on stderr and exit status 1."""
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=StrongtieGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """strongtie: watch what your top customers publish, score each relationship, and get
    told in Slack what small, genuine thing to do next.

    The database is STRONGTIE_DATABASE_URL (default sqlite:///strongtie.db)."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = None  # the Runtime is built on first use, so --help needs no settings


for _module in COMMAND_MODULES:
    _module.register(main)
