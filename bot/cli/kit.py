"""Small helpers every command module shares."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any, Callable

import click

from bot.runtime import Runtime
from bot.timeutil import parse_date_or_instant, parse_instant
from config.errors import InputError
from models.timeline import utcnow


def runtime(ctx: click.Context | None = None) -> Runtime:
    """The shared :class:`Runtime` of this invocation, built on first use."""
    root = (ctx or click.get_current_context()).find_root()
    if root.obj is None:
        root.obj = Runtime.from_environment()
    return root.obj


# Control characters but tab and newline (C0, DEL, C1): terminal escapes such as ``ESC ] 0 ; … BEL``
# (retitle the window), ``ESC [ 2 J`` (clear the screen) or C1's single-byte CSI.
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` without control characters, so text from outside (a feed's title, a server's
    error message) shown on a terminal cannot drive it; tab and newline are kept."""
    return _TERMINAL_CONTROLS.sub("", text)


def echo(message: str = "", *, err: bool = False) -> None:
    """Print one line of human output, made :func:`terminal_safe` (JSON output is escaped anyway)."""
    click.echo(terminal_safe(message), err=err)


def emit_json(document: Any) -> None:
    """Print one JSON document on stdout and nothing else. JSON escapes C0 controls itself; DEL
    and C1 controls, which it may leave raw, are escaped too (``\\u009b``: same document)."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    click.echo(_TERMINAL_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text))


def emit_listing(rows: list[dict[str, Any]], *, as_json: bool, line: Callable[[dict[str, Any]], str], noun: str) -> None:
    """What every listing command prints: the rows as one JSON document, or a line each and a
    count, each line :func:`terminal_safe`."""
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        echo(line(row))
    echo(f"{len(rows)} {noun}(s).")


AS_OF_UTC_HELP = "Compute as of this ISO 8601 date or date-time (a date means the end of that UTC day). Default: now."


def as_of_option(func: Any = None, *, help: str = AS_OF_UTC_HELP) -> Any:
    """``--as-of DATE`` (default: now); ``help`` says how the command reads a bare date.

    Usable bare (``@as_of_option``) or with its own help (``@as_of_option(help=...)``)."""

    def decorate(target: Any) -> Any:
        return click.option("--as-of", "as_of", metavar="DATE", help=help)(target)

    return decorate(func) if func is not None else decorate


def resolve_as_of(value: str | None) -> datetime:
    """``--as-of`` as one instant: now when not given, a bare date as the end of that UTC day."""
    if not value:
        return utcnow()
    return parse_time_option("--as-of", value, end_of_day=True)


def resolve_local_as_of(value: str | None) -> date | datetime | None:
    """``--as-of`` for commands that work per team: ``None`` when not given, a bare date as a
    :class:`date` (each team reads it as its own local day), a date-time as a UTC instant."""
    if not value:
        return None
    try:
        return parse_date_or_instant(value)
    except InputError as exc:
        raise _usage_error("--as-of", exc) from None


def parse_time_option(option: str, value: str, *, end_of_day: bool = False) -> datetime:
    """Parse a time given on the command line, or fail naming the option."""
    try:
        return parse_instant(value, end_of_day=end_of_day)
    except InputError as exc:
        raise _usage_error(option, exc) from None


def _usage_error(option: str, problem: InputError) -> click.BadParameter:
    """An unreadable value of ``option`` is a usage error of that option, as Click reports its own:
    the option named in the message, exit status 2 (any other :class:`UserError` exits with 1)."""
    return click.BadParameter(str(problem), param_hint=option)
