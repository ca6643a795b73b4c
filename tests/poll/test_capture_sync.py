"""The capture sync end to end: connect (a sealed secret on a connection row) -> poll -> status.

Calendars are ICS files written here and served on loopback by the feed fake; mailboxes live in a
real dovecot (skipped, with the reason, where it cannot start)."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import imapclient
import pytest
from cryptography.fernet import Fernet
from fakes.dovecot import start_dovecot
from fakes.feeds import FeedServer, Route
from sqlalchemy import select

from bot.jobs.poll import poll_job
from bot.jobs.score import relationship_statuses
from config.settings import Secret
from models.crypto import SecretBox
from models.entities import Capture, Connection, Customer, Interaction, Member, ScoreSnapshot, Team
from models.store.connections import add_connection
from models.store.interactions import log_interaction

UTC = timezone.utc
AS_OF = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
KEY = Fernet.generate_key().decode()
SECRET_PATH = "/calendar/ical/dana/private-5ec4e7/basic.ics"
PASSWORD = "app-pass-9q2w"


def event(uid: str, start: str, *lines: str, people: tuple[str, ...] = ("dana@ourco.example", "jane@acme.example")) -> str:
    body = [f"UID:{uid}", start if ":" in start else f"DTSTART:{start}", "DURATION:PT1H", f"ORGANIZER:mailto:{people[0]}"]
    body += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{p}" for p in people[1:]] + list(lines)
    return "BEGIN:VEVENT\r\n" + "\r\n".join(body) + "\r\nEND:VEVENT\r\n"


def calendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//strongtie tests//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n").encode()


# Weekly with Jane, Dana and Sam: Feb 2 .. Mar 16 are past (7), Mar 23 and 30 are not.
WEEKLY = event("weekly@ourco", "20260202T100000Z", "RRULE:FREQ=WEEKLY;COUNT=9", "SUMMARY:Acme weekly",
               people=("dana@ourco.example", "jane@acme.example", "sam@ourco.example"))


@pytest.fixture
def world(sessions):
    """A team (Dana, Sam; customers Jane and Bob) and a helper to connect a member."""
    box = SecretBox(Secret(KEY))
    with sessions.begin() as session:
        team = Team(name="Enterprise", slack_channel="C0TEAM", timezone="UTC")
        session.add(team)
        session.flush()
        session.add_all([
            Member(team_id=team.id, slack_user="U_DANA", name="Dana", email="dana@ourco.example"),
            Member(team_id=team.id, slack_user="U_SAM", name="Sam", email="sam@ourco.example"),
            Customer(team_id=team.id, name="Jane Doe", name_key="jane doe", company="Acme", emails=["jane@acme.example"]),
            Customer(team_id=team.id, name="Bob Roe", name_key="bob roe", company="Globex", emails=["bob@globex.example"]),
        ])

    def connect(slack_user: str, kind: str, secret: str, **options) -> int:
        with sessions.begin() as session:
            member = session.scalar(select(Member).where(Member.slack_user == slack_user))
            return add_connection(member, kind, sealed_secret=box.seal(secret), options=options, session=session).id

    return connect


def captured(sessions, origin: str = "calendar") -> list[tuple[str, datetime, str]]:
    with sessions() as session:
        rows = session.execute(select(Customer.name, Interaction.occurred_at, Interaction.direction)
                               .join(Customer, Customer.id == Interaction.customer_id)
                               .where(Interaction.origin == origin).order_by(Interaction.occurred_at, Customer.name))
        return [tuple(row) for row in rows]


def connection(sessions, connection_id: int) -> Connection:
    with sessions() as session:
        row = session.get(Connection, connection_id)
        session.expunge(row)
        return row


def score_of(runtime, name: str, as_of: datetime = AS_OF) -> float:
    with runtime.session() as session:
        return next(s.score for s in relationship_statuses(session=session, as_of=as_of, params=runtime.scoring)
                    if s.customer == name)


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def test_connect_poll_status_meetings_captured_once_and_scores_move(world, server, make_runtime, sessions):
    runtime = make_runtime(secret_key=Secret(KEY))
    url = server.add(SECRET_PATH, Route(body=calendar(WEEKLY), content_type="text/calendar"))
    other = server.add("/sam.ics", Route(body=calendar(WEEKLY), content_type="text/calendar"))
    dana, sam = world("U_DANA", "calendar", url), world("U_SAM", "calendar", other)
    assert score_of(runtime, "Jane Doe") == 0
    summary = poll_job(runtime, now=AS_OF)
    assert "Synced 2 connections: 7 new meetings, 0 new emails, 0 errors." in summary.line()
    meetings = captured(sessions)
    # two members in one meeting with one customer: one meeting, not two; the future ones wait
    assert [at for _, at, _ in meetings] == [datetime(2026, 2, 2, 10, tzinfo=UTC) + timedelta(weeks=n) for n in range(7)]
    assert {(name, direction) for name, _, direction in meetings} == {("Jane Doe", "mutual")}
    with sessions() as session:
        notes = set(session.scalars(select(Interaction.note).where(Interaction.origin == "calendar")))
        assert notes == {""}  # no title without STRONGTIE_CAPTURE_SUBJECTS
        assert session.scalar(select(ScoreSnapshot).join(Customer).where(Customer.name == "Jane Doe")) is not None
        assert len(session.scalars(select(Capture)).all()) == 14  # each calendar links all seven
    assert score_of(runtime, "Jane Doe") > 0 and score_of(runtime, "Bob Roe") == 0
    for row in (connection(sessions, dana), connection(sessions, sam)):
        assert row.status == "ok" and row.last_error is None and row.cursor["etag"]
        assert row.next_check_at == AS_OF + timedelta(minutes=runtime.settings.poll_interval_minutes)
    # re-sync (forced, and later when due): nothing new
    assert "0 new meetings" in poll_job(runtime, now=AS_OF + timedelta(minutes=5), force=True).line()
    assert "0 new meetings" in poll_job(runtime, now=AS_OF + timedelta(hours=1)).line()
    assert captured(sessions) == meetings


def test_titles_are_kept_only_when_subjects_are_captured(world, server, make_runtime, sessions):
    runtime = make_runtime(secret_key=Secret(KEY), capture_subjects=True)
    world("U_DANA", "calendar", server.add(SECRET_PATH, Route(body=calendar(WEEKLY), content_type="text/calendar")))
    poll_job(runtime, now=AS_OF)
    with sessions() as session:
        assert set(session.scalars(select(Interaction.note).where(Interaction.origin == "calendar"))) == {"Acme weekly"}


def test_a_moved_occurrence_moves_and_a_cancelled_one_goes_but_never_a_hand_logged_one(world, server, make_runtime, sessions):
    runtime = make_runtime(secret_key=Secret(KEY))
    url = server.add(SECRET_PATH, Route(body=calendar(WEEKLY), content_type="text/calendar"))
    world("U_DANA", "calendar", url)
    poll_job(runtime, now=AS_OF)
    with sessions.begin() as session:
        jane = session.scalar(select(Customer).where(Customer.name == "Jane Doe"))
        log_interaction(jane, "meeting", session=session, occurred_at=datetime(2026, 2, 9, 10, tzinfo=UTC), origin="cli")
    moved = event("weekly@ourco", "20260225T150000Z", "RECURRENCE-ID:20260223T100000Z",
                  people=("dana@ourco.example", "jane@acme.example", "sam@ourco.example"))
    cancelled = event("weekly@ourco", "20260209T100000Z", "RECURRENCE-ID:20260209T100000Z", "STATUS:CANCELLED")
    server.add(SECRET_PATH, Route(body=calendar(WEEKLY, moved, cancelled), content_type="text/calendar"))
    summary = poll_job(runtime, now=AS_OF + timedelta(hours=1), force=True)
    assert "0 new meetings, 0 new emails, 1 moved, 1 removed" in summary.line()
    calendar_days = [at.date().isoformat() for _, at, _ in captured(sessions)]
    assert calendar_days == ["2026-02-02", "2026-02-16", "2026-02-25", "2026-03-02", "2026-03-09", "2026-03-16"]
    assert [at.hour for _, at, _ in captured(sessions)][2] == 15
    assert [at for _, at, _ in captured(sessions, "cli")] == [datetime(2026, 2, 9, 10, tzinfo=UTC)]  # hand-logged stays


@pytest.mark.parametrize("change", [
    pytest.param("customer-removed", id="customer-taken-off-the-roster"),
    pytest.param("member-address-removed", id="member-without-an-address"),
])
def test_a_roster_change_keeps_the_meetings_captured_before(world, server, make_runtime, sessions, change):
    runtime = make_runtime(secret_key=Secret(KEY))
    url = server.add(SECRET_PATH, Route(body=calendar(WEEKLY), content_type="text/calendar"))
    world("U_DANA", "calendar", url)
    poll_job(runtime, now=AS_OF)
    before = captured(sessions)
    assert len(before) == 7
    with sessions.begin() as session:
        if change == "customer-removed":
            session.scalar(select(Customer).where(Customer.name == "Jane Doe")).in_roster = False
        else:
            session.scalar(select(Member).where(Member.slack_user == "U_DANA")).email = None
    other = event("other@ourco", "20260305T100000Z", people=("dana@ourco.example", "bob@globex.example"))
    server.add(SECRET_PATH, Route(body=calendar(WEEKLY, other), content_type="text/calendar"))  # read whole again
    summary = poll_job(runtime, now=AS_OF + timedelta(hours=1), force=True)
    assert "0 removed" in summary.line() or "removed" not in summary.line()
    assert [c for c in captured(sessions) if c in before] == before


def test_a_meeting_still_in_another_members_calendar_stays(world, server, make_runtime, sessions):
    runtime = make_runtime(secret_key=Secret(KEY))
    world("U_DANA", "calendar", server.add(SECRET_PATH, Route(body=calendar(WEEKLY), content_type="text/calendar")))
    world("U_SAM", "calendar", server.add("/sam.ics", Route(body=calendar(WEEKLY), content_type="text/calendar")))
    poll_job(runtime, now=AS_OF)
    server.add(SECRET_PATH, Route(body=calendar(), content_type="text/calendar"))  # Dana's calendar empties
    assert "0 removed" not in poll_job(runtime, now=AS_OF + timedelta(hours=1), force=True).line()
    assert len(captured(sessions)) == 7  # Sam's still holds them: kept


@pytest.mark.parametrize(
    "route, status, words",
    [
        pytest.param(Route(status=404), "error", "reset", id="404-address-reset"),
        pytest.param(Route(status=410), "disabled", "removed for good", id="410-gone"),
        pytest.param(Route(body=b"<html>login</html>", content_type="text/html"), "error", "web page", id="html"),
    ],
)
def test_a_broken_calendar_is_an_error_without_its_secret_and_no_retry_storm(world, server, make_runtime, sessions, route, status, words):
    runtime = make_runtime(secret_key=Secret(KEY))
    connection_id = world("U_DANA", "calendar", server.add(SECRET_PATH, route))
    summary = poll_job(runtime, now=AS_OF)
    assert "1 error" in summary.line() and any(words in p for p in summary.problems)
    row = connection(sessions, connection_id)
    assert row.status == status and words in row.last_error and "private-5ec4e7" not in row.last_error
    assert not any("private-5ec4e7" in p for p in summary.problems)
    assert row.next_check_at is None if status == "disabled" else row.next_check_at >= AS_OF + timedelta(hours=23)
    assert "Synced" not in poll_job(runtime, now=AS_OF + timedelta(hours=1)).line()  # not due: not retried


def test_a_dropped_calendar_server_backs_off(world, make_runtime, sessions):
    runtime = make_runtime(secret_key=Secret(KEY))
    connection_id = world("U_DANA", "calendar", "http://127.0.0.1:9/private-5ec4e7.ics")  # nothing listens
    poll_job(runtime, now=AS_OF)
    row = connection(sessions, connection_id)
    assert row.status == "retrying" and row.error_count == 1 and "private-5ec4e7" not in row.last_error
    assert AS_OF + timedelta(seconds=59) < row.next_check_at < AS_OF + timedelta(minutes=3)


def test_without_the_key_every_connection_fails_with_how_to_make_one(world, server, make_runtime, sessions):
    connection_id = world("U_DANA", "calendar", server.add(SECRET_PATH, Route(body=calendar(WEEKLY))))
    summary = poll_job(make_runtime(), now=AS_OF)
    row = connection(sessions, connection_id)
    assert row.status == "error" and "STRONGTIE_SECRET_KEY" in row.last_error and "Fernet" in row.last_error
    assert "1 error" in summary.line() and captured(sessions) == []


# Mailboxes in a real dovecot -----------------------------------------------------------------------

def mail(sender: str, to: str, message_id: str, *, date: str = "Tue, 10 Mar 2026 09:00:00 +0000", extra: str = "") -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Date: {date}", "Subject: private words", f"Message-ID: {message_id}"]
    lines += [line for line in extra.split("\n") if line]
    return ("\r\n".join(lines) + "\r\n\r\nThe body is never read.\r\n").encode()


@pytest.fixture(scope="module")
def dovecot():
    users = {"dana@ourco.example": PASSWORD, "sam@ourco.example": PASSWORD}
    users.update({f"dana{n}@ourco.example": PASSWORD for n in range(8)})
    with own_directory() as base:
        server = start_dovecot(base, users)
        if isinstance(server, str):
            pytest.skip(f"no real IMAP server: {server}")
        server.unused = [f"dana{n}@ourco.example" for n in range(8)]
        yield server
        server.stop()


@pytest.fixture
def mailbox(dovecot):
    """A fresh mailbox user and a client to APPEND with."""
    user = dovecot.unused.pop()
    client = imapclient.IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=5)
    client.login(user, PASSWORD)
    yield user, client
    client.logout()


@contextmanager
def own_directory():
    """A scratch directory directly under the system's temporary directory: dovecot's users must
    reach it, and pytest's own base directory is made private again whenever a pytest run starts."""
    with tempfile.TemporaryDirectory(prefix="strongtie-dovecot-") as base:
        yield Path(base)


def imap_options(dovecot, user: str) -> dict:
    return {"host": dovecot.host, "port": dovecot.port, "user": user, "security": "plain"}


def test_mail_is_captured_once_per_message_and_a_reply_is_two_way(world, dovecot, mailbox, make_runtime, sessions):
    user, client = mailbox
    client.append("INBOX", mail("jane@acme.example", "dana@ourco.example, sam@ourco.example", "<q1@acme>"))
    client.append("Sent", mail("dana@ourco.example", "jane@acme.example", "<r1@ourco>", date="Wed, 11 Mar 2026 09:00:00 +0000",
                               extra="In-Reply-To: <q1@acme>\nReferences: <q1@acme>"))
    client.append("INBOX", mail("news@acme.example", "dana@ourco.example", "<n@acme>", extra="List-Unsubscribe: <x>"))
    runtime = make_runtime(secret_key=Secret(KEY))
    connection_id = world("U_DANA", "imap", PASSWORD, **imap_options(dovecot, user))
    summary = poll_job(runtime, now=AS_OF)
    assert "2 new emails" in summary.line()
    assert captured(sessions, "email") == [("Jane Doe", datetime(2026, 3, 10, 9, tzinfo=UTC), "inbound"),
                                          ("Jane Doe", datetime(2026, 3, 11, 9, tzinfo=UTC), "mutual")]
    assert score_of(runtime, "Jane Doe") > 0
    row = connection(sessions, connection_id)
    assert row.status == "ok" and set(row.cursor["folders"]) == {"INBOX", "Sent"}
    assert "0 new emails" in poll_job(runtime, now=AS_OF + timedelta(minutes=5), force=True).line()
    # a reply in a later sync to the thread Jane started is still two-way
    client.append("Sent", mail("dana@ourco.example", "jane@acme.example", "<r2@ourco>", date="Thu, 12 Mar 2026 09:00:00 +0000",
                               extra="In-Reply-To: <r1@ourco>\nReferences: <q1@acme> <r1@ourco>"))
    assert "1 new email," in poll_job(runtime, now=AS_OF + timedelta(minutes=10), force=True).line()
    assert captured(sessions, "email")[-1] == ("Jane Doe", datetime(2026, 3, 12, 9, tzinfo=UTC), "mutual")
    with sessions() as session:
        assert set(session.scalars(select(Interaction.note).where(Interaction.origin == "email"))) == {""}


def test_one_message_in_two_members_mailboxes_is_one_email(world, dovecot, make_runtime, sessions):
    runtime = make_runtime(secret_key=Secret(KEY))
    users = [dovecot.unused.pop(), dovecot.unused.pop()]
    for user, member in zip(users, ("U_DANA", "U_SAM")):
        client = imapclient.IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=5)
        client.login(user, PASSWORD)
        client.append("INBOX", mail("jane@acme.example", "dana@ourco.example, sam@ourco.example", "<both@acme>"))
        client.logout()
        world(member, "imap", PASSWORD, **imap_options(dovecot, user))
    assert "1 new email," in poll_job(runtime, now=AS_OF).line()
    assert len(captured(sessions, "email")) == 1


def test_a_wrong_password_is_an_error_with_a_clear_message_and_no_secret(world, make_runtime, sessions):
    with own_directory() as base:  # a server of its own: dovecot slows later logins after a failed one
        strict = start_dovecot(base, {"dana@ourco.example": PASSWORD})
        if isinstance(strict, str):
            pytest.skip(f"no real IMAP server: {strict}")
        try:
            runtime = make_runtime(secret_key=Secret(KEY))
            wrong = "wrong-" + PASSWORD
            connection_id = world("U_DANA", "imap", wrong, **imap_options(strict, "dana@ourco.example"))
            summary = poll_job(runtime, now=AS_OF)
        finally:
            strict.stop()
    row = connection(sessions, connection_id)
    assert row.status == "error" and "refused the login of dana@ourco.example" in row.last_error
    assert wrong not in row.last_error and PASSWORD not in row.last_error and not any(PASSWORD in p for p in summary.problems)
    assert row.next_check_at >= AS_OF + timedelta(hours=23)  # no retry storm against the mail server
