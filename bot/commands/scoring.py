"""``strongtie status`` and ``strongtie calibrate``."""

from __future__ import annotations

import click

from bot.clikit import NotBuiltYet, as_of_option


def register(cli: click.Group) -> None:
    cli.add_command(status)
    cli.add_command(calibrate)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@as_of_option
@click.option("--team", metavar="NAME", help="Only this team.")
def status(as_json: bool, as_of: str | None, team: str | None) -> None:
    """Per customer: score (0-100), tie stage, hourglass stage, at-risk flag and why."""
    raise NotBuiltYet("the tie-strength scorer is not built yet (issue: tie-strength model)")


@click.command()
@click.option("--fit", is_flag=True, help="Fit the weights to the team's ratings and show before/after.")
def calibrate(fit: bool) -> None:
    """Model error against managers' own ratings (strongtie rate)."""
    raise NotBuiltYet("calibration is not built yet (issue: tie-strength model)")
