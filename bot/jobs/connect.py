"""Connecting a member's calendar or mailbox: check the credential once, then store it sealed.

``strongtie connect`` and the App Home modal both come here, so a calendar address or a mailbox
login is judged the same way wherever it is given: a calendar is fetched once through the
SSRF-guarded HTTP client (:class:`connectors.calendar.CalendarConnector`), a mailbox is logged in
to once with the smallest possible read (:class:`connectors.imap.ImapConnector`). A check that
fails stores nothing and raises :class:`ConnectError`, whose message names the host at most and
never the secret (a calendar's secret address, a password, a token). Syncing is the poll's job.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Mapping
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from bot.timeutil import iso
from config.errors import InputError, UserError
from config.settings import Settings
from connectors.base import ConnectorError, Cursor, FatalError, redact
from connectors.calendar import CALENDAR_LIMITS, CalendarConnector, normalise_calendar_url, scrub_urls
from connectors.http import HttpClient
from connectors.ics import Identity
from connectors.imap import SECURITIES, ImapConnector, MailboxLogin, MailLimits
from connectors.mail import MailPeople
from connectors.safety import Resolver, address_problem, check_url, resolve_addresses
from models.crypto import SecretBox, SecretKeyError
from models.entities import Connection, Member
from models.store.connections import add_connection, all_connections, replace_credential

#: The longest secret read (an ICS address, a password, an OAuth2 access token).
MAX_SECRET_LENGTH = 4096
#: A mailbox check logs in, lists the folders and opens each, reading no message.
CHECK_MAIL_LIMITS = MailLimits(connect_timeout=10.0, read_timeout=20.0, batch_size=1, max_messages_per_folder=0,
                               time_budget=30.0)
CLEAR_TEXT_CALENDAR = ("refused the http:// address at {host}: it would travel unencrypted, and whoever "
                       "reads it reads the calendar; use its https:// (or webcal://) address")


class ConnectError(UserError):
    """The calendar or mailbox could not be checked, so nothing was stored; no secret in the message."""


def secret_box(settings: Settings) -> SecretBox:
    """The box that seals credentials; :class:`SecretKeyError` (saying how to make a key) without one."""
    return SecretBox(settings.secret_key)


def read_secret(text: str, *, what: str) -> str:
    """The one line of secret ``text`` a person gave, trimmed; an :class:`InputError` (quoting
    nothing of it) when it is empty, several lines, too long or holds control characters."""
    value = text.strip()
    if not value:
        raise InputError(f"no {what} was given on standard input")
    if len(value) > MAX_SECRET_LENGTH:
        raise InputError(f"the {what} is longer than {MAX_SECRET_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InputError(f"the {what} must be one line without control characters")
    return value


def calendar_address(text: str) -> str:
    """The calendar address as it will be fetched: one line, ``webcal://`` read as ``https://``,
    http(s) with a host; an :class:`InputError` that quotes nothing of it otherwise."""
    url = normalise_calendar_url(read_secret(text, what="calendar address"))
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError:
        raise InputError("the calendar address is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise InputError("the calendar address must start with https:// or webcal:// (Google: the secret address in "
                         "iCal format; Outlook: the ICS link of a published calendar)")
    return url


def calendar_host(url: str) -> str:
    """The host of a calendar address: all of it that may be shown."""
    return urlsplit(url).hostname or "?"


def check_calendar(url: str, settings: Settings, *, now: datetime, resolver: Resolver = resolve_addresses) -> None:
    """Fetch and read the calendar at ``url`` once; :class:`ConnectError` naming only its host if
    it cannot be. Plain http is refused unless it stays on a loopback or private network that
    STRONGTIE_ALLOW_PRIVATE_NETWORKS allows (the address is the calendar's key)."""
    host = calendar_host(url)
    timeout = settings.poll_fetch_timeout_seconds
    limits = replace(CALENDAR_LIMITS, connect_timeout=min(CALENDAR_LIMITS.connect_timeout, timeout),
                     read_timeout=min(CALENDAR_LIMITS.read_timeout, timeout), total_timeout=timeout)
    connector = CalendarConnector(HttpClient(allow_private=settings.allow_private_networks, limits=limits, pool_size=1,
                                             resolver=resolver))
    try:
        if urlsplit(url).scheme.lower() == "http":
            _refuse_clear_text(url, host, settings, resolver)
        connector.sync(url, Cursor(), Identity.of((), {}), as_of=now)
    except ConnectorError as error:
        said = scrub_urls(redact(error.message, [url, url.split("://", 1)[-1]]))
        raise ConnectError(f"the calendar at {host} could not be read, so nothing was stored: {said}") from None


def _refuse_clear_text(url: str, host: str, settings: Settings, resolver: Resolver) -> None:
    """Refuse an http:// address unless its host is only loopback or private addresses that the
    settings allow reaching (where the SSRF guard refuses the host anyway, its reason is given)."""
    check_url(url, allow_private=settings.allow_private_networks, resolver=resolver)
    port = urlsplit(url).port or 80
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError):
        addresses = []
    if not settings.allow_private_networks or not addresses or not all(address_problem(a) for a in addresses):
        raise FatalError(CLEAR_TEXT_CALENDAR.format(host=host))


def imap_options(*, host: str, user: str, port: int | None, security: str, folders: tuple[str, ...],
                 xoauth2: bool) -> dict[str, Any]:
    """The stored, non-secret half of a mailbox login; an :class:`InputError` for an empty host or user."""
    if security not in SECURITIES:
        raise InputError(f"unknown IMAP security {security!r}: use one of {', '.join(SECURITIES)}")
    if not host.strip() or not user.strip():
        raise InputError("an IMAP connection needs --host and --user")
    return {"host": host.strip(), "port": port, "user": user.strip(), "security": security,
            "folders": [f for f in folders if f], "xoauth2": xoauth2}


def mailbox_login(options: Mapping[str, Any], secret: str) -> MailboxLogin:
    """The :class:`MailboxLogin` of a stored ``imap`` connection's options and its opened secret."""
    return MailboxLogin(host=str(options["host"]), user=str(options["user"]), secret=secret,
                        port=options.get("port") or None, security=str(options.get("security") or "tls"),
                        xoauth2=bool(options.get("xoauth2")), folders=tuple(options.get("folders") or ()))


def check_mailbox(login: MailboxLogin, settings: Settings, *, now: datetime,
                  resolver: Resolver = resolve_addresses) -> None:
    """Log in to the mailbox once and open its folders, reading no message; :class:`ConnectError`
    (without the password or token) if that fails or the host is refused."""
    connector = ImapConnector(allow_private=settings.allow_private_networks, limits=CHECK_MAIL_LIMITS, resolver=resolver)
    try:
        connector.sync(login, Cursor(), MailPeople.of({}, {}), since=now.date())
    except ConnectorError as error:
        said = redact(error.message, [login.secret])
        raise ConnectError(f"the mailbox {login.user} at {login.host}:{login.effective_port} could not be used, so "
                           f"nothing was stored: {said}") from None


@dataclass(frozen=True)
class Stored:
    """What storing did: the connection, and whether it is new or an existing one connected again."""

    connection: Connection
    created: bool


def store_connection(member: Member, kind: str, secret: str, options: Mapping[str, Any], *, box: SecretBox,
                     session: Session) -> Stored:
    """Seal ``secret`` and store the connection; the same calendar address, or the same mailbox
    (host, port and user), of the same member is connected again rather than added twice."""
    sealed = box.seal(secret)
    for existing in all_connections(session=session, member_user=member.slack_user):
        if existing.member_id == member.id and existing.kind == kind and _same(existing, secret, options, box):
            replace_credential(existing, sealed_secret=sealed, options=options)
            return Stored(existing, created=False)
    return Stored(add_connection(member, kind, sealed_secret=sealed, options=options, session=session), created=True)


def _same(existing: Connection, secret: str, options: Mapping[str, Any], box: SecretBox) -> bool:
    if existing.kind == "imap":
        old = existing.options or {}
        return (str(old.get("host", "")).casefold(), old.get("port"), old.get("user")) == (
            str(options.get("host", "")).casefold(), options.get("port"), options.get("user"))
    try:
        return box.open(existing.secret) == secret
    except SecretKeyError:  # stored with another key: not comparable, so not the same
        return False


def connection_target(connection: Connection) -> str:
    """What may be shown of where a connection reads: user@host:port for a mailbox, the host for a calendar."""
    options = connection.options or {}
    if connection.kind == "imap":
        login = mailbox_login(options, "")
        return f"{login.user}@{login.host}:{login.effective_port}"
    return str(options.get("host") or "?")


def connection_row(connection: Connection) -> dict[str, Any]:
    """The ``connections --json`` record of one connection: never its secret."""
    return {
        "id": connection.id,
        "member": connection.member.slack_user,
        "member_name": connection.member.name,
        "team": connection.member.team.name,
        "kind": connection.kind,
        "target": connection_target(connection),
        "last_synced_at": iso(connection.last_synced_at),
        "status": connection.status,
        "last_error": connection.last_error,
    }
