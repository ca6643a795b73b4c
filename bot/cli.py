"""The ``strongtie`` command line. This module only wires: each command lives in bot/commands/."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from bot.clikit import ExpectedError
from bot.commands import COMMAND_MODULES


def _expected_errors() -> tuple[type[BaseException], ...]:
    from config.roster import RosterError
    from config.settings import SettingsError
    from models.store import StoreError

    return (ExpectedError, RosterError, SettingsError, StoreError)


class StrongtieGroup(click.Group):
    """Turns the errors a user can fix into one clear line and exit status 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _expected_errors() as exc:
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
