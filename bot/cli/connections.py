"""``strongtie connect calendar|imap``, ``strongtie connections`` and ``strongtie disconnect``.

The credential (a calendar's secret address, a mailbox password or OAuth2 token) is read from
standard input, never from the command line (where ``ps`` and shell history would keep it), is
checked once (:mod:`bot.jobs.connect`) and stored sealed with STRONGTIE_SECRET_KEY. Nothing here
prints it.
"""

from __future__ import annotations

import sys

import click

from bot.cli.kit import echo, emit_listing, runtime
from bot.jobs.connect import (
    calendar_address,
    calendar_host,
    check_calendar,
    check_mailbox,
    connection_row,
    imap_options,
    mailbox_login,
    read_secret,
    secret_box,
    store_connection,
)
from config.errors import InputError
from connectors.imap import SECURITIES
from models.entities import Member
from models.store.connections import active_member, all_connections, remove_connection
from models.timeline import utcnow

MEMBER_HELP = "The member whose calendar or mailbox it is (an active member: Slack user id or name)."


def register(cli: click.Group) -> None:
    """Add ``connect`` (``calendar``, ``imap``), ``connections`` and ``disconnect`` to the command group."""
    cli.add_command(connect)
    cli.add_command(connections)
    cli.add_command(disconnect)


@click.group()
def connect() -> None:
    """Connect a member's calendar or mailbox, so meetings and email are captured by `strongtie poll`.

    The secret is read from standard input, checked once and stored encrypted with
    STRONGTIE_SECRET_KEY; it is never printed."""


def _stdin_secret(prompt: str, *, what: str) -> str:
    """One line of secret from standard input (asked for without echo on a terminal)."""
    stream = sys.stdin
    if stream.isatty():
        return read_secret(click.prompt(prompt, hide_input=True, err=True), what=what)
    return read_secret(stream.readline(), what=what)


def _member(who: str) -> tuple[int, str]:
    """The id and Slack user of the active member ``who`` names (before any secret is read)."""
    with runtime().session() as session:
        member = active_member(who, session=session)
        return member.id, member.slack_user


@connect.command("calendar")
@click.option("--member", "member", required=True, metavar="SLACK_USER", help=MEMBER_HELP)
def connect_calendar(member: str) -> None:
    """Connect a calendar by its ICS address, read from standard input: Google Calendar's "secret
    address in iCal format" or an Outlook published calendar's ICS link (webcal:// is accepted)."""
    rt = runtime()
    box = secret_box(rt.settings)  # no key: refuse before anything is pasted
    member_id, slack_user = _member(member)
    url = calendar_address(_stdin_secret("Calendar address (ICS)", what="calendar address"))
    check_calendar(url, rt.settings, now=utcnow())
    host = calendar_host(url)
    with rt.session() as session:
        stored = store_connection(_row(session, member_id), "calendar", url, {"host": host}, box=box, session=session)
        connection_id, created = stored.connection.id, stored.created
    verb = "Connected" if created else "Connected again"
    echo(f"{verb} the calendar at {host} for {slack_user} (connection {connection_id}); "
         f"`strongtie poll` reads it from now on.")


@connect.command("imap")
@click.option("--member", "member", required=True, metavar="SLACK_USER", help=MEMBER_HELP)
@click.option("--host", required=True, help="The IMAP server, e.g. imap.gmail.com.")
@click.option("--user", "user", required=True, help="The login name (usually the email address).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="The server's port (default: 993 with tls, 143 with starttls or plain).")
@click.option("--security", type=click.Choice(SECURITIES), default="tls", show_default=True,
              help="tls (IMAPS), starttls, or plain (refused except to a loopback or private address allowed by "
                   "STRONGTIE_ALLOW_PRIVATE_NETWORKS).")
@click.option("--folder", "folders", multiple=True, metavar="FOLDER",
              help="A folder to read (repeatable; default: INBOX and the folder flagged as Sent).")
@click.option("--xoauth2", is_flag=True, help="Standard input is an OAuth2 access token, not a password.")
def connect_imap(member: str, host: str, user: str, port: int | None, security: str, folders: tuple[str, ...],
                 xoauth2: bool) -> None:
    """Connect a mailbox over IMAP; its password (an app password for Gmail) or, with --xoauth2,
    an OAuth2 access token is read from standard input. Only headers are ever read."""
    rt = runtime()
    box = secret_box(rt.settings)
    options = imap_options(host=host, user=user, port=port, security=security, folders=folders, xoauth2=xoauth2)
    member_id, slack_user = _member(member)
    what = "access token" if xoauth2 else "password"
    secret = _stdin_secret(f"IMAP {what} for {user}", what=what)
    login = mailbox_login(options, secret)
    check_mailbox(login, rt.settings, now=utcnow())
    with rt.session() as session:
        stored = store_connection(_row(session, member_id), "imap", secret, options, box=box, session=session)
        connection_id, created = stored.connection.id, stored.created
    verb = "Connected" if created else "Connected again"
    echo(f"{verb} the mailbox {login.user} at {login.host}:{login.effective_port} for {slack_user} "
         f"(connection {connection_id}); `strongtie poll` reads its headers from now on.")


def _row(session, member_id: int) -> Member:
    """The member again, in the session that stores (they may have left the roster meanwhile)."""
    member = session.get(Member, member_id)
    if member is None or not member.active:
        raise InputError("the member is no longer active in the roster; nothing was stored")
    return member


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def connections(as_json: bool) -> None:
    """Every connected calendar and mailbox: member, kind, where (a calendar's host, a mailbox's
    user and host), last sync, status and last error. Never a secret."""
    with runtime().session() as session:
        rows = [connection_row(c) for c in all_connections(session=session)]
    emit_listing(rows, as_json=as_json, noun="connection", line=_line)


def _line(row: dict) -> str:
    synced = row["last_synced_at"] or "never synced"
    line = f"{row['id']:>4}  {row['member']:<12} {row['kind']:<8} {row['target']:<32} {row['status']:<12} {synced}"
    return line + (f"\n      {row['last_error']}" if row["last_error"] else "")


@click.command()
@click.argument("connection_id", metavar="ID", type=int)
def disconnect(connection_id: int) -> None:
    """Remove connection ID (see `strongtie connections`) and its stored secret."""
    with runtime().session() as session:
        removed = remove_connection(connection_id, session=session)
        if removed is None:
            raise InputError(f"no connection {connection_id} (`strongtie connections` lists them)")
        said = f"Disconnected {removed.kind} connection {connection_id} of {removed.member.slack_user}"
    echo(f"{said}; its secret is deleted.")
