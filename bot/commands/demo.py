"""``strongtie demo``: everything end to end on bundled sample data, no tokens, no network."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click

from bot import demo as demo_kit
from bot.timeutil import now_utc


def register(cli: click.Group) -> None:
    cli.add_command(demo)


def _section(title: str) -> None:
    click.echo("")
    click.secho(title, bold=True)
    click.echo("─" * len(title))


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
    now = now_utc()
    runtime = demo_kit.demo_runtime(path)
    missing: list[str] = []

    click.secho("strongtie demo: bundled sample data, no token, no network", bold=True)
    click.echo(f"database: {path}")
    with demo_kit.serve_bundled_feeds(now) as feeds_url:
        click.echo(f"sample feeds served at {feeds_url}")
        click.echo(f"roster: {demo_kit.load_demo_roster(runtime, feeds_url)}")
        click.echo(f"history: {demo_kit.generate_history(runtime, now)} interactions over ~{demo_kit.HISTORY_DAYS} days")

        _section("1. Poll: what customers published")
        try:
            summary = demo_kit.job("bot.jobs.poll", "poll_job")(runtime, force=True, now=now)
            click.echo(f"  {summary.line()}")
            for line in demo_kit.source_problems(runtime):
                click.echo(f"  {line}")
        except demo_kit.NotBuilt as exc:
            missing.append("polling")
            click.echo(f"  not built yet ({exc})")

    _section("2. Board: every tracked relationship, heavy users first")
    statuses = []
    try:
        demo_kit.job("bot.jobs.score", "score_job")(runtime, as_of=now)
        with runtime.session() as session:
            statuses = demo_kit.job("bot.jobs.score", "relationship_statuses")(session=session, as_of=now)
        for line in demo_kit.render_board(statuses):
            click.echo(line)
    except (demo_kit.NotBuilt, NotImplementedError) as exc:
        missing.append("scoring")
        click.echo(f"  not built yet ({exc})")

    _section("3. Hourglass: how many relationships sit in each stage")
    if statuses:
        for line in demo_kit.render_hourglass(statuses):
            click.echo(line)
    else:
        click.echo("  needs the scorer")

    _section("4. Today's suggestions")
    try:
        demo_kit.job("bot.jobs.suggest", "suggest_job")(runtime, as_of=now)
        with runtime.session() as session:
            suggestions = demo_kit.job("bot.jobs.suggest", "open_suggestions")(session=session, as_of=now)
        for item in suggestions:
            click.echo(f"  [{item['priority']:.0f}] {item['kind']:<14} {item['customer']:<18} {item['text']}")
            click.echo(f"       why: {item['reason']}" + (f"  ({item['post_url']})" if item.get("post_url") else ""))
        if not suggestions:
            click.echo("  nothing to suggest today")
    except (demo_kit.NotBuilt, NotImplementedError) as exc:
        missing.append("suggestions")
        click.echo(f"  not built yet ({exc})")

    _section("5. Daily digest (dry run: printed, not sent)")
    try:
        outcomes = demo_kit.job("bot.jobs.digest", "digest_job")(runtime, as_of=now, dry_run=True)
        for outcome in outcomes:
            click.echo(outcome.text)
    except (demo_kit.NotBuilt, NotImplementedError) as exc:
        missing.append("digest")
        click.echo(f"  not built yet ({exc})")

    click.echo("")
    elapsed = time.monotonic() - started
    if missing:
        click.echo(f"Done in {elapsed:.1f} s. Not built yet: {', '.join(missing)}.")
    else:
        click.echo(f"Done in {elapsed:.1f} s. Try it on your own team: see README.md, 'Running it for real'.")
