"""``strongtie serve``, ``strongtie socket`` and ``strongtie run``."""

from __future__ import annotations

import click

from bot.clikit import NotBuiltYet


def register(cli: click.Group) -> None:
    cli.add_command(serve)
    cli.add_command(socket)
    cli.add_command(run)


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@click.option("--port", default=3000, show_default=True, type=int, help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Slack HTTP mode: events, commands and actions at /slack/events."""
    raise NotBuiltYet("the Slack app is not built yet (issue: Slack bot)")


@click.command()
def socket() -> None:
    """Slack Socket Mode (needs SLACK_APP_TOKEN), for teams without a public URL."""
    raise NotBuiltYet("the Slack app is not built yet (issue: Slack bot)")


@click.command()
def run() -> None:
    """The production entry point: the scheduler and Slack in one process."""
    raise NotBuiltYet("the Slack app and scheduler are not built yet (issue: Slack bot)")
