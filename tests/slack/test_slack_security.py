"""Every request is verified: forged, stale, unsigned or tampered requests get 401 and change nothing."""

from __future__ import annotations

import time

import pytest
from fakes.slack_requests import SlackRequest, block_action, sign, slash_command
from fakes.slack_world import DANA, add_suggestion, count
from helpers import eventually

from bot.slack.blocks import ACTION_DONE
from models.entities import Interaction, Suggestion


def _log(fake_slack) -> SlackRequest:
    return slash_command("log Jane Doe call", user_id=DANA, response_base=fake_slack.base_url)


def _refused(response, runtime, fake_slack) -> None:
    assert response.status == 401
    assert count(runtime, Interaction) == 0
    assert fake_slack.calls_to("respond") == []


def test_a_correctly_signed_request_is_accepted(send, fake_slack, runtime):
    assert send(_log(fake_slack)).status == 200
    assert count(runtime, Interaction) == 1


def test_forged_signature_is_refused(send, fake_slack, runtime):
    _refused(send(_log(fake_slack), secret="not-the-signing-secret"), runtime, fake_slack)


@pytest.mark.parametrize("age_seconds", [pytest.param(6 * 60, id="six-minutes"), pytest.param(24 * 3600, id="a-day")])
def test_a_stale_timestamp_is_refused_even_with_a_valid_signature(send, fake_slack, runtime, age_seconds):
    _refused(send(_log(fake_slack), timestamp=int(time.time()) - age_seconds), runtime, fake_slack)


def test_an_unsigned_request_is_refused(send, fake_slack, runtime):
    request = _log(fake_slack)
    _refused(send(request, headers={"Content-Type": request.content_type}), runtime, fake_slack)


def test_a_tampered_body_is_refused(send, fake_slack, runtime):
    original = _log(fake_slack)
    headers = original.signed()
    tampered = original.body.replace("U0DANA", "U0LEE")
    response = send(SlackRequest(tampered, original.content_type), headers=headers)
    _refused(response, runtime, fake_slack)


def test_a_signature_over_another_timestamp_is_refused(send, fake_slack, runtime):
    request = _log(fake_slack)
    now = int(time.time())
    headers = {"Content-Type": request.content_type, **sign(request.body, timestamp=now - 10)}
    headers["X-Slack-Request-Timestamp"] = str(now)
    _refused(send(request, headers=headers), runtime, fake_slack)


def test_a_forged_button_click_changes_nothing(send, fake_slack, runtime):
    suggestion_id = add_suggestion(runtime, "Jane Doe")
    click = block_action(ACTION_DONE, str(suggestion_id), user_id=DANA, response_base=fake_slack.base_url)
    assert send(click, secret="guessed").status == 401
    with runtime.session() as session:
        assert session.get(Suggestion, suggestion_id).status == "sent"
    assert fake_slack.calls_to("chat.update") == []


def test_roster_changes_reach_the_membership_check_after_the_cache_expires(runtime):
    from sqlalchemy import update

    from bot.slack.middleware import RosterDirectory
    from models.entities import Member

    now = [0.0]
    directory = RosterDirectory(runtime, ttl_seconds=60, clock=lambda: now[0])
    assert directory.scope_for(DANA).team_names == ("Enterprise East",)
    with runtime.session() as session:
        session.execute(update(Member).where(Member.slack_user == DANA).values(active=False))
    now[0] = 59
    assert directory.scope_for(DANA) is not None
    now[0] = 61  # the request that finds the copy stale starts a background refresh
    assert eventually(lambda: directory.scope_for(DANA) is None)
    assert directory.scope_for(DANA) is None
