"""Capture sync: every due connection (a member's calendar or mailbox) is read and what it shows
becomes interactions by itself, one connection per transaction; then the customers concerned are
rescored so their status moves. In one process the sync takes every due connection at once; with
workers, each due connection is a job of its own that syncs only it (``connection_ids``).

- Calendar: each past occurrence with a customer of the member's team (and the member) is one
  ``meeting`` (mutual, origin ``calendar``) at its start, once per (event UID, occurrence,
  customer) however many members' calendars hold it; a moved occurrence moves its interaction; one
  cancelled, declined or deleted after it was captured is removed (only captured ones, never one
  logged by hand).
- Mailbox: each message between the team's members and a customer is one ``email`` (origin
  ``email``) per customer, once per Message-ID across folders and members, in the direction the
  model counts (a reply in a thread the customer started is mutual, even if the thread began in
  an earlier sync).

The stored credential is opened here only, with ``STRONGTIE_SECRET_KEY``; errors are classified
as for sources (:mod:`models.next_sync`) and stored without the secret. Nothing of a meeting's
title is kept unless ``STRONGTIE_CAPTURE_SUBJECTS`` is on; nothing of a message's subject ever is.
Connection ``options`` for a mailbox: ``host``, ``user``, ``port``, ``security``, ``folders``
(or ``folder``), ``xoauth2``.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Collection, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.jobs.meeting_prep import note_new_contacts
from bot.jobs.score import rescore_safely
from bot.runtime import Runtime
from config.errors import UserError
from connectors.base import ConnectorError, Cursor, GoneError, RateLimitedError, RetriableError, redact
from connectors.calendar import CALENDAR_LIMITS, CalendarConnector, CalendarSync, scrub_urls
from connectors.http import HttpClient
from connectors.ics import Identity, Window, stale_captures
from connectors.imap import ImapConnector, MailboxLogin, MailLimits, MailSync, RefusedMailboxError
from connectors.mail import MailPeople
from connectors.safety import UnsafeURLError
from models import next_check, next_sync
from models.crypto import SecretBox
from models.entities import Connection, Customer
from models.store import clean
from models.store.captures import (
    CaptureOutcome,
    CapturedTouch,
    TeamPeople,
    captured_by,
    known_directions,
    release_captures,
    team_people,
    upsert_captures,
)
from models.store.connections import due_connections, save_sync_failure, save_sync_success
from models.store.meeting_prep import replace_upcoming
from models.timeline import utcnow

log = logging.getLogger(__name__)

#: How far back a mailbox's first sync reads (a calendar reads its connector's window).
MAIL_HISTORY = timedelta(days=365)
#: How far ahead upcoming meetings are stored: two days, read at least daily, so each meeting is
#: stored a day before it starts, in time for its prep the evening before (bot.rules.meeting_prep).
UPCOMING_WINDOW = Window(ahead=timedelta(hours=48))


@dataclass
class CaptureSummary:
    """What one capture sync did; ``line()`` is its part of the ``strongtie poll`` report."""

    connections: int = 0
    meetings: int = 0  # meeting interactions created
    emails: int = 0  # email interactions created
    moved: int = 0
    removed: int = 0
    not_modified: int = 0
    errors: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One sentence: connections synced, interactions captured, errors."""
        def plural(n: int, word: str) -> str:
            return f"{n} {word}{'' if n == 1 else 's'}"
        parts = [plural(self.meetings, "new meeting"), plural(self.emails, "new email")]
        if self.moved:
            parts.append(f"{self.moved} moved")
        if self.removed:
            parts.append(f"{self.removed} removed")
        if self.not_modified:
            parts.append(f"{self.not_modified} not modified (304)")
        parts.append(plural(self.errors, "error"))
        return f"Synced {plural(self.connections, 'connection')}: {', '.join(parts)}."


@dataclass(frozen=True)
class _Task:
    """One connection to read, with everything the read needs (the secret opened)."""

    connection_id: int
    kind: str
    label: str
    member_user: str
    member_addresses: tuple[str, ...]
    people: TeamPeople
    secret: str = field(repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)
    cursor: Mapping[str, Any] = field(default_factory=dict)
    error_count: int = 0
    team_id: int | None = None


@dataclass(frozen=True)
class _Outcome:
    task: _Task
    result: CalendarSync | MailSync | None = None
    error: ConnectorError | None = None


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def _failure_of(error: Exception) -> str:
    """The next-sync failure class of ``error`` (a subclass before its base)."""
    if isinstance(error, GoneError):
        return next_sync.GONE
    if isinstance(error, (UnsafeURLError, RefusedMailboxError, UserError)):
        return next_check.SETTING  # a setting or the key decides; a restart may change it
    if isinstance(error, RateLimitedError):
        return next_check.RATE_LIMITED
    if isinstance(error, RetriableError):
        return next_check.RETRIABLE
    return next_check.FATAL


class _Sync:
    """One capture sync over the due connections (or the due ones among ``connection_ids``): plan,
    read concurrently, store one at a time."""

    def __init__(self, runtime: Runtime, *, force: bool, now: datetime,
                 connection_ids: Collection[int] | None = None) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.force = force
        self.now = now
        self.connection_ids = None if connection_ids is None else sorted(set(connection_ids))
        self.interval = self.settings.poll_interval_minutes * 60
        self.summary = CaptureSummary()
        deadline = self.settings.poll_fetch_timeout_seconds
        limits = replace(CALENDAR_LIMITS, connect_timeout=min(CALENDAR_LIMITS.connect_timeout, deadline),
                         read_timeout=min(CALENDAR_LIMITS.read_timeout, deadline), total_timeout=deadline)
        self.calendars = CalendarConnector(HttpClient(allow_private=self.settings.allow_private_networks, limits=limits,
                                                      pool_size=self.settings.poll_concurrency), window=UPCOMING_WINDOW)
        mail = MailLimits()
        self.mailboxes = ImapConnector(allow_private=self.settings.allow_private_networks, limits=replace(
            mail, connect_timeout=min(mail.connect_timeout, deadline), read_timeout=min(mail.read_timeout, deadline)))

    def run(self) -> CaptureSummary:
        started = time.monotonic()
        tasks = self._plan()
        if tasks:
            with ThreadPoolExecutor(max_workers=min(len(tasks), self.settings.poll_concurrency),
                                    thread_name_prefix="capture") as pool:
                futures = [pool.submit(self._read, task) for task in tasks]
                for future in as_completed(futures):
                    self._store(future.result())
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _plan(self) -> list[_Task]:
        """The due connections as tasks; one whose secret cannot be opened fails at once."""
        tasks: list[_Task] = []
        failed: list[tuple[int, str, int, Exception]] = []
        with self.runtime.session() as session:
            connections = self._due(session)
            self.summary.connections = len(connections)
            if not connections:
                return []
            box: SecretBox | None = None
            people: dict[tuple[str, int], TeamPeople] = {}
            for connection in connections:
                member = connection.member
                label = f"{member.name} ({member.slack_user}) {connection.kind} #{connection.id}"
                try:
                    box = box or SecretBox(self.settings.secret_key)
                    secret = box.open(connection.secret)
                except UserError as exc:
                    failed.append((connection.id, label, connection.error_count or 0, exc))
                    continue
                whose = (member.slack_user, member.team_id)
                if whose not in people:
                    people[whose] = team_people(*whose, session=session)
                tasks.append(_Task(connection.id, connection.kind, label, member.slack_user, tuple(member.addresses),
                                   people[whose], secret, dict(connection.options or {}),
                                   dict(connection.cursor or {}), connection.error_count or 0, member.team_id))
        for connection_id, label, error_count, exc in failed:
            self._store_failure(_Task(connection_id, "", label, "", (), TeamPeople({}, {}, "UTC"), "", error_count=error_count), exc)
        return tasks

    def _due(self, session) -> list[Connection]:
        return due_connections(session=session, now=self.now, force=self.force, ids=self.connection_ids)

    def _read(self, task: _Task) -> _Outcome:
        """Read one connection in a worker thread; never raises, and no error carries the secret."""
        try:
            if task.kind == "calendar":
                return _Outcome(task, result=self._read_calendar(task))
            return _Outcome(task, result=self._read_mailbox(task))
        except ConnectorError as error:
            return _Outcome(task, error=error)
        except Exception as exc:  # a connector bug must not end the sync
            # no traceback: an exception's text can quote the calendar's address, which is its secret
            log.error("unexpected failure syncing %s: %s: %s", task.label, type(exc).__name__, self._clean(str(exc), task))
            return _Outcome(task, error=RetriableError(f"unexpected {type(exc).__name__}"))

    def _read_calendar(self, task: _Task) -> CalendarSync:
        identity = Identity.of(task.member_addresses, {a: str(c) for a, c in task.people.customers.items()})
        extra = {k: v for k, v in task.cursor.items() if k not in ("etag", "last_modified")}
        cursor = Cursor(etag=task.cursor.get("etag"), last_modified=task.cursor.get("last_modified"), extra=extra)
        return self.calendars.sync(task.secret, cursor, identity, as_of=self.now, capture_subjects=self.settings.capture_subjects,
                                   default_zone=_zone(task.people.zone))

    def _read_mailbox(self, task: _Task) -> MailSync:
        options = task.options
        folders = options.get("folders") or ([options["folder"]] if options.get("folder") else [])
        login = MailboxLogin(
            host=str(options.get("host", "")), user=str(options.get("user", "")), secret=task.secret,
            port=int(options["port"]) if options.get("port") else None, security=str(options.get("security") or "tls"),
            xoauth2=bool(options.get("xoauth2")), folders=tuple(str(f) for f in folders))
        people = MailPeople.of(task.people.members, {a: str(c) for a, c in task.people.customers.items()})
        return self.mailboxes.sync(login, Cursor(extra=dict(task.cursor)), people, since=(self.now - MAIL_HISTORY).date())

    def _store(self, outcome: _Outcome) -> None:
        task = outcome.task
        if outcome.error is not None:
            self._store_failure(task, outcome.error)
            return
        try:
            if isinstance(outcome.result, CalendarSync):
                self._store_calendar(task, outcome.result)
            else:
                self._store_mailbox(task, outcome.result)
        except Exception as exc:  # the store refused this connection; the others go on
            log.error("could not store the sync of %s: %s: %s", task.label, type(exc).__name__, self._clean(str(exc), task))
            self._store_failure(task, RetriableError(f"could not store what was read ({type(exc).__name__}); it will be read again"))

    def _warning(self, task: _Task, warning: str | None) -> str | None:
        notes = [] if task.member_addresses else [
            "the member has no email in the roster: nothing can be matched to them (add email: to the member)"]
        if warning:
            notes.append(warning)
        return self._clean("; ".join(notes), task) if notes else None

    @staticmethod
    def _clean(message: str, task: _Task) -> str:
        """A message as stored: no secret, no calendar path, one line."""
        return clean.prose(scrub_urls(redact(message, [task.secret])), clean.ERROR_LIMIT)

    def _store_calendar(self, task: _Task, sync: CalendarSync) -> None:
        with self.runtime.session() as session:
            connection = session.get(Connection, task.connection_id)
            if connection is None:  # disconnected meanwhile
                return
            outcome, removed = CaptureOutcome(), CaptureOutcome()
            cursor = dict(task.cursor)
            if sync.expansion is not None:
                expansion = sync.expansion
                touches = [CapturedTouch(int(customer), m.kind, m.direction, m.start, m.origin, m.uid, m.occurrence_key,
                                         note=m.title or "", by_user=task.member_user)
                           for m in expansion.meetings for customer in m.customers]
                outcome = upsert_captures(touches, connection_id=task.connection_id, session=session, now=self.now)
                # Only what this read could have found again may be stale: a customer taken off the
                # roster, or a member without an address, keeps the meetings captured before.
                listed = set(task.people.customers.values()) if task.member_addresses else set()
                captured = [r for r in captured_by(task.connection_id, session=session, origin="calendar")
                            if r.customer_id in listed]
                stale = stale_captures([(r.external_id, r.occurrence, str(r.customer_id), r.occurred_at) for r in captured],
                                       expansion, as_of=self.now)
                gone = [r.interaction_id for r in captured if (r.external_id, r.occurrence, str(r.customer_id)) in stale]
                removed = release_captures(task.connection_id, gone, session=session) if gone else removed
                replace_upcoming(task.connection_id, [(int(c), m.uid, m.occurrence_key, m.start) for m in expansion.upcoming
                                                      for c in m.customers], session=session)
                if task.team_id is not None:
                    note_new_contacts(task.team_id, expansion.others, session=session)
                cursor = {"etag": sync.cursor.etag, "last_modified": sync.cursor.last_modified, **sync.cursor.extra}
                connection = session.get(Connection, task.connection_id)
            sealed = SecretBox(self.settings.secret_key).seal(sync.moved_url) if sync.moved_url else None
            save_sync_success(connection, cursor=cursor, status="not_modified" if sync.not_modified else "ok", now=self.now,
                              next_check_at=next_sync.after_sync(now=self.now, poll_interval_seconds=self.interval),
                              warning=self._warning(task, sync.warning), sealed_secret=sealed)
            self._rescore(session, outcome.customers | removed.customers)
        self.summary.meetings += outcome.created
        self.summary.moved += outcome.moved
        self.summary.removed += removed.removed
        self.summary.not_modified += int(sync.not_modified)

    def _store_mailbox(self, task: _Task, sync: MailSync) -> None:
        with self.runtime.session() as session:
            connection = session.get(Connection, task.connection_id)
            if connection is None:
                return
            roots = {r.thread_root for r in sync.records
                     if r.replies_to_other_side is None and r.thread_root and r.thread_root != r.message_id}
            known = known_directions(roots, session=session) if roots else {}
            touches = []
            for record in sync.records:
                started = known.get(record.thread_root or "") if record.replies_to_other_side is None else None
                if started is not None:
                    record = replace(record, replies_to_other_side=started != record.direction)
                by = task.member_user if task.member_user in record.members else record.members[0]
                touches += [CapturedTouch(int(customer), record.kind, record.model_direction, record.occurred_at, record.origin,
                                          record.message_id, record.direction, by_user=by) for customer in record.customers]
            outcome = upsert_captures(touches, connection_id=task.connection_id, session=session, now=self.now)
            if task.team_id is not None:
                note_new_contacts(task.team_id, sync.others, session=session)
            warning = None if sync.complete else f"read {sync.messages_read} messages; the rest at the next sync"
            save_sync_success(connection, cursor=dict(sync.cursor.extra), status="ok", now=self.now,
                              next_check_at=next_sync.after_sync(now=self.now, poll_interval_seconds=self.interval),
                              warning=self._warning(task, warning))
            self._rescore(session, outcome.customers)
        self.summary.emails += outcome.created

    def _rescore(self, session, customer_ids: set[int]) -> None:
        """Rescore the tracked customers among ``customer_ids`` with this sync's session."""
        tracked = [i for i in sorted(customer_ids) if (c := session.get(Customer, i)) is not None and c.tracked]
        if tracked:
            rescore_safely(tracked, session=session, as_of=self.now, params=self.runtime.scoring)

    def _store_failure(self, task: _Task, error: Exception) -> None:
        failure = _failure_of(error)
        message = self._clean(error.message if isinstance(error, ConnectorError) else str(error), task)
        retry_after = error.retry_after if isinstance(error, ConnectorError) else None
        at = next_sync.after_failure(failure, now=self.now, poll_interval_seconds=self.interval,
                                     error_count=task.error_count, retry_after=retry_after)
        status = "disabled" if failure == next_sync.GONE else (
            error.status if isinstance(error, ConnectorError) and error.status != "error" else "error")
        with self.runtime.session() as session:
            connection = session.get(Connection, task.connection_id)
            if connection is not None:
                save_sync_failure(connection, error=message, status=status, now=self.now, next_check_at=at)
        self.summary.errors += 1
        self.summary.problems.append(f"{task.label}: {message}")


def sync_connections(runtime: Runtime, *, force: bool = False, now: datetime | None = None,
                     connection_ids: Collection[int] | None = None) -> CaptureSummary:
    """Sync every due connection (``force``: every enabled one), each in its own transaction,
    and rescore the customers whose captured interactions changed. With ``connection_ids``, only
    the due ones among those: what the queued job of one connection does (bot/workers/tasks.py)."""
    return _Sync(runtime, force=force, now=now or utcnow(), connection_ids=connection_ids).run()
