"""First touch of a new contact at a known account: an unlisted address at a tracked customer's
company domain, seen in a member's calendar or mail, is stored at sync and reported once by the
next digest sent ("New contacts at your accounts"); webmail, listed people and members never are."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from fakes.feeds import FeedServer, Route
from fakes.slack_api import FakeSlackAPI
from sqlalchemy import select

from bot.jobs.capture import sync_connections
from bot.jobs.digest import digest_job
from bot.rules.new_contacts import company_domains, new_contacts
from bot.runtime import Runtime
from config.settings import Secret, Settings
from connectors.mail import MailMessage, MailPeople, unlisted_parties
from models.crypto import SecretBox
from models.entities import Customer, Member, NewContact, Team
from models.store.connections import add_connection

UTC = timezone.utc
AT = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)  # a Tuesday (no Monday chart)
KEY = Fernet.generate_key().decode()
DOMAINS = {"acme.example": "Acme"}


@pytest.mark.parametrize(("address", "company"), [
    pytest.param("joe@acme.example", "Acme", id="unlisted-at-the-company"),
    pytest.param("JOE@Acme.Example", "Acme", id="any-case"),
    pytest.param("jane@acme.example", None, id="listed-customer"),
    pytest.param("dana@ourco.example", None, id="member"),
    pytest.param("joe@globex.example", None, id="other-company"),
    pytest.param("joe@gmail.com", None, id="webmail"),
])
def test_new_contacts_rule(address, company):
    found = new_contacts([(address, AT)], domains=DOMAINS, known=["jane@acme.example", "dana@ourco.example"])
    assert {a: c for a, (c, _) in found.items()} == ({address.lower(): company} if company else {})


def test_company_domains_never_webmail_and_first_seen_is_earliest():
    assert company_domains({"jane@acme.example": "Acme", "pat@gmail.com": "Initech", "x@nocompany.example": ""}) == DOMAINS
    found = new_contacts([("joe@acme.example", AT), ("joe@acme.example", AT - timedelta(days=2))], domains=DOMAINS, known=())
    assert found == {"joe@acme.example": ("Acme", AT - timedelta(days=2))}


def test_mail_unlisted_parties_only_in_members_mail_and_not_bulk():
    people = MailPeople.of({"dana@ourco.example": "U_DANA"}, {"jane@acme.example": "1"})

    def message(sender, *to, automated=None):
        return MailMessage("<m@x>", AT, sender, tuple(to), (), None, (), "INBOX", automated)
    found = unlisted_parties([message("joe@acme.example", "dana@ourco.example"),
                              message("jane@acme.example", "dana@ourco.example", "ann@acme.example"),
                              message("news@acme.example", "dana@ourco.example", automated="List-Id"),
                              message("zed@acme.example", "kim@acme.example")], people)
    assert [a for a, _ in found] == ["joe@acme.example", "ann@acme.example"]


def event(uid: str, start: str, *people: str) -> str:
    lines = [f"UID:{uid}", f"DTSTART:{start}", "DURATION:PT1H", f"ORGANIZER:mailto:{people[0]}"]
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{p}" for p in people[1:]]
    return "BEGIN:VEVENT\r\n" + "\r\n".join(lines) + "\r\nEND:VEVENT\r\n"


@pytest.fixture
def fake():
    with FakeSlackAPI() as api:
        yield api


def test_sync_stores_new_contact_and_digest_reports_it_once(db_url, engine, sessions, fake, monkeypatch):
    monkeypatch.setattr("bot.jobs.digest.score_job", lambda runtime, **kwargs: None)
    runtime = Runtime(settings=dataclasses.replace(
        Settings(database_url=db_url), allow_private_networks=True, secret_key=Secret(KEY),
        slack_api_url=fake.base_url, slack_bot_token=Secret(fake.token)))
    body = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
            + event("a@ourco", "20260316T150000Z", "dana@ourco.example", "jane@acme.example", "joe@acme.example",
                    "pat@gmail.com", "sam@ourco.example")
            + event("b@ourco", "20260316T170000Z", "kim@acme.example", "lee@acme.example")  # Dana not in it
            + "END:VCALENDAR\r\n").encode()
    try:
        with FeedServer() as server:
            url = server.add("/dana.ics", Route(body=body, content_type="text/calendar"))
            with sessions.begin() as session:
                team = Team(name="East", slack_channel="C0TEAM", timezone="UTC")
                session.add(team)
                session.flush()
                dana = Member(team_id=team.id, slack_user="U_DANA", name="Dana", email="dana@ourco.example")
                session.add_all([dana, Member(team_id=team.id, slack_user="U_SAM", name="Sam", email="sam@ourco.example"),
                                 Customer(team_id=team.id, name="Jane <!here> Doe", name_key="jane <!here> doe",
                                          company="Acme <&>", emails=["jane@acme.example"])])
                session.flush()
                add_connection(dana, "calendar", sealed_secret=SecretBox(Secret(KEY)).seal(url), options={}, session=session)
            summary = sync_connections(runtime, force=True, now=AT)
            assert summary.errors == 0, summary.problems
        with sessions() as session:
            rows = [(c.address, c.company, c.first_seen_at, c.reported_at) for c in session.scalars(select(NewContact))]
        assert rows == [("joe@acme.example", "Acme <&>", datetime(2026, 3, 16, 15, tzinfo=UTC), None)]

        (dry,) = digest_job(runtime, as_of=AT, dry_run=True)
        assert "New contacts at your accounts" in dry.text and "new contact at Acme <&>: joe@acme.example" in dry.text
        (sent,) = digest_job(runtime, as_of=AT)
        assert sent.status == "sent"
        (call,) = fake.calls_to("chat.postMessage")
        blocks = json.dumps(call.args.get("blocks"))
        assert "new contact at *Acme &lt;&amp;&gt;*: joe@acme.example" in blocks  # escaped for Slack
        with sessions() as session:
            assert session.scalar(select(NewContact.reported_at)) is not None
        (next_day,) = digest_job(runtime, as_of=AT + timedelta(days=1), dry_run=True)
        assert "New contacts at your accounts" not in next_day.text
    finally:
        runtime.engine.dispose()


def test_only_contacts_first_seen_lately_are_news(db_url, sessions, monkeypatch):
    """A first sync reads a year of mail back at once: the contacts it finds from long ago are
    stored (so never "new" again) but no digest reports them as news."""
    monkeypatch.setattr("bot.jobs.digest.score_job", lambda runtime, **kwargs: None)
    with sessions.begin() as session:
        team = Team(name="East", slack_channel="C0TEAM", timezone="UTC")
        session.add(team)
        session.flush()
        session.add_all([NewContact(team_id=team.id, address="old@acme.example", company="Acme",
                                    first_seen_at=AT - timedelta(days=200)),
                         NewContact(team_id=team.id, address="new@acme.example", company="Acme",
                                    first_seen_at=AT - timedelta(days=2))])
    runtime = Runtime(settings=Settings(database_url=db_url))
    try:
        (dry,) = digest_job(runtime, as_of=AT, dry_run=True)
    finally:
        runtime.engine.dispose()
    assert "new contact at Acme: new@acme.example" in dry.text
    assert "old@acme.example" not in dry.text
