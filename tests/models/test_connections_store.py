"""Connections in the store and their sealed credentials, on SQLite and PostgreSQL."""

from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from helpers import customer, member, roster, team
from sqlalchemy import select

from config.settings import Secret
from models.crypto import SecretBox, SecretKeyError
from models.entities import Connection, Member
from models.store.connections import (add_connection, all_connections, due_connections, remove_connection,
                                      save_sync_failure, save_sync_success)

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
ICS = "https://calendar.google.com/calendar/ical/dana%40ourco.example/private-0123abcd/basic.ics"


def test_a_secret_is_sealed_and_opened_only_with_its_key():
    box = SecretBox(Secret(Fernet.generate_key().decode()))
    sealed = box.seal(ICS)
    assert "private-0123abcd" not in sealed and box.open(sealed) == ICS
    other = SecretBox(Secret(Fernet.generate_key().decode()))
    with pytest.raises(SecretKeyError) as caught:
        other.open(sealed)
    assert "not the key it was stored with" in str(caught.value) and ICS not in str(caught.value)


@pytest.mark.parametrize("key, message", [
    pytest.param("", "no STRONGTIE_SECRET_KEY", id="missing"),
    pytest.param("not-a-key", "is not a Fernet key", id="malformed"),
])
def test_without_a_usable_key_nothing_is_sealed_and_the_error_says_how_to_make_one(key, message):
    with pytest.raises(SecretKeyError) as caught:
        SecretBox(Secret(key))
    assert message in str(caught.value) and "Fernet.generate_key()" in str(caught.value)
    assert "not-a-key" not in str(caught.value)
    assert "***" in repr(SecretBox(Secret(Fernet.generate_key().decode())))


@pytest.fixture
def dana(cli, roster_file, sessions):
    document = roster(team("East", slack_channel="C0123456", members=[member("U012ABC", "Dana")],
                           customers=[customer("Jane", revenue=1)]))
    assert cli("roster", "import", str(roster_file(document))).exit_code == 0
    return document


def test_connections_are_added_due_synced_and_removed(dana, sessions):
    with sessions.begin() as session:
        member_row = session.scalar(select(Member))
        calendar = add_connection(member_row, "calendar", sealed_secret="sealed", options={}, session=session)
        add_connection(member_row, "imap", sealed_secret="sealed2", options={"host": "imap.example"}, session=session)
        calendar_id = calendar.id
    with sessions.begin() as session:
        assert [c.kind for c in due_connections(session=session, now=NOW)] == ["calendar", "imap"]
        assert [c.kind for c in due_connections(session=session, now=NOW, kind="imap")] == ["imap"]
        calendar = session.get(Connection, calendar_id)
        save_sync_success(calendar, cursor={"etag": "x\x00y"}, status="ok", now=NOW, next_check_at=NOW + timedelta(hours=1))
    with sessions.begin() as session:
        assert [c.kind for c in due_connections(session=session, now=NOW)] == ["imap"]
        assert [c.kind for c in due_connections(session=session, now=NOW, force=True)] == ["calendar", "imap"]
        calendar = session.get(Connection, calendar_id)
        assert calendar.cursor == {"etag": "xy"} and calendar.last_synced_at == NOW
        save_sync_failure(calendar, error="refused \x1b]0;x\x07" + "e" * 5000, status="error", now=NOW, next_check_at=None)
    with sessions.begin() as session:
        calendar = session.get(Connection, calendar_id)
        assert "\x1b" not in calendar.last_error and len(calendar.last_error) <= 2000 and calendar.error_count == 1
        assert [c.member.slack_user for c in all_connections(session=session, member_user="U012ABC")] == ["U012ABC"] * 2
        assert remove_connection(calendar_id, session=session) is not None
        assert remove_connection(calendar_id, session=session) is None
    with sessions.begin() as session:
        assert [c.kind for c in all_connections(session=session)] == ["imap"]


def test_connections_of_removed_members_are_not_due(dana, cli, roster_file, sessions):
    with sessions.begin() as session:
        add_connection(session.scalar(select(Member)), "calendar", sealed_secret="s", options={}, session=session)
    document = roster(team("East", slack_channel="C0123456", members=[member("U099XYZ", "Other")],
                           customers=[customer("Jane", revenue=1)]))
    assert cli("roster", "import", str(roster_file(document))).exit_code == 0
    with sessions.begin() as session:
        assert due_connections(session=session, now=NOW, force=True) == []
