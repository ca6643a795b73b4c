"""Text is escaped exactly once, where it becomes mrkdwn: "AT&T" and "<b>" reach the Web API fake as
``AT&amp;T`` and ``&lt;b&gt;`` (never ``&amp;amp;``, nor raw) in the digest, a suggestion DM, the App
Home and /tie replies. (That mentions stay inert is tested in test_slack_roster_injection.py and
tests/digest/test_digest_blocks.py.)"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Iterator

from digest.seed_world import MONDAY, add_post, seed, slack_runtime
from fakes.slack_requests import app_home_opened, slash_command
from fakes.slack_world import DANA, add_customer, add_suggestion
from sqlalchemy import select

from bot.jobs.deliver import ChannelPacer, deliver_suggestions_job
from bot.jobs.digest import digest_job
from models.entities import Customer, Source

RAW = "AT&T <b>"
ONCE = "AT&amp;T &lt;b&gt;"
TWICE = ("&amp;amp;", "&amp;lt;", "&amp;gt;")


def mrkdwn_texts(payload: Any) -> Iterator[str]:
    """Every string Slack reads as mrkdwn: mrkdwn text objects and a message's top-level text."""
    if isinstance(payload, dict):
        if payload.get("type") != "plain_text" and isinstance(payload.get("text"), str):
            yield payload["text"]
        for value in payload.values():
            yield from mrkdwn_texts(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from mrkdwn_texts(value)


def assert_escaped_once(texts: list[str], *, times: int = 1) -> None:
    joined = "\n".join(texts)
    assert joined.count(ONCE) >= times, joined
    assert not [twice for twice in TWICE if twice in joined], joined
    assert "<b>" not in joined and "AT&T" not in joined, joined


def test_the_digest_escapes_a_post_title_once(db_url, fake_slack):
    runtime = slack_runtime(db_url, fake_slack)
    seed(runtime)
    with runtime.session() as session:
        jane = session.scalar(select(Customer).where(Customer.name == "Jane Doe"))
        source = session.scalar(select(Source).where(Source.customer_id == jane.id))
        add_post(session, source, "att", f"{RAW} merger", MONDAY - timedelta(hours=2))
    digest_job(runtime, as_of=MONDAY)
    [post] = fake_slack.calls_to("chat.postMessage")
    texts = list(mrkdwn_texts({"text": post.args["text"], "blocks": post.args["blocks"]}))
    notable = next(t for t in texts if t.startswith("*Notable posts*"))
    assert f"|{ONCE} merger>" in notable  # the link's label, escaped once
    assert_escaped_once(texts)


def test_a_suggestion_dm_escapes_once(runtime, fake_slack):
    add_suggestion(runtime, "Jane Doe", status="open", text=f"Congratulate {RAW}",
                   post_url="https://posts.example/att?a=1&b=2", reason=f"{RAW} announced a merger")
    deliver_suggestions_job(runtime, pacer=ChannelPacer(interval=0))
    [post] = fake_slack.calls_to("chat.postMessage")
    texts = list(mrkdwn_texts({"text": post.args["text"], "blocks": post.args["blocks"]}))
    assert_escaped_once(texts, times=2)  # the suggestion and its reason
    assert "<https://posts.example/att?a=1&amp;b=2|Open the post>" in "\n".join(texts)


def test_app_home_and_tie_replies_escape_once(send, runtime, fake_slack, replies):
    add_customer(runtime, "Enterprise East", f"{RAW} Lee", company=RAW, revenue=500_000)
    send(app_home_opened(user_id=DANA))
    [call] = fake_slack.calls_to("views.publish")
    view = call.args["view"]
    assert_escaped_once(list(mrkdwn_texts(json.loads(view) if isinstance(view, str) else view)), times=2)
    send(slash_command(f'log "{RAW} Lee" call about {RAW}', user_id=DANA, response_base=fake_slack.base_url))
    send(slash_command(f'status "{RAW} Lee"', user_id=DANA, response_base=fake_slack.base_url))
    send(slash_command("top", user_id=DANA, response_base=fake_slack.base_url))
    logged, status, top = replies()
    assert_escaped_once([logged], times=2)  # the name and the note
    assert_escaped_once([status], times=2)  # the name and the company
    assert_escaped_once([top], times=2)
