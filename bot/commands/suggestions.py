"""``strongtie suggest``, ``strongtie digest`` and ``strongtie report``."""

from __future__ import annotations

import click

from bot.clikit import NotBuiltYet, as_of_option


def register(cli: click.Group) -> None:
    cli.add_command(suggest)
    cli.add_command(digest)
    cli.add_command(report)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@as_of_option
def suggest(as_json: bool, as_of: str | None) -> None:
    """Today's suggested gestures: kind, customer, owner, text, post_url, reason, priority."""
    raise NotBuiltYet("suggestions are not built yet (issue: suggestions and daily digest)")


@click.command()
@click.option("--team", metavar="NAME", help="Only this team (default: every team).")
@as_of_option
@click.option("--dry-run", is_flag=True, help="Print the digest instead of sending it.")
@click.option("--force", is_flag=True, help="Send even if today's digest was already sent.")
def digest(team: str | None, as_of: str | None, dry_run: bool, force: bool) -> None:
    """Build the daily digest and send it to the team channel once per local day."""
    raise NotBuiltYet("the daily digest is not built yet (issue: suggestions and daily digest)")


@click.command()
@click.option("--png", "png", required=True, type=click.Path(dir_okay=False), help="Where to write the chart.")
@click.option("--team", metavar="NAME", help="Only this team.")
def report(png: str, team: str | None) -> None:
    """The hourglass picture: relationships per stage and how long they dwell there."""
    raise NotBuiltYet("the hourglass report is not built yet (issue: suggestions and daily digest)")
