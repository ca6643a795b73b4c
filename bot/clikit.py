"""Small helpers every command module shares."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from bot.runtime import Runtime
from bot.timeutil import now_utc, parse_instant


class ExpectedError(Exception):
    """An error whose message is the whole story (bad input, a missing setting…)."""


class NotBuiltYet(ExpectedError):
    """The command exists in the contract but its capability has not been built."""


def runtime(ctx: click.Context | None = None) -> Runtime:
    """The shared :class:`Runtime` of this invocation, built on first use."""
    root = (ctx or click.get_current_context()).find_root()
    if root.obj is None:
        root.obj = Runtime.from_environment()
    return root.obj


def emit_json(document: Any) -> None:
    """Print one JSON document on stdout and nothing else."""
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def as_of_option(func):
    """``--as-of DATE``: compute as of the end of that day (default: now)."""
    return click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        help="Compute as of this ISO 8601 date or date-time (a date means the end of that UTC day). Default: now.",
    )(func)


def resolve_as_of(value: str | None) -> datetime:
    if not value:
        return now_utc()
    return parse_time_option("--as-of", value, end_of_day=True)


def parse_time_option(option: str, value: str, *, end_of_day: bool = False) -> datetime:
    """Parse a time given on the command line, or fail naming the option."""
    try:
        return parse_instant(value, end_of_day=end_of_day)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None
