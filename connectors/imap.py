"""Mailboxes over IMAP (imapclient): the headers of new messages, read incrementally.

Per folder the cursor keeps ``{uidvalidity, last_uid}``: a sync asks only for UIDs above
``last_uid``, and a changed UIDVALIDITY (the server renumbered the folder) restarts that folder
(the poll job stores each Message-ID once, so nothing is counted twice). A first sync reads back
``since`` (a date the caller passes). Folders: INBOX and the folder the server flags ``\\Sent``,
unless the connection names its own.

Only header fields are fetched, with BODY.PEEK (nothing is marked read); :mod:`connectors.mail`
decides what counts. Everything is bounded: socket timeouts, messages per folder and per sync, a
time budget per sync; a sync cut short says so (``complete``) and the next one carries on.

Errors are the connector classes: a refused login or a server that does not speak the configured
security is :class:`FatalError` (a person must act; no retry storm), a dropped connection or a
timeout :class:`RetriableError`. The password or token appears in no message, log line or repr.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError
from imapclient.imapclient import SENT

from connectors.base import ConnectorError, Cursor, FatalError, RetriableError, redact
from connectors.imap_pinned import PinnedIMAPClient
from connectors.mail import HEADER_FIELDS, EmailContact, MailMessage, MailPeople, classify, parse_headers, unlisted_parties
from connectors.safety import ALLOW_HINT, Resolver, address_problem, resolve_addresses

SECURITIES = ("tls", "starttls", "plain")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
_HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})]"


class RefusedMailboxError(FatalError):
    """The mailbox was refused before connecting (an unsafe host, plain text to the Internet)."""

    status = "refused"


@dataclass(frozen=True)
class MailboxLogin:
    """Where and how to log in. ``secret`` (password or OAuth2 access token) is never shown."""

    host: str
    user: str
    secret: str = field(repr=False)
    port: int | None = None  # None: 993 for tls, 143 otherwise
    security: str = "tls"
    xoauth2: bool = False
    folders: tuple[str, ...] = ()  # empty: INBOX and the \Sent folder

    @property
    def effective_port(self) -> int:
        """The port connected to."""
        return self.port or DEFAULT_PORTS.get(self.security, 993)


@dataclass(frozen=True)
class MailLimits:
    """Bounds on one sync: socket timeouts, batch size, messages and time."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    batch_size: int = 500
    max_messages_per_folder: int = 5_000
    time_budget: float = 120.0  # seconds; past it the sync stops between batches


@dataclass(frozen=True)
class MailSync:
    """One sync: the contacts found, the cursor to store, whether everything new was read."""

    records: list[EmailContact]
    cursor: Cursor
    complete: bool = True
    messages_read: int = 0
    automated_skipped: int = 0
    folders: tuple[str, ...] = ()
    others: tuple[tuple[str, datetime], ...] = ()  # unlisted people in members' mail (mail.unlisted_parties)


def check_mailbox_host(login: MailboxLogin, *, allow_private: bool, resolver: Resolver = resolve_addresses) -> list[str]:
    """Refuse a mailbox the bot must not reach: an unknown security, a loopback or private host
    unless private networks are allowed, and plain text (the password in clear) to anything but a
    loopback or private host that is allowed. Returns the vetted addresses: the only ones to
    connect to."""
    if login.security not in SECURITIES:
        raise RefusedMailboxError(f"unknown IMAP security {login.security!r}: use one of {', '.join(SECURITIES)}")
    try:
        addresses = resolver(login.host, login.effective_port)
    except (OSError, UnicodeError) as exc:
        raise RetriableError(f"could not resolve the IMAP host {login.host} ({exc})") from None
    if not addresses:
        raise RetriableError(f"could not resolve the IMAP host {login.host} (no addresses)")
    problems = {address: address_problem(address) for address in addresses}
    inside = [a for a, problem in problems.items() if problem]
    if inside and not allow_private:
        address = inside[0]
        raise RefusedMailboxError(f"refused IMAP host {login.host}: {address} is {problems[address]}; {ALLOW_HINT}")
    if login.security == "plain" and (len(inside) < len(addresses) or not allow_private):
        raise RefusedMailboxError(
            f"refused plain-text IMAP to {login.host}: it would send the password unencrypted; plain is allowed only to a "
            f"loopback or private address with STRONGTIE_ALLOW_PRIVATE_NETWORKS=1 (use tls or starttls)")
    return addresses


class ImapConnector:
    """Reads new message headers from one mailbox per call of :meth:`sync`."""

    kind = "imap"

    def __init__(
        self, *, allow_private: bool, limits: MailLimits = MailLimits(), resolver: Resolver = resolve_addresses,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``ssl_context`` verifies servers (None: the system's trusted CAs)."""
        self.allow_private = allow_private
        self.limits = limits
        self.resolver = resolver
        self.ssl_context = ssl_context

    def sync(
        self, login: MailboxLogin, cursor: Cursor, people: MailPeople, *, since: date | None = None,
        known_threads: Mapping[str, str] | None = None,
    ) -> MailSync:
        """Read the headers that arrived since ``cursor`` and classify them; ``since`` bounds a
        folder's first read. Raises a connector error with no secret in it."""
        try:
            addresses = check_mailbox_host(login, allow_private=self.allow_private, resolver=self.resolver)
            with _Session(self, login, addresses) as client:
                return self._read(client, login, cursor, people, since, known_threads)
        except ConnectorError as error:
            error.message = redact(error.message, [login.secret])
            error.args = (error.message,)
            raise

    def _connect(self, login: MailboxLogin, addresses: list[str]) -> imapclient.IMAPClient:
        """A logged-in client connected to one of ``addresses`` (the vetted answers for the host)."""
        where = f"{login.host}:{login.effective_port}"
        context = self.ssl_context or ssl.create_default_context()
        timeout = imapclient.SocketTimeout(connect=self.limits.connect_timeout, read=self.limits.read_timeout)
        with _network_errors(where, login):
            client = PinnedIMAPClient(
                login.host, addresses=addresses, port=login.effective_port, ssl=login.security == "tls", ssl_context=context, timeout=timeout)
        client.normalise_times = False  # INTERNALDATE as aware datetimes
        try:
            with _network_errors(where, login):
                if login.security == "starttls":
                    try:
                        client.starttls(context)
                    except IMAPClientError:  # the server does not offer it (a TLS failure is an ssl.SSLError)
                        raise FatalError(f"the IMAP server {where} does not offer STARTTLS: use --security tls") from None
                try:
                    if login.xoauth2:
                        client.oauth2_login(login.user, login.secret)
                    else:
                        client.login(login.user, login.secret)
                except LoginError as exc:
                    said = redact(str(exc), [login.secret])[:200]
                    raise FatalError(
                        f"the IMAP server {where} refused the login of {login.user} ({said}): check the user name and the "
                        f"{'access token' if login.xoauth2 else 'password (Gmail needs an app password)'}") from None
        except BaseException:
            _close(client)
            raise
        return client

    def _folders(self, client: imapclient.IMAPClient, login: MailboxLogin) -> list[str]:
        listed = client.list_folders()
        names = [name for _flags, _delimiter, name in listed]
        if login.folders:
            missing = [f for f in login.folders if f not in names]
            if missing:
                raise FatalError(f"no folder {missing[0]!r} in the mailbox (folders: {', '.join(names[:20])})")
            return list(login.folders)
        sent = next((name for flags, _delimiter, name in listed if SENT in flags), None)
        inbox = next((name for name in names if name.upper() == "INBOX"), "INBOX")
        return [inbox] + ([sent] if sent and sent != inbox else [])

    def _read(
        self, client: imapclient.IMAPClient, login: MailboxLogin, cursor: Cursor, people: MailPeople,
        since: date | None, known_threads: Mapping[str, str] | None,
    ) -> MailSync:
        where = f"{login.host}:{login.effective_port}"
        deadline = time.monotonic() + self.limits.time_budget
        states: dict[str, Any] = dict(cursor.extra.get("folders") or {})
        messages: list[MailMessage] = []
        complete = True
        with _network_errors(where, login):
            folders = self._folders(client, login)
            for folder in folders:
                state, done = self._read_folder(client, folder, states.get(folder), since, messages, deadline)
                states[folder] = state
                complete = complete and done
        records = classify(messages, people, known_threads=known_threads)
        automated = sum(1 for m in messages if m.automated)
        next_cursor = Cursor(extra={"folders": states})
        return MailSync(records, next_cursor, complete, len(messages), automated, tuple(folders),
                        tuple(unlisted_parties(messages, people)))

    def _read_folder(
        self, client: imapclient.IMAPClient, folder: str, state: Mapping[str, int] | None, since: date | None,
        out: list[MailMessage], deadline: float,
    ) -> tuple[dict[str, int], bool]:
        """Read one folder's new headers into ``out``; return its new state and whether all was read."""
        try:
            selected = client.select_folder(folder, readonly=True)
        except IMAPClientAbortError:
            raise
        except IMAPClientError as exc:
            raise FatalError(f"cannot open the folder {folder!r}: {str(exc)[:160]}") from None
        validity = int(selected.get(b"UIDVALIDITY") or 0)
        uid_next = int(selected.get(b"UIDNEXT") or 0)
        if state and int(state.get("uidvalidity", -1)) == validity:
            last = int(state.get("last_uid", 0))
            uids = [u for u in client.search(["UID", f"{last + 1}:*"]) if u > last]
        else:  # a first read, or the server renumbered the folder: start it again
            last = 0
            uids = client.search(["SINCE", since]) if since else client.search("ALL")
        uids = sorted(uids)
        limit = self.limits.max_messages_per_folder
        batch_size = max(1, self.limits.batch_size)
        for start in range(0, min(len(uids), limit), batch_size):
            if time.monotonic() > deadline:
                return {"uidvalidity": validity, "last_uid": last}, False
            batch = uids[start:min(start + batch_size, limit)]
            fetched = client.fetch(batch, [_HEADER_ITEM, "INTERNALDATE"])
            for uid in batch:
                data = fetched.get(uid) or {}
                raw = next((value for key, value in data.items() if bytes(key).upper().startswith(b"BODY[HEADER")), None)
                received = data.get(b"INTERNALDATE")
                if raw:
                    message = parse_headers(bytes(raw), folder=folder, received=received if isinstance(received, datetime) else None)
                    if message is not None:
                        out.append(message)
            last = batch[-1]
        if len(uids) > limit:
            return {"uidvalidity": validity, "last_uid": last}, False
        return {"uidvalidity": validity, "last_uid": max(last, uid_next - 1)}, True


class _Session:
    """Connect and log in on enter, log out (or just close) on exit."""

    def __init__(self, connector: ImapConnector, login: MailboxLogin, addresses: list[str]) -> None:
        self.connector, self.login, self.addresses, self.client = connector, login, addresses, None

    def __enter__(self) -> imapclient.IMAPClient:
        self.client = self.connector._connect(self.login, self.addresses)
        return self.client

    def __exit__(self, *exc: object) -> None:
        _close(self.client)


def _close(client: imapclient.IMAPClient | None) -> None:
    """Log out politely, or drop the connection if the server is gone."""
    if client is None:
        return
    try:
        client.logout()
    except (IMAPClientError, OSError):
        try:
            client.shutdown()
        except (IMAPClientError, OSError):
            pass


class _network_errors:
    """Map what talking to an IMAP server can raise to the connector error classes, naming the
    server (never the secret)."""

    def __init__(self, where: str, login: MailboxLogin) -> None:
        self.where, self.login = where, login

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, _tb: object) -> bool:
        if exc is None or isinstance(exc, ConnectorError):
            return False
        message = _describe(exc, self.where, self.login)
        if message is None:
            return False
        fatal, text = message
        raise (FatalError if fatal else RetriableError)(redact(text, [self.login.secret])) from None


def _describe(exc: BaseException, where: str, login: MailboxLogin) -> tuple[bool, str] | None:
    """(fatal?, message) for an exception from the IMAP conversation; None: not ours to map."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return True, f"the IMAP server {where} has a certificate that is not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return True, f"no TLS conversation with the IMAP server {where} ({exc.reason or type(exc).__name__}): check the port and --security"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return False, f"the IMAP server {where} did not answer in time"
    if isinstance(exc, IMAPClientAbortError):
        return False, f"the IMAP server {where} dropped the connection ({str(exc)[:120]})"
    if isinstance(exc, ConnectionRefusedError):
        return False, f"the IMAP server {where} refused the connection"
    if isinstance(exc, OSError):
        return False, f"could not talk to the IMAP server {where} ({exc.strerror or type(exc).__name__})"
    if isinstance(exc, imaplib.IMAP4.error):
        return False, f"the IMAP server {where} answered with an error ({str(exc)[:160]})"
    return None

