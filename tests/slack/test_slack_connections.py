"""App Home's connections: the member's own calendars and mailboxes on the Home tab, the button that
opens the ICS modal, and a submission checked like `strongtie connect calendar` and stored sealed.
Signed requests through the whole app, the Web API fake answering; the secret address must appear
in no Web API call and no log line."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from fakes.feeds import FeedServer, Route
from fakes.slack_requests import API_APP_ID, TEAM_ID, SlackRequest, app_home_opened, block_action
from fakes.slack_world import DANA, LEE, WES
from sqlalchemy import select

from bot.slack.listeners.connections_view import ACTION_CONNECT_CALENDAR, CALLBACK_ID
from config.settings import Secret
from models.crypto import SecretBox
from models.entities import Connection, Member

KEY = Fernet.generate_key().decode()
SECRET_PATH = "/calendar/ical/dana%40ourco.example/private-77c0ffee31/basic.ics"
SECRET_MARK = "77c0ffee31"
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//strongtie tests//EN\r\nBEGIN:VEVENT\r\nUID:a@x\r\n"
       b"DTSTART:20260310T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture(autouse=True)
def connect_env(slack_env, monkeypatch):
    """A secret key, loopback allowed (the calendar is served there), short fetches; set before the app's settings."""
    monkeypatch.setenv("STRONGTIE_SECRET_KEY", KEY)
    monkeypatch.setenv("STRONGTIE_ALLOW_PRIVATE_NETWORKS", "1")
    monkeypatch.setenv("STRONGTIE_POLL_FETCH_TIMEOUT_SECONDS", "3")


@pytest.fixture
def calendar_server():
    with FeedServer() as server:
        yield server


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def submission(address: str, *, user_id: str = DANA) -> SlackRequest:
    """The modal's ``view_submission`` with ``address`` typed in."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "acme-sales"},
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": f"{random.randrange(10**9)}.{random.randrange(10**9)}.abc",
        "view": {"id": "V0CONNECT", "team_id": TEAM_ID, "type": "modal", "callback_id": CALLBACK_ID, "hash": "1.abc",
                 "state": {"values": {"address": {"value": {"type": "plain_text_input", "value": address}}}}},
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return SlackRequest(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def connections(runtime) -> list[tuple[str, str, str]]:
    with runtime.session() as session:
        return [(c.member.slack_user, c.kind, c.secret) for c in session.scalars(select(Connection).order_by(Connection.id))]


def every_call(fake_slack) -> str:
    return json.dumps([(c.method, c.args) for c in fake_slack.calls], ensure_ascii=False)


def dms(fake_slack, user: str = DANA) -> list[str]:
    return [c.args.get("text", "") for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == user]


def test_home_shows_my_connections_and_the_connect_button(send, fake_slack, runtime):
    with runtime.session() as session:
        dana = session.scalar(select(Member).where(Member.slack_user == DANA))
        wes = session.scalar(select(Member).where(Member.slack_user == WES))
        box = SecretBox(Secret(KEY))
        session.add(Connection(member_id=dana.id, kind="calendar", secret=box.seal("https://cal.example/x"),
                               options={"host": "cal.example"}, cursor={}, status="error", error_count=1,
                               last_error="no calendar at this address (404): <!channel>"))
        session.add(Connection(member_id=wes.id, kind="imap", secret=box.seal("pw"), cursor={}, status="ok",
                               options={"host": "imap.initech.example", "user": "wes", "security": "tls"}))
    send(app_home_opened(user_id=DANA))
    [call] = fake_slack.calls_to("views.publish")
    view = json.dumps(call.args["view"], ensure_ascii=False)
    assert "Your calendar and mail" in view and ACTION_CONNECT_CALENDAR in view
    assert "*Calendar* (cal.example): error, not synced yet" in view
    assert "no calendar at this address (404): &lt;!channel&gt;" in view and "<!channel>" not in view
    assert "cal.example/x" not in view and "imap.initech.example" not in view  # no secret; not Wes's mailbox


def test_the_button_opens_the_modal(send, fake_slack, runtime):
    assert send(block_action(ACTION_CONNECT_CALENDAR, "calendar", user_id=DANA, response_base=fake_slack.base_url,
                             channel_id="D0DANA")).status == 200
    [opened] = fake_slack.calls_to("views.open")
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == CALLBACK_ID and "Secret address in iCal format" in json.dumps(view)


def test_a_calendar_submitted_is_checked_stored_sealed_and_never_shown(send, fake_slack, runtime, calendar_server, logs):
    url = calendar_server.add(SECRET_PATH, Route(body=ICS, content_type="text/calendar"))
    response = send(submission(url))
    assert response.status == 200 and not response.body  # closed at once; the check ran after the ack
    [(member, kind, secret)] = connections(runtime)
    assert (member, kind) == (DANA, "calendar") and SecretBox(Secret(KEY)).open(secret) == url
    assert calendar_server.hits[SECRET_PATH] == 1
    [reply] = dms(fake_slack)
    assert "Your calendar at 127.0.0.1 is connected" in reply
    [home] = fake_slack.calls_to("views.publish")
    assert home.args["user_id"] == DANA and "*Calendar* (127.0.0.1): new" in json.dumps(home.args["view"])
    assert SECRET_MARK not in every_call(fake_slack) and SECRET_MARK not in logs.text


@pytest.mark.parametrize(
    "route, words",
    [
        pytest.param(Route(status=404), "no calendar at this address (404)", id="not-found"),
        pytest.param(Route(body=b"<html><body>Sign in</body></html>", content_type="text/html"), "a web page", id="web-page"),
    ],
)
def test_a_calendar_that_cannot_be_read_is_not_stored_and_the_dm_says_why(
        send, fake_slack, runtime, calendar_server, logs, route, words):
    url = calendar_server.add(SECRET_PATH, route)
    send(submission(url))
    assert connections(runtime) == []
    [reply] = dms(fake_slack)
    assert reply.startswith("Your calendar was not connected: the calendar at 127.0.0.1 could not be read") and words in reply
    assert SECRET_MARK not in every_call(fake_slack) and SECRET_MARK not in logs.text


@pytest.mark.parametrize(
    "address, env, words",
    [
        pytest.param(f"ftp://calendar.example{SECRET_PATH}", {}, "must start with https:// or webcal://", id="not-http"),
        pytest.param("", {}, "no calendar address was given", id="empty"),
        pytest.param(f"https://calendar.example{SECRET_PATH}", {"secret_key": ""},
                     "ask whoever runs strongtie to set STRONGTIE_SECRET_KEY", id="no-key"),
    ],
)
def test_quick_mistakes_are_shown_under_the_field(send, fake_slack, runtime, app, monkeypatch, logs, address, env, words):
    for name, value in env.items():
        monkeypatch.setattr(runtime, "settings", dataclasses.replace(runtime.settings, **{name: Secret(value)}))
    response = send(submission(address))
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors" and words in answer["errors"]["address"]
    assert SECRET_MARK not in response.body and SECRET_MARK not in logs.text
    assert connections(runtime) == [] and dms(fake_slack) == []


def test_an_unexpected_failure_is_logged_without_the_address(send, fake_slack, runtime, monkeypatch, logs):
    def broken(url, settings, *, now):
        raise RuntimeError(f"boom while reading {url}")

    monkeypatch.setattr("bot.slack.listeners.connections.check_calendar", broken)
    send(submission(f"https://calendar.example{SECRET_PATH}"))
    assert "problem on our side" in dms(fake_slack)[0] and connections(runtime) == []
    assert "connecting a calendar from App Home failed (RuntimeError)" in logs.text
    assert SECRET_MARK not in logs.text and SECRET_MARK not in every_call(fake_slack)


def test_the_calendar_is_the_submitters_own(send, fake_slack, runtime, calendar_server):
    url = calendar_server.add(SECRET_PATH, Route(body=ICS, content_type="text/calendar"))
    send(submission(url, user_id=LEE))
    assert [(m, k) for m, k, _ in connections(runtime)] == [(LEE, "calendar")]
    assert dms(fake_slack, DANA) == [] and len(dms(fake_slack, LEE)) == 1
