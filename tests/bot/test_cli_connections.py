"""`strongtie connect calendar|imap`, `connections` and `disconnect`: a calendar served on loopback
and a real dovecot (skipped with the reason where it cannot start), on SQLite and PostgreSQL.

Every check that fails stores nothing and prints one line without the secret; what is stored is
sealed with STRONGTIE_SECRET_KEY and never printed."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet
from fakes.dovecot import start_dovecot
from fakes.feeds import FeedServer, Route
from sqlalchemy import select

from bot.jobs.connect import ConnectError, calendar_address, check_calendar, check_mailbox, imap_options, mailbox_login
from config.errors import InputError
from config.settings import Secret, load_settings
from models.crypto import SecretBox
from models.entities import Connection

KEY = Fernet.generate_key().decode()
SECRET_PATH = "/calendar/ical/dana%40ourco.example/private-5ec4e7a1b2/basic.ics"
SECRET_MARK = "5ec4e7a1b2"
PASSWORD = "app-pass-9q2w"
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//strongtie tests//EN\r\nBEGIN:VEVENT\r\nUID:a@x\r\n"
       b"DTSTART:20260310T100000Z\r\nORGANIZER:mailto:dana@ourco.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
ROSTER = """
teams:
  - name: East
    slack_channel: C0000001
    members: [{slack_user: U0DANA, name: Dana Reyes, email: dana@ourco.example}, {slack_user: U0LEE, name: Lee Park}]
    customers:
      - {name: Jane Doe, company: Acme Corp, owner: U0DANA, revenue: 10, emails: [jane@acme.example]}
"""


@pytest.fixture
def world(cli, roster_file, monkeypatch):
    """The roster imported, a secret key and private networks allowed (the fakes are on loopback)."""
    assert cli("roster", "import", str(roster_file(ROSTER))).exit_code == 0
    monkeypatch.setenv("STRONGTIE_SECRET_KEY", KEY)
    monkeypatch.setenv("STRONGTIE_ALLOW_PRIVATE_NETWORKS", "1")
    monkeypatch.setenv("STRONGTIE_POLL_FETCH_TIMEOUT_SECONDS", "3")
    return cli


@pytest.fixture
def calendar_server():
    with FeedServer() as server:
        yield server


def stored(sessions) -> list[tuple[str, str, dict]]:
    with sessions() as session:
        return [(c.kind, c.secret, dict(c.options)) for c in session.scalars(select(Connection).order_by(Connection.id))]


def test_connect_calendar_stores_the_address_sealed_and_lists_it_without_it(world, calendar_server, sessions):
    url = calendar_server.add(SECRET_PATH, Route(body=ICS, content_type="text/calendar"))
    result = world("connect", "calendar", "--member", "U0DANA", input=f"  {url}\n")
    assert result.exit_code == 0, result.output
    assert "Connected the calendar at 127.0.0.1 for U0DANA (connection " in result.output
    assert SECRET_MARK not in result.output and calendar_server.hits[SECRET_PATH] == 1
    [(kind, secret, options)] = stored(sessions)
    assert kind == "calendar" and SECRET_MARK not in secret and SECRET_MARK not in json.dumps(options)
    assert SecretBox(Secret(KEY)).open(secret) == url
    listed = world("connections", "--json")
    rows = json.loads(listed.output)
    assert [(r["member"], r["kind"], r["target"], r["status"], r["last_synced_at"], r["last_error"]) for r in rows] == [
        ("U0DANA", "calendar", "127.0.0.1", "new", None, None)]
    assert {"id", "member", "kind", "last_synced_at", "status", "last_error"} <= set(rows[0])
    human = world("connections").output
    assert "U0DANA" in human and "calendar" in human and human.rstrip().endswith("1 connection(s).")
    assert SECRET_MARK not in listed.output + human
    again = world("connect", "calendar", "--member", "dana reyes", input=url)  # by name; the same address
    assert again.exit_code == 0 and "Connected again" in again.output and len(stored(sessions)) == 1


@pytest.mark.parametrize(
    "route, env, words",
    [
        pytest.param(Route(status=404), {}, "no calendar at this address (404)", id="not-found"),
        pytest.param(Route(body=b"<!doctype html><html><body>Sign in</body></html>", content_type="text/html"), {},
                     "a web page, not an iCalendar file", id="a-web-page"),
        pytest.param(Route(body=ICS), {"STRONGTIE_ALLOW_PRIVATE_NETWORKS": "0"}, "STRONGTIE_ALLOW_PRIVATE_NETWORKS=1",
                     id="loopback-refused-by-the-ssrf-guard"),
    ],
)
def test_a_calendar_that_cannot_be_read_stores_nothing_and_never_shows_the_address(
        world, calendar_server, sessions, monkeypatch, route, env, words):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    url = calendar_server.add(SECRET_PATH, route)
    result = world("connect", "calendar", "--member", "U0DANA", input=url + "\n")
    assert result.exit_code == 1 and words in result.output
    assert result.output.startswith("Error: the calendar at 127.0.0.1 could not be read, so nothing was stored")
    assert len(result.output.strip().splitlines()) == 1
    assert SECRET_MARK not in result.output and stored(sessions) == []


@pytest.mark.parametrize(
    "text, env, words",
    [
        pytest.param(f"http://calendar.example{SECRET_PATH}", {}, "would travel unencrypted", id="clear-text-http"),
        pytest.param(f"ftp://calendar.example{SECRET_PATH}", {}, "must start with https:// or webcal://", id="not-http"),
        pytest.param("", {}, "no calendar address was given on standard input", id="nothing-pasted"),
        pytest.param(f"https://calendar.example{SECRET_PATH}", {"STRONGTIE_SECRET_KEY": ""},
                     "Fernet.generate_key()", id="no-secret-key"),
        pytest.param(f"https://calendar.example{SECRET_PATH}", {"STRONGTIE_SECRET_KEY": "not-a-key"},
                     "is not a Fernet key", id="a-bad-secret-key"),
    ],
)
def test_bad_input_or_no_key_is_refused_before_any_fetch(world, sessions, monkeypatch, text, env, words):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = world("connect", "calendar", "--member", "U0DANA", input=text + "\n")
    assert result.exit_code == 1 and words in result.output and SECRET_MARK not in result.output
    assert stored(sessions) == []


@pytest.mark.parametrize(
    "member, words",
    [
        pytest.param("U0NOBODY", "is not an active member of a team in the roster (members: U0DANA (Dana Reyes), "
                                 "U0LEE (Lee Park))", id="unknown"),
        pytest.param("", "is not an active member", id="empty"),
    ],
)
def test_member_must_be_an_active_member(world, sessions, member, words):
    result = world("connect", "calendar", "--member", member, input="https://calendar.example/x.ics\n")
    assert result.exit_code == 1 and words in result.output and stored(sessions) == []


def test_webcal_is_read_as_https():
    assert calendar_address(" webcal://calendar.example/private/basic.ics\n") == "https://calendar.example/private/basic.ics"
    with pytest.raises(InputError) as raised:
        calendar_address("https://calendar.example/a\nb.ics")
    assert "a\nb" not in str(raised.value)


def test_disconnect_removes_the_connection_and_its_secret(world, calendar_server, sessions):
    url = calendar_server.add(SECRET_PATH, Route(body=ICS, content_type="text/calendar"))
    world("connect", "calendar", "--member", "U0DANA", input=url)
    [row] = json.loads(world("connections", "--json").output)
    result = world("disconnect", str(row["id"]))
    assert result.exit_code == 0 and f"Disconnected calendar connection {row['id']} of U0DANA" in result.output
    assert stored(sessions) == [] and json.loads(world("connections", "--json").output) == []
    missing = world("disconnect", str(row["id"]))
    assert missing.exit_code == 1 and f"no connection {row['id']}" in missing.output


# A real IMAP server --------------------------------------------------------------------------

USERS = ["dana@ourco.example", "lee@ourco.example", "sam@ourco.example"]


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory):
    server = start_dovecot(tmp_path_factory.mktemp("dovecot-cli"), dict.fromkeys(USERS, PASSWORD))
    if isinstance(server, str):
        pytest.skip(f"no real IMAP server: {server}")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def strict_dovecot(tmp_path_factory):
    """Its own server for the refused login: dovecot delays later logins from an address that failed."""
    server = start_dovecot(tmp_path_factory.mktemp("dovecot-cli-strict"), {"dana@ourco.example": PASSWORD})
    if isinstance(server, str):
        pytest.skip(f"no real IMAP server: {server}")
    yield server
    server.stop()


def imap_args(server, user: str, *extra: str) -> list[str]:
    return ["connect", "imap", "--member", "U0DANA", "--host", server.host, "--port", str(server.port),
            "--user", user, "--security", "plain", *extra]


def test_connect_imap_logs_in_once_and_stores_the_password_sealed(world, dovecot, sessions):
    result = world(*imap_args(dovecot, "dana@ourco.example", "--folder", "INBOX", "--folder", "Sent"), input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert f"Connected the mailbox dana@ourco.example at 127.0.0.1:{dovecot.port} for U0DANA" in result.output
    assert PASSWORD not in result.output
    [(kind, secret, options)] = stored(sessions)
    assert kind == "imap" and PASSWORD not in secret and SecretBox(Secret(KEY)).open(secret) == PASSWORD
    assert options == {"host": "127.0.0.1", "port": dovecot.port, "user": "dana@ourco.example", "security": "plain",
                       "folders": ["INBOX", "Sent"], "xoauth2": False}
    [row] = json.loads(world("connections", "--json").output)
    assert row["target"] == f"dana@ourco.example@127.0.0.1:{dovecot.port}" and row["kind"] == "imap"
    again = world(*imap_args(dovecot, "dana@ourco.example"), input=PASSWORD)  # a new password, or the same one
    assert "Connected again" in again.output and len(stored(sessions)) == 1


@pytest.mark.parametrize(
    "extra, env, words",
    [
        pytest.param(("--folder", "Archive"), {}, "no folder 'Archive'", id="missing-folder"),
        pytest.param((), {"STRONGTIE_ALLOW_PRIVATE_NETWORKS": "0"}, "refused IMAP host 127.0.0.1", id="private-not-allowed"),
        pytest.param(("--security", "tls"), {}, "no TLS conversation", id="tls-to-a-plain-port"),
    ],
)
def test_a_mailbox_that_cannot_be_used_stores_nothing(world, dovecot, sessions, monkeypatch, extra, env, words):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = world(*imap_args(dovecot, "lee@ourco.example", *extra), input=PASSWORD)
    assert result.exit_code == 1 and words in result.output and PASSWORD not in result.output
    assert result.output.startswith("Error: the mailbox lee@ourco.example at 127.0.0.1:")
    assert stored(sessions) == []


def test_a_refused_login_says_so_without_the_password(world, strict_dovecot, sessions):
    wrong = "wrong-" + PASSWORD
    result = world(*imap_args(strict_dovecot, "dana@ourco.example"), input=wrong)
    assert result.exit_code == 1 and "refused the login of dana@ourco.example" in result.output
    assert wrong not in result.output and PASSWORD not in result.output and stored(sessions) == []


def test_plain_text_imap_to_the_internet_is_refused(monkeypatch):
    monkeypatch.setenv("STRONGTIE_ALLOW_PRIVATE_NETWORKS", "1")
    login = mailbox_login(imap_options(host="imap.example.com", user="dana", port=None, security="plain", folders=(),
                                       xoauth2=False), PASSWORD)
    with pytest.raises(ConnectError, match="refused plain-text IMAP to imap.example.com") as raised:
        check_mailbox(login, load_settings({"STRONGTIE_ALLOW_PRIVATE_NETWORKS": "1"}), now=datetime.now(timezone.utc),
                      resolver=lambda host, port: ["93.184.215.14"])
    assert PASSWORD not in str(raised.value)


def test_clear_text_http_is_allowed_only_inside_an_allowed_private_network():
    settings = load_settings({"STRONGTIE_ALLOW_PRIVATE_NETWORKS": "1", "STRONGTIE_POLL_FETCH_TIMEOUT_SECONDS": "1"})
    with pytest.raises(ConnectError, match="would travel unencrypted") as raised:
        check_calendar(f"http://calendar.example{SECRET_PATH}", settings, now=datetime.now(timezone.utc),
                       resolver=lambda host, port: ["93.184.215.14"])
    assert SECRET_MARK not in str(raised.value)
