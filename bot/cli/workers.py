"""``strongtie worker``: run queued jobs (PostgreSQL only)."""

from __future__ import annotations

import click

from bot.cli.kit import echo, runtime
from bot.workers.backend import require_postgres


def register(cli: click.Group) -> None:
    """Add ``worker`` to the command group."""
    cli.add_command(worker)


@click.command()
@click.option("--concurrency", type=click.IntRange(1), default=1, show_default=True, metavar="N",
              help="Run up to N jobs at once, each in a thread of its own.")
@click.option("--burst", is_flag=True, help="Exit once no job is due (for tests, benchmarks and cron).")
def worker(concurrency: int, burst: bool) -> None:
    """PostgreSQL only: run the jobs queued by `strongtie run` (with STRONGTIE_WORKERS=external) or
    `strongtie poll --enqueue`, on this machine beside any number of others."""
    rt = runtime()
    require_postgres(rt.settings.database_url, "strongtie worker")
    from bot.workers.run import run_worker  # procrastinate is loaded only by the commands that use it

    echo(run_worker(rt, concurrency=concurrency, burst=burst).line())
