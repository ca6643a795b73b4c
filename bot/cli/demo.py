"""``strongtie demo``: everything end to end on bundled sample data, no tokens, no network."""

from __future__ import annotations

import tempfile
import textwrap
import time
from pathlib import Path

import click

from bot.cli.board import board_text, hourglass_bars
from bot.cli.suggestions import format_suggestions
from bot.demo import calendar as demo_calendar
from bot.demo import conversations as demo_conversations
from bot.demo import sample
from bot.jobs.digest import digest_job
from bot.jobs.poll import poll_job
from bot.jobs.score import relationship_statuses, score_job
from bot.jobs.suggest import open_suggestions, suggest_job
from models.timeline import utcnow
from bot.cli.kit import echo


def register(cli: click.Group) -> None:
    """Add ``strongtie demo`` to the command group."""
    cli.add_command(demo)


def _section(title: str) -> None:
    echo("")
    click.secho(title, bold=True)
    echo("─" * len(title))


@click.command()
@click.option("--database", metavar="PATH", type=click.Path(dir_okay=False),
              help="Keep the demo database in this file (default: a temporary one, deleted afterwards).")
def demo(database: str | None) -> None:
    """Run the whole pipeline on bundled sample data: no token, no network.

    Loads a sample team and its top-twenty customers, serves their sample feeds from a loopback
    server to the real poller, generates ~90 days of interaction history, then scores every
    relationship and prints the board, the hourglass, today's suggestions and the digest."""
    with tempfile.TemporaryDirectory(prefix="strongtie-demo-") as scratch:
        path = Path(database) if database else Path(scratch) / "demo.db"
        if path.exists():
            raise click.ClickException(f"{path} already exists; the demo starts from an empty database")
        _run(path)


def _run(path: Path) -> None:
    started = time.monotonic()
    now = utcnow()
    runtime = demo_calendar.with_throwaway_key(sample.demo_runtime(path))

    click.secho("strongtie demo: bundled sample data, no token, no network", bold=True)
    echo(f"database: {path}")
    with sample.serve_bundled_feeds(now) as feeds_url, demo_calendar.serve_sample_calendar() as calendar_url, \
            demo_conversations.serve_sample_bluesky(now) as bluesky_url:
        runtime = demo_conversations.with_bluesky_api(runtime, bluesky_url)
        echo(f"sample feeds served at {feeds_url}")
        echo(f"roster: {sample.load_demo_roster(runtime, feeds_url)}")
        echo(f"calendar: {demo_calendar.connect_sample_calendar(runtime, calendar_url)}")
        echo(f"history: {sample.generate_history(runtime, now)} interactions over ~{sample.HISTORY_DAYS} days")

        _section("1. Poll: what customers published")
        echo(f"  {poll_job(runtime, force=True, now=now).line()}")
        for line in sample.source_problems(runtime):
            echo(f"  {line}")
        echo(f"  {demo_calendar.captured_meetings(runtime)} meetings captured from the sample calendar")
        echo(f"  {demo_conversations.capture_sample_message(runtime, now)}")

    _section("Captured conversations: contact nobody had to log")
    for line in demo_conversations.captured_conversations(runtime):
        echo(f"  {line}")

    _section("2. Board: every tracked relationship, heavy users first")
    score_job(runtime, as_of=now)
    with runtime.session() as session:
        statuses = relationship_statuses(session=session, as_of=now, params=runtime.scoring)
    echo(board_text(statuses, now))

    _section("3. Hourglass: how many relationships sit in each stage")
    for line in hourglass_bars(statuses):
        echo(line)

    _section("4. Today's suggestions")
    suggest_job(runtime, as_of=now)
    with runtime.session() as session:
        suggestions = open_suggestions(session=session, as_of=now)
    echo(textwrap.indent(format_suggestions(suggestions), "  "))

    _section("5. Daily digest (dry run: printed, not sent)")
    for outcome in digest_job(runtime, as_of=now, dry_run=True):
        echo(outcome.text)

    echo("")
    echo(f"Done in {time.monotonic() - started:.1f} s. Try it on your own team: see README.md, 'Running it for real'.")
