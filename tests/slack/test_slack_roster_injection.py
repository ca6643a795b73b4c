"""Roster names are people's text too: a customer, company, member or team named with mentions or a
disguised link is shown escaped in /tie top, /tie status, App Home and suggestion DMs."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from fakes.slack_requests import app_home_opened, slash_command
from fakes.slack_world import DANA, add_customer, add_suggestion
from sqlalchemy import update

from bot.jobs.deliver import ChannelPacer, deliver_suggestions_job
from models.entities import Member, Team

RAW = ("<!channel>", "<@U123>", "<http://evil.example|click>", "<!here>", "<!everyone>")
EVIL = "Eve <!channel> <@U123> <http://evil.example|click>"


@pytest.fixture
def evil_roster(runtime) -> str:
    """Dana's team, a customer of hers, its company and Dana herself all named with injections."""
    with runtime.session() as session:
        session.execute(update(Team).where(Team.name == "Enterprise East").values(name="East <!everyone>"))
        session.execute(update(Member).where(Member.slack_user == DANA).values(name="<@U123> Dana"))
    add_customer(runtime, "East <!everyone>", EVIL, company="<!here> Corp <http://evil.example|click>",
                 revenue=500_000)
    return EVIL


def mrkdwn_texts(payload: Any) -> Iterator[str]:
    """Every string Slack parses as mrkdwn: mrkdwn text objects, and a message's top-level text."""
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn" or ("text" in payload and isinstance(payload["text"], str)
                                                and payload.get("type") != "plain_text"):
            yield payload["text"]
        for value in payload.values():
            yield from mrkdwn_texts(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from mrkdwn_texts(value)


def assert_inert(texts: list[str]) -> None:
    joined = "\n".join(texts)
    assert joined, "nothing was shown"
    assert not [raw for raw in RAW if raw in joined], joined
    assert "&lt;!channel&gt;" in joined and "&lt;http://evil.example|click&gt;" in joined


def tie(fake_slack, text: str):
    return slash_command(text, user_id=DANA, response_base=fake_slack.base_url)


def test_top_escapes_roster_names(send, fake_slack, runtime, replies, evil_roster):
    send(tie(fake_slack, "top"))
    assert_inert(replies())
    assert "East &lt;!everyone&gt;" in replies()[0]


def test_status_escapes_roster_names(send, fake_slack, runtime, replies, evil_roster):
    send(tie(fake_slack, f'status "{evil_roster}"'))
    assert_inert(replies())
    assert "&lt;!here&gt; Corp" in replies()[0]


def test_home_escapes_roster_names(send, fake_slack, runtime, evil_roster):
    add_suggestion(runtime, evil_roster, text="Congratulate them")
    send(app_home_opened(user_id=DANA))
    [call] = fake_slack.calls_to("views.publish")
    view = call.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert_inert(list(mrkdwn_texts(view)))


def test_suggestion_dms_escape_roster_names(runtime, fake_slack, evil_roster):
    add_suggestion(runtime, evil_roster, status="open", text="Share their post")
    deliver_suggestions_job(runtime, pacer=ChannelPacer(interval=0))
    [post] = fake_slack.calls_to("chat.postMessage")
    assert_inert(list(mrkdwn_texts({"text": post.args["text"], "blocks": post.args["blocks"]})))
