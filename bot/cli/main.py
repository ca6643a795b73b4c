"""The ``strongtie`` command line. This module only wires: each command group lives in its own module of bot/cli/ and
exposes ``register(cli)``."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from bot.cli import accounts, connections, demo, interactions, scoring, setup, slack, sources, suggestions, workers
from bot.cli.kit import echo
from config.errors import UserError

COMMAND_MODULES = (setup, sources, interactions, scoring, suggestions, slack, demo, accounts, connections, workers)


class StrongtieGroup(click.Group):
    """Turns the errors a user can fix into one clear line and exit status 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a :class:`UserError` becomes ``Error: …`` on stderr and exit status 1."""
        try:
            return super().invoke(ctx)
        except UserError as exc:
            echo(f"Error: {exc}", err=True)  # a server's words may be in it: made terminal-safe
            sys.exit(1)


#: Commands that keep running: they log each job run and each start or stop at INFO without -v.
LONG_RUNNING = frozenset({"run", "serve", "socket", "worker"})


@click.group(cls=StrongtieGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True,
              help="Log progress to stderr at INFO, the libraries' too (run, serve, socket and worker log "
                   "one line per job run at INFO even without it).")
@click.version_option(package_name="strongtie", prog_name="strongtie", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """strongtie: watch what your top customers publish, score each relationship, and get
    told in Slack what small, genuine thing to do next.

    The database is STRONGTIE_DATABASE_URL (default sqlite:///strongtie.db)."""
    configure_logging(verbose=verbose, long_running=ctx.invoked_subcommand in LONG_RUNNING)
    ctx.obj = None  # the Runtime is built on first use, so --help needs no settings


def configure_logging(*, verbose: bool, long_running: bool) -> None:
    """Warnings only for one-shot commands; strongtie's own INFO lines (one per job run) for the
    long-running ones; INFO from everything, libraries included, with ``-v``."""
    stamp = "%(asctime)s " if long_running else ""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format=f"{stamp}%(levelname)s %(name)s: %(message)s")
    if long_running:
        logging.getLogger("bot").setLevel(logging.INFO)


for _module in COMMAND_MODULES:
    _module.register(main)
