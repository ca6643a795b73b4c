"""Mailboxes: which message headers become email contact, and the IMAP connector against a real
dovecot (started on loopback by the fixture; skipped with the reason where it cannot start)."""

from __future__ import annotations

import socket
import threading
from datetime import date, datetime, timezone

import imapclient
import pytest
from fakes.dovecot import start_dovecot

from connectors.base import Cursor, FatalError, RetriableError
from connectors.imap import ImapConnector, MailboxLogin, MailLimits, RefusedMailboxError, check_mailbox_host
from connectors.mail import MailPeople, classify, parse_headers

UTC = timezone.utc
PASSWORD = "app-pass-7f3k"
PEOPLE = MailPeople.of({"dana@ourco.example": "U_DANA", "D.Reyes@ourco.example": "U_DANA", "sam@ourco.example": "U_SAM"},
                       {"jane@acme.example": "jane", "bob@globex.example": "bob"})
FAST = MailLimits(connect_timeout=2, read_timeout=2, batch_size=2, max_messages_per_folder=100, time_budget=20)


def mail(sender: str, to: str, *, cc: str = "", message_id: str = "<m1@x>", date: str = "Tue, 10 Mar 2026 09:00:00 +0100",
         extra: str = "") -> bytes:
    lines = [f"From: {sender}", f"To: {to}"] + ([f"Cc: {cc}"] if cc else []) + [f"Date: {date}", "Subject: private words"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    lines += [line for line in extra.split("\n") if line]
    return ("\r\n".join(lines) + "\r\n\r\nThe body is never read.\r\n").encode()


def parsed(raw: bytes, folder: str = "INBOX", received: datetime | None = None):
    return parse_headers(raw, folder=folder, received=received)


# Headers and classification (no server) --------------------------------------------------------

def test_headers_are_normalised():
    message = parsed(mail('"Jane Doe" <Jane@ACME.example>', "Dana <dana@ourco.example>, =?utf-8?q?S=C3=A4m?= <sam@ourco.example>",
                          cc="bob@globex.example", extra="In-Reply-To: <root@x>\nReferences: <root@x> <mid@x>"))
    assert message.sender == "jane@acme.example" and message.to == ("dana@ourco.example", "sam@ourco.example")
    assert message.cc == ("bob@globex.example",) and message.message_id == "<m1@x>"
    assert message.date == datetime(2026, 3, 10, 8, tzinfo=UTC)
    assert message.in_reply_to == "<root@x>" and message.thread_root == "<root@x>" and message.automated is None


def test_a_message_without_message_id_gets_a_stable_one_and_a_bad_date_falls_back_to_internaldate():
    received = datetime(2026, 3, 11, 7, tzinfo=UTC)
    raw = mail("jane@acme.example", "dana@ourco.example", message_id="", date="the day after tomorrow")
    first, again = parsed(raw, received=received), parsed(raw, folder="Sent", received=received)
    assert first.message_id == again.message_id and first.message_id.endswith("@strongtie.invalid>")
    assert first.date == received
    assert parsed(b"To: dana@ourco.example\r\n\r\n") is None  # no sender: nothing to attribute


@pytest.mark.parametrize(
    "sender, extra, reason",
    [
        pytest.param("news@acme.example", "List-Unsubscribe: <mailto:unsub@acme.example>", "List-Unsubscribe", id="list-unsubscribe"),
        pytest.param("jane@acme.example", "List-Id: <team.acme.example>", "List-Id", id="list-id"),
        pytest.param("jane@acme.example", "Precedence: bulk", "Precedence", id="precedence-bulk"),
        pytest.param("jane@acme.example", "Precedence: junk", "Precedence", id="precedence-junk"),
        pytest.param("jane@acme.example", "Auto-Submitted: auto-replied", "Auto-Submitted", id="auto-reply"),
        pytest.param("noreply@acme.example", "", "no-reply sender", id="noreply"),
        pytest.param("no-reply+42@acme.example", "", "no-reply sender", id="no-reply-tagged"),
        pytest.param("MAILER-DAEMON@acme.example", "", "no-reply sender", id="mailer-daemon"),
        pytest.param("jane@acme.example", "Auto-Submitted: no", None, id="auto-submitted-no-counts"),
        pytest.param("noreen@acme.example", "", None, id="a-name-like-noreply-counts"),
    ],
)
def test_bulk_and_automated_mail_is_recognised(sender, extra, reason):
    message = parsed(mail(sender, "dana@ourco.example", extra=extra))
    assert message.automated == reason
    people = MailPeople.of({"dana@ourco.example": "U_DANA"}, {sender: "jane"})
    assert (classify([message], people) == []) == (reason is not None)


@pytest.mark.parametrize(
    "sender, to, cc, expected",
    [
        pytest.param("jane@acme.example", "dana@ourco.example", "", ("inbound", ("U_DANA",), ("jane",)), id="customer-to-member"),
        pytest.param("d.reyes@ourco.example", "JANE@acme.example", "", ("outbound", ("U_DANA",), ("jane",)), id="member-alias-to-customer"),
        pytest.param("dana@ourco.example", "jane@acme.example", "bob@globex.example", ("outbound", ("U_DANA",), ("bob", "jane")),
                     id="outbound-to-two-customers"),
        pytest.param("jane@acme.example", "dana@ourco.example", "sam@ourco.example", ("inbound", ("U_DANA", "U_SAM"), ("jane",)),
                     id="shared-mailbox-names-two-members"),
        pytest.param("sam@ourco.example", "dana@ourco.example", "jane@acme.example", ("outbound", ("U_SAM",), ("jane",)),
                     id="shared-mailbox-cc-customer"),
        pytest.param("dana@ourco.example", "sam@ourco.example", "", None, id="between-members-only"),
        pytest.param("stranger@else.example", "dana@ourco.example", "", None, id="stranger"),
        pytest.param("jane@acme.example", "bob@globex.example", "", None, id="customers-only"),
    ],
)
def test_who_wrote_to_whom(sender, to, cc, expected):
    contacts = classify([parsed(mail(sender, to, cc=cc))], PEOPLE)
    if expected is None:
        assert contacts == []
    else:
        [contact] = contacts
        assert (contact.direction, contact.members, contact.customers) == expected
        assert (contact.kind, contact.origin) == ("email", "email")


def test_one_message_in_two_folders_is_one_exchange():
    raw = mail("dana@ourco.example", "jane@acme.example")
    assert len(classify([parsed(raw, "INBOX"), parsed(raw, "Sent")], PEOPLE)) == 1


def test_a_reply_in_a_thread_the_other_side_started_is_two_way():
    ask = parsed(mail("jane@acme.example", "dana@ourco.example", message_id="<ask@acme>"))
    answer = parsed(mail("dana@ourco.example", "jane@acme.example", message_id="<re@ourco>", date="Fri, 3 Apr 2026 09:00:00 +0000",
                         extra="In-Reply-To: <ask@acme>\nReferences: <ask@acme>"))
    nudge = parsed(mail("dana@ourco.example", "jane@acme.example", message_id="<n2@ourco>", date="Sat, 4 Apr 2026 09:00:00 +0000",
                        extra="In-Reply-To: <re@ourco>\nReferences: <ask@acme> <re@ourco>"))
    own = parsed(mail("dana@ourco.example", "jane@acme.example", message_id="<own@ourco>", extra="References: <old@ourco>"))
    by_id = {c.message_id: c for c in classify([nudge, answer, ask, own], PEOPLE, known_threads={"<old@ourco>": "outbound"})}
    assert by_id["<re@ourco>"].replies_to_other_side is True and by_id["<re@ourco>"].model_direction == "mutual"
    assert by_id["<n2@ourco>"].replies_to_other_side is True  # still Jane's thread
    assert by_id["<own@ourco>"].replies_to_other_side is False and by_id["<own@ourco>"].model_direction == "outbound"
    assert by_id["<ask@acme>"].replies_to_other_side is None and by_id["<ask@acme>"].model_direction == "inbound"


# Host policy and secrets (no server) -------------------------------------------------------------

def resolver(address):
    return lambda host, port: [address]


@pytest.mark.parametrize(
    "security, address, allow, refused",
    [
        pytest.param("tls", "93.184.216.34", False, None, id="tls-public"),
        pytest.param("starttls", "93.184.216.34", False, None, id="starttls-public"),
        pytest.param("plain", "93.184.216.34", True, "unencrypted", id="plain-public-refused"),
        pytest.param("plain", "127.0.0.1", False, "loopback", id="plain-loopback-not-allowed"),
        pytest.param("plain", "10.1.2.3", True, None, id="plain-private-allowed"),
        pytest.param("tls", "169.254.169.254", False, "link-local", id="metadata-refused"),
        pytest.param("ssl3", "93.184.216.34", True, "unknown IMAP security", id="unknown-security"),
    ],
)
def test_host_policy(security, address, allow, refused):
    login = MailboxLogin("imap.example", "dana", PASSWORD, security=security)
    if refused is None:
        check_mailbox_host(login, allow_private=allow, resolver=resolver(address))
    else:
        with pytest.raises(RefusedMailboxError, match=refused):
            check_mailbox_host(login, allow_private=allow, resolver=resolver(address))


def test_the_secret_is_not_in_the_repr():
    login = MailboxLogin("imap.example", "dana", PASSWORD)
    assert PASSWORD not in repr(login) and login.effective_port == 993


class _Misbehaving:
    """A loopback TCP server that hangs up at once (``close``) or never says a word."""

    def __init__(self, close: bool) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.close, self.held = close, []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.close:
                conn.close()
            else:
                self.held.append(conn)


@pytest.mark.parametrize(
    "close, words",
    [
        pytest.param(True, "dropped the connection", id="hangs-up"),
        pytest.param(False, "did not answer in time", id="silent"),
    ],
)
def test_dropped_and_silent_servers_are_retried_later(close, words):
    server = _Misbehaving(close)
    connector = ImapConnector(allow_private=True, limits=MailLimits(connect_timeout=0.3, read_timeout=0.3))
    login = MailboxLogin("127.0.0.1", "dana", PASSWORD, port=server.port, security="plain")
    try:
        with pytest.raises(RetriableError, match=words) as raised:
            connector.sync(login, Cursor(), PEOPLE)
    finally:
        server.sock.close()
    assert PASSWORD not in raised.value.message


def test_nothing_listening_is_retried_later():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    login = MailboxLogin("127.0.0.1", "dana", PASSWORD, port=port, security="plain")
    with pytest.raises(RetriableError, match="refused the connection"):
        ImapConnector(allow_private=True, limits=FAST).sync(login, Cursor(), PEOPLE)


# Against a real dovecot ------------------------------------------------------------------------

USERS = [f"dana{n}@ourco.example" for n in range(20)]


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory):
    server = start_dovecot(tmp_path_factory.mktemp("dovecot"), dict.fromkeys(USERS, PASSWORD))
    if isinstance(server, str):
        pytest.skip(f"no real IMAP server: {server}")
    server.unused = list(USERS)
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot):
    """A fresh mailbox of its own for the test: (login, a client to APPEND with)."""
    user = dovecot.unused.pop()
    client = imapclient.IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=5)
    client.login(user, PASSWORD)
    yield MailboxLogin(dovecot.host, user, PASSWORD, port=dovecot.port, security="plain"), client
    client.logout()


def connector(**kwargs) -> ImapConnector:
    return ImapConnector(allow_private=True, limits=kwargs.pop("limits", FAST), **kwargs)


def put(client, folder, raw, when=datetime(2026, 3, 10, 9, tzinfo=UTC)):
    client.append(folder, raw, msg_time=when)


def test_sync_reads_inbox_and_sent_then_only_what_is_new(mailbox):
    login, client = mailbox
    put(client, "INBOX", mail("jane@acme.example", "dana@ourco.example", message_id="<in1@acme>"))
    put(client, "INBOX", mail("news@acme.example", "dana@ourco.example", message_id="<news@acme>", extra="Precedence: bulk"))
    put(client, "INBOX", mail("stranger@else.example", "dana@ourco.example", message_id="<spam@else>"))
    put(client, "Sent", mail("dana@ourco.example", "bob@globex.example", message_id="<out1@ourco>",
                             extra="In-Reply-To: <b0@globex>"))
    first = connector().sync(login, Cursor(), PEOPLE)
    assert first.folders == ("INBOX", "Sent") and first.complete and first.messages_read == 4 and first.automated_skipped == 1
    assert {(r.message_id, r.direction, r.folder) for r in first.records} == {
        ("<in1@acme>", "inbound", "INBOX"), ("<out1@ourco>", "outbound", "Sent")}
    sent = next(r for r in first.records if r.folder == "Sent")
    assert sent.in_reply_to == "<b0@globex>" and sent.occurred_at == datetime(2026, 3, 10, 8, tzinfo=UTC)
    assert set(first.cursor.extra["folders"]) == {"INBOX", "Sent"}
    assert connector().sync(login, first.cursor, PEOPLE).records == []  # re-sync: nothing new
    put(client, "INBOX", mail("jane@acme.example", "dana@ourco.example", message_id="<in2@acme>"))
    third = connector().sync(login, first.cursor, PEOPLE)
    assert [r.message_id for r in third.records] == ["<in2@acme>"] and third.messages_read == 1
    flags = client.select_folder("INBOX") and client.get_flags(client.search("ALL"))
    assert all(b"\\Seen" not in f for f in flags.values())  # headers were peeked, nothing marked read


def test_a_changed_uidvalidity_restarts_the_folder(mailbox):
    login, client = mailbox
    put(client, "INBOX", mail("jane@acme.example", "dana@ourco.example", message_id="<a@acme>"))
    first = connector().sync(login, Cursor(), PEOPLE)
    folders = {name: dict(state) for name, state in first.cursor.extra["folders"].items()}
    folders["INBOX"]["uidvalidity"] += 1  # as after the server renumbered the folder
    again = connector().sync(login, Cursor(extra={"folders": folders}), PEOPLE)
    assert [r.message_id for r in again.records] == ["<a@acme>"]
    assert again.cursor.extra["folders"]["INBOX"] == first.cursor.extra["folders"]["INBOX"]


def test_reads_are_bounded_and_carry_on_next_time(mailbox):
    login, client = mailbox
    for n in range(5):
        put(client, "INBOX", mail("jane@acme.example", "dana@ourco.example", message_id=f"<b{n}@acme>"))
    limits = MailLimits(connect_timeout=2, read_timeout=2, batch_size=2, max_messages_per_folder=3)
    first = connector(limits=limits).sync(login, Cursor(), PEOPLE)
    assert not first.complete and len(first.records) == 3
    second = connector(limits=limits).sync(login, first.cursor, PEOPLE)
    assert second.complete and [r.message_id for r in second.records] == ["<b3@acme>", "<b4@acme>"]


def test_a_first_read_goes_back_only_to_since(mailbox):
    login, client = mailbox
    put(client, "INBOX", mail("jane@acme.example", "dana@ourco.example", message_id="<old@acme>"), when=datetime(2024, 1, 5, tzinfo=UTC))
    put(client, "INBOX", mail("jane@acme.example", "dana@ourco.example", message_id="<new@acme>"))
    first = connector().sync(login, Cursor(), PEOPLE, since=date(2025, 3, 10))
    assert [r.message_id for r in first.records] == ["<new@acme>"]
    assert connector().sync(login, first.cursor, PEOPLE).records == []  # the old one is not read later either


def test_configured_folders_and_a_missing_one(mailbox):
    login, client = mailbox
    client.create_folder("Customers")
    put(client, "Customers", mail("jane@acme.example", "dana@ourco.example", message_id="<c@acme>"))
    put(client, "INBOX", mail("jane@acme.example", "dana@ourco.example", message_id="<i@acme>"))
    only = MailboxLogin(login.host, login.user, PASSWORD, port=login.port, security="plain", folders=("Customers",))
    assert [r.message_id for r in connector().sync(only, Cursor(), PEOPLE).records] == ["<c@acme>"]
    missing = MailboxLogin(login.host, login.user, PASSWORD, port=login.port, security="plain", folders=("Archive",))
    with pytest.raises(FatalError, match="no folder 'Archive'"):
        connector().sync(missing, Cursor(), PEOPLE)


@pytest.fixture(scope="module")
def strict_dovecot(tmp_path_factory):
    """A server of their own for the failed logins: dovecot slows every later login from an address
    that failed one (its auth penalty), which would slow the other tests."""
    server = start_dovecot(tmp_path_factory.mktemp("dovecot-strict"), {"dana@ourco.example": PASSWORD})
    if isinstance(server, str):
        pytest.skip(f"no real IMAP server: {server}")
    yield server
    server.stop()


@pytest.mark.parametrize(
    "changes, error, words",
    [  # the wrong password last: after it, the server delays this address's logins
        pytest.param({"xoauth2": True}, FatalError, "access token", id="xoauth2-not-offered"),
        pytest.param({"security": "starttls"}, FatalError, "does not offer STARTTLS", id="starttls-not-offered"),
        pytest.param({"security": "tls"}, FatalError, "no TLS conversation", id="tls-to-a-plain-port"),
        pytest.param({"secret": "wrong-" + PASSWORD}, FatalError, "refused the login of dana@ourco.example", id="wrong-password"),
    ],
)
def test_login_and_security_failures_are_fatal_and_never_show_the_secret(strict_dovecot, changes, error, words):
    fields = {"host": strict_dovecot.host, "user": "dana@ourco.example", "secret": PASSWORD, "port": strict_dovecot.port,
              "security": "plain", **changes}
    with pytest.raises(error, match=words) as raised:
        connector().sync(MailboxLogin(**fields), Cursor(), PEOPLE)
    assert PASSWORD not in raised.value.message and PASSWORD not in str(raised.value)
    assert not isinstance(raised.value, RetriableError)


def test_a_shared_bcc_mailbox_attributes_by_the_addresses(mailbox):
    login, client = mailbox
    put(client, "INBOX", mail("sam@ourco.example", "jane@acme.example", cc="bcc@ourco.example", message_id="<s@ourco>"))
    put(client, "INBOX", mail("bob@globex.example", "dana@ourco.example", cc="sam@ourco.example", message_id="<g@globex>"))
    records = {r.message_id: r for r in connector().sync(login, Cursor(), PEOPLE).records}
    assert (records["<s@ourco>"].direction, records["<s@ourco>"].members, records["<s@ourco>"].customers) == (
        "outbound", ("U_SAM",), ("jane",))
    assert (records["<g@globex>"].direction, records["<g@globex>"].members) == ("inbound", ("U_DANA", "U_SAM"))


def test_the_connection_goes_to_the_vetted_address_never_a_second_lookup(mailbox):
    """The host is checked once and the client connects to what the check saw: a name that no DNS
    would resolve (``.invalid``) still reaches the server, so nothing resolved it a second time."""
    login, client = mailbox
    put(client, "INBOX", mail("jane@acme.example", "dana@ourco.example", message_id="<pinned@acme>"))
    seen: list[str] = []

    def vetted(host, port):
        seen.append(host)
        return ["127.0.0.2", login.host]  # the first refuses (nothing listens there): the next is tried

    renamed = MailboxLogin("mail.rebinding.invalid", login.user, login.secret, port=login.port, security="plain")
    result = connector(resolver=vetted).sync(renamed, Cursor(), PEOPLE)
    assert [r.message_id for r in result.records] == ["<pinned@acme>"]
    assert seen == ["mail.rebinding.invalid"]

