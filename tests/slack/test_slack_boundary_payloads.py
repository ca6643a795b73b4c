"""Malformed requests get a 4xx and one log line, nothing else: a bad timestamp is a 401 before
anything is parsed, and a signed payload of the wrong shape is a 400 before Bolt or a listener sees
it (no reply, no Web API call, no change to the store, no traceback)."""

from __future__ import annotations

import json
import logging
import threading
import time
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from fakes.slack_requests import (
    SIGNING_SECRET,
    SlackRequest,
    app_home_opened_payload,
    block_action_payload,
    event_callback,
    interactivity,
    sign,
    slash_command,
    wsgi_environ,
)
from fakes.slack_world import DANA, add_suggestion, count

from bot.slack.blocks import ACTION_DONE
from bot.slack.server import SlackHTTPServer, wsgi_app
from models.entities import HandledRequest, Interaction, Suggestion

MARKER = "PAYLOAD-MARKER"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def serve(app):
    """The WSGI app as waitress runs it: (status, body text) for a request."""
    application = wsgi_app(app, signing_secret=SIGNING_SECRET)

    def handle(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        status: list[str] = []
        out = b"".join(application(wsgi_environ(body, headers), lambda s, h: status.append(s)))
        return int(status[0].split()[0]), out.decode()

    return handle


def signed(request: SlackRequest) -> tuple[bytes, dict[str, str]]:
    return request.body.encode(), request.signed()


def click(fake_slack, **changes) -> dict:
    payload = block_action_payload(ACTION_DONE, "1", user_id=DANA, response_base=fake_slack.base_url)
    payload.update(changes)
    return payload


def without_value(payload: dict) -> dict:
    payload["actions"] = [{k: v for k, v in payload["actions"][0].items() if k != "value"}]
    return payload


def command_without(fake_slack, field: str) -> SlackRequest:
    fields = dict(parse_qsl(slash_command("top", user_id=DANA, response_base=fake_slack.base_url).body))
    del fields[field]
    return SlackRequest(urlencode(fields), FORM)


MALFORMED = {
    "payload-not-json": lambda f: interactivity("{" + MARKER),
    "payload-a-list": lambda f: interactivity([MARKER, 2]),
    "payload-a-string": lambda f: interactivity(json.dumps(MARKER)),
    "payload-nested-too-deep": lambda f: interactivity("[" * 100_000 + "]" * 100_000),
    "actions-a-string": lambda f: interactivity(click(f, actions=MARKER)),
    "actions-empty": lambda f: interactivity(click(f, actions=[])),
    "action-a-string": lambda f: interactivity(click(f, actions=[MARKER])),
    "button-without-value": lambda f: interactivity(without_value(click(f))),
    "action-without-action-id": lambda f: interactivity(click(f, actions=[{"type": "button", "value": "1"}])),
    "block-actions-without-actions": lambda f: interactivity({k: v for k, v in click(f).items() if k != "actions"}),
    "user-a-number": lambda f: interactivity(click(f, user=42)),
    "user-id-a-list": lambda f: interactivity(click(f, user={"id": [DANA]})),
    "response-url-an-object": lambda f: interactivity(click(f, response_url={"url": MARKER})),
    "authorizations-a-string": lambda f: event_callback({**app_home_opened_payload(user_id=DANA),
                                                         "authorizations": MARKER}),
    "event-a-string": lambda f: event_callback({**app_home_opened_payload(user_id=DANA), "event": MARKER}),
    "event-without-type": lambda f: event_callback({**app_home_opened_payload(user_id=DANA),
                                                    "event": {"user": DANA}}),
    "event-callback-without-event": lambda f: event_callback(
        {k: v for k, v in app_home_opened_payload(user_id=DANA).items() if k != "event"}),
    "json-a-list": lambda f: SlackRequest(json.dumps([MARKER]), "application/json"),
    "json-broken": lambda f: SlackRequest("{" + MARKER, "application/json"),
    "view-submission-view-a-string": lambda f: interactivity(
        {"type": "view_submission", "user": {"id": DANA}, "view": MARKER}),
    "view-submission-state-a-list": lambda f: interactivity(
        {"type": "view_submission", "user": {"id": DANA}, "view": {"id": "V1", "state": [MARKER]}}),
    "view-submission-without-user": lambda f: interactivity({"type": "view_submission", "view": {"id": "V1"}}),
    "command-without-user": lambda f: command_without(f, "user_id"),
    "command-without-response-url": lambda f: command_without(f, "response_url"),
    "command-without-trigger-id": lambda f: command_without(f, "trigger_id"),
    "command-without-text": lambda f: command_without(f, "text"),
    "form-neither-command-nor-payload": lambda f: SlackRequest(urlencode({"text": MARKER, "user_id": DANA}), FORM),
}


@pytest.mark.parametrize("make", [pytest.param(make, id=name) for name, make in MALFORMED.items()])
def test_a_signed_malformed_payload_gets_400_and_one_log_line(serve, make, runtime, fake_slack, caplog):
    suggestion_id = add_suggestion(runtime, "Jane Doe")
    caplog.set_level(logging.DEBUG)
    status, text = serve(*signed(make(fake_slack)))
    assert status == 400 and MARKER not in text
    refusals = [r for r in caplog.records if r.name == "bot.slack.server"]
    assert len(refusals) == 1 and "HTTP 400" in refusals[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert MARKER not in caplog.text
    assert fake_slack.calls == []  # no reply through a response URL, no Web API call
    assert count(runtime, Interaction) == 0 and count(runtime, HandledRequest) == 0
    with runtime.session() as session:
        assert session.get(Suggestion, suggestion_id).status == "sent"


def test_a_command_whose_text_says_payload_is_served_as_typed(serve, runtime, fake_slack, caplog):
    # slack_bolt 1.30 reads any form whose text contains "payload" as interactivity, finds no such
    # field and hands on an empty payload; the boundary hands it an equivalent encoding instead.
    caplog.set_level(logging.DEBUG)
    status, _ = serve(*signed(slash_command("log Jane Doe call payload review", user_id=DANA,
                                            response_base=fake_slack.base_url)))
    assert status == 200 and "HTTP 400" not in caplog.text
    deadline = time.monotonic() + 10
    while count(runtime, Interaction) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    with runtime.session() as session:
        (touch,) = session.query(Interaction).all()
        assert (touch.kind, touch.note) == ("call", "payload review")


def test_a_body_that_is_not_utf8_gets_400(serve, fake_slack, caplog):
    caplog.set_level(logging.DEBUG)
    body = b"command=%2Ftie&text=" + b"\xff\xfe"
    status, _ = serve(body, {"Content-Type": FORM, **sign(body)})
    assert status == 400 and "not UTF-8" in caplog.text and fake_slack.calls == []


@pytest.mark.parametrize("make", [
    pytest.param(lambda f: slash_command("help", user_id=DANA, response_base=f.base_url), id="command"),
    pytest.param(lambda f: interactivity(block_action_payload(ACTION_DONE, "1", user_id=DANA,
                                                              response_base=f.base_url)), id="button-click"),
    pytest.param(lambda f: event_callback(app_home_opened_payload(user_id=DANA)), id="app-home-opened"),
    pytest.param(lambda f: SlackRequest(urlencode({"ssl_check": "1", "token": "t"}), FORM), id="ssl-check"),
])
def test_well_formed_requests_pass_the_checks(serve, make, fake_slack):
    status, _ = serve(*signed(make(fake_slack)))
    assert status == 200


# --- X-Slack-Request-Timestamp ----------------------------------------------------------------------


@pytest.mark.parametrize("timestamp", [
    pytest.param("soon", id="a-word"),
    pytest.param("", id="empty"),
    pytest.param("1.7e9", id="exponent"),
    pytest.param(" {now}", id="leading-space"),
    pytest.param("+{now}", id="plus-sign"),
    pytest.param("\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660", id="arabic-indic-digits"),
    pytest.param("9" * 5000, id="5000-digits"),
])
def test_a_malformed_timestamp_is_401_even_when_the_signature_matches_it(serve, timestamp, runtime, fake_slack,
                                                                        caplog):
    caplog.set_level(logging.DEBUG)
    timestamp = timestamp.format(now=int(time.time()))
    request = slash_command("log Jane Doe call", user_id=DANA, response_base=fake_slack.base_url)
    headers = {"Content-Type": FORM, **sign(request.body, timestamp=timestamp)}
    status, _ = serve(request.body.encode(), headers)
    assert status == 401
    assert [r for r in caplog.records if r.name == "bot.slack.server" and "HTTP 401" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert count(runtime, Interaction) == 0 and fake_slack.calls == []


@pytest.mark.parametrize("how", [pytest.param(h, id=h) for h in ("forged", "stale", "unsigned", "tampered")])
def test_an_unverified_body_is_never_logged(serve, how, fake_slack, caplog):
    caplog.set_level(logging.DEBUG)
    request = slash_command(f"log Jane Doe call {MARKER}", user_id=DANA, response_base=fake_slack.base_url)
    headers = {
        "forged": lambda: request.signed(secret="guessed"),
        "stale": lambda: request.signed(timestamp=int(time.time()) - 301),
        "unsigned": lambda: {"Content-Type": FORM},
        "tampered": lambda: SlackRequest(request.body.replace(MARKER, "x"), FORM).signed(),
    }[how]()
    status, _ = serve(request.body.encode(), headers)
    assert status == 401
    assert MARKER not in caplog.text
    assert [r for r in caplog.records if r.name == "bot.slack.server" and "HTTP 401" in r.getMessage()]


def test_over_http_a_malformed_payload_and_a_bad_timestamp_get_4xx(app, fake_slack):
    server = SlackHTTPServer(app, signing_secret=SIGNING_SECRET, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        bad_payload = interactivity("not json")
        response = requests.post(server.url, data=bad_payload.body, headers=bad_payload.signed(), timeout=10)
        assert response.status_code == 400
        headers = {**bad_payload.signed(), "X-Slack-Request-Timestamp": "abc"}
        assert requests.post(server.url, data=bad_payload.body, headers=headers, timeout=10).status_code == 401
    finally:
        server.stop()
        thread.join(10)
