"""A member of two teams meets both teams' customers: their calendar, connected once, is matched
against the customers of every roster team they belong to, not only the first."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet
from fakes.feeds import FeedServer, Route
from sqlalchemy import select

from bot.jobs.poll import poll_job
from config.settings import Secret
from models.crypto import SecretBox
from models.entities import Customer, Interaction, Member, Team
from models.store.connections import add_connection

UTC = timezone.utc
AS_OF = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
KEY = Fernet.generate_key().decode()


def meeting(uid: str, start: str, *people: str) -> str:
    lines = [f"UID:{uid}", f"DTSTART:{start}", "DURATION:PT1H", f"ORGANIZER:mailto:{people[0]}"]
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{p}" for p in people[1:]]
    return "BEGIN:VEVENT\r\n" + "\r\n".join(lines) + "\r\nEND:VEVENT\r\n"


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


@pytest.mark.parametrize("left_team", [pytest.param(False, id="both-teams"), pytest.param(True, id="left-the-second-team")])
def test_a_member_of_two_teams_meets_both_teams_customers(server, make_runtime, sessions, left_team):
    body = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
            + meeting("a@ourco", "20260316T150000Z", "dana@ourco.example", "jane@acme.example")
            + meeting("b@ourco", "20260317T150000Z", "dana@ourco.example", "bob@globex.example")
            + "END:VCALENDAR\r\n").encode()
    url = server.add("/dana.ics", Route(body=body, content_type="text/calendar"))
    with sessions.begin() as session:
        east, west = Team(name="East", slack_channel="C0EAST", timezone="UTC"), Team(name="West", slack_channel="C0WEST", timezone="UTC")
        session.add_all([east, west])
        session.flush()
        dana = Member(team_id=east.id, slack_user="U_DANA", name="Dana", email="dana@ourco.example")
        session.add_all([dana, Member(team_id=west.id, slack_user="U_DANA", name="Dana", email="dana@ourco.example",
                                      active=not left_team),
                         Customer(team_id=east.id, name="Jane Doe", name_key="jane doe", company="Acme", emails=["jane@acme.example"]),
                         Customer(team_id=west.id, name="Bob Roe", name_key="bob roe", company="Globex", emails=["bob@globex.example"])])
        session.flush()
        add_connection(dana, "calendar", sealed_secret=SecretBox(Secret(KEY)).seal(url), options={}, session=session)

    poll_job(make_runtime(secret_key=Secret(KEY)), now=AS_OF)

    with sessions() as session:
        met = sorted(session.scalars(select(Customer.name).join(Interaction, Interaction.customer_id == Customer.id)
                                     .where(Interaction.origin == "calendar")))
    assert met == (["Jane Doe"] if left_team else ["Bob Roe", "Jane Doe"])
