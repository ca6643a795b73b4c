"""`/tie cadence`, `/tie remind`, the reminder offered after `/tie log`, the reason asked after Not
relevant, and App Home's "due" and reminders: signed requests through the Bolt app, replies and
updates caught by the loopback Web API fake, Block Kit checked with slack-sdk's models."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fakes.slack_requests import app_home_opened, block_action, slash_command
from fakes.slack_world import DANA, WES, add_suggestion, customer_id
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import select

from bot.slack.blocks import ACTION_DISMISS, ACTION_DONE
from bot.slack.listeners.actions import REASON_ACTIONS
from models.entities import Customer, FollowUp, Suggestion
from models.store.cadence import effective_cadence
from models.store.interactions import log_interaction

NEW_YORK = ZoneInfo("America/New_York")


def tie(send, fake_slack, text: str, user: str = DANA) -> None:
    assert send(slash_command(text, user_id=user, response_base=fake_slack.base_url)).status == 200


def cadence_of(runtime, name: str) -> int | None:
    with runtime.session() as session:
        return effective_cadence(session.scalar(select(Customer).where(Customer.name == name)))


def follow_ups(runtime) -> list[FollowUp]:
    with runtime.session() as session:
        return list(session.scalars(select(FollowUp).order_by(FollowUp.id)))


def test_cadence_sets_shows_and_clears(send, fake_slack, runtime, replies):
    tie(send, fake_slack, "cadence Jane Doe 14")
    assert cadence_of(runtime, "Jane Doe") == 14 and cadence_of(runtime, "Jane") is None  # the longest name
    assert "at least every 14 days" in replies()[-1] and "*Jane Doe*" in replies()[-1]
    tie(send, fake_slack, "cadence Jane Doe")
    assert replies()[-1] == "Keep in touch with *Jane Doe* at least every 14 days."
    tie(send, fake_slack, "cadence Jane Doe off")
    assert cadence_of(runtime, "Jane Doe") is None and "No keep-in-touch cadence" in replies()[-1]


@pytest.mark.parametrize("text, message", [
    pytest.param("cadence Jane Doe weekly", "whole number from 1 to 365", id="word"),
    pytest.param("cadence Jane Doe 400", "from 1 to 365", id="too-long"),
    pytest.param("cadence Wanda West 7", "Wanda West", id="other-team"),
])
def test_cadence_mistakes_are_answered_and_change_nothing(send, fake_slack, runtime, replies, text, message):
    tie(send, fake_slack, text)
    assert message.lower() in replies()[-1].lower()
    assert cadence_of(runtime, "Jane Doe") is None and cadence_of(runtime, "Wanda West") is None


def test_remind_stores_a_follow_up_for_the_team_local_day(send, fake_slack, runtime, replies):
    tie(send, fake_slack, "remind Jane Doe in 3 days send the <!channel> pricing deck")
    [reminder] = follow_ups(runtime)
    today_ny = datetime.now(timezone.utc).astimezone(NEW_YORK).date()
    assert (reminder.member_user, reminder.due_on, reminder.what) == (
        DANA, today_ny + timedelta(days=3), "send the <!channel> pricing deck")
    assert reminder.customer_id == customer_id(runtime, "Jane Doe")
    reply = replies()[-1]
    assert reply.startswith("I'll remind you to follow up with *Jane Doe* on ")
    assert (today_ny + timedelta(days=3)).isoformat() in reply
    assert "&lt;!channel&gt;" in reply and "<!channel>" not in reply


@pytest.mark.parametrize("text, message", [
    pytest.param("remind Jane Doe someday call", "not a date I know", id="bad-when"),
    pytest.param("remind Jane Doe friday", "what should I remind you of", id="no-what"),
    pytest.param("remind Jane Doe 2020-01-01 call", "in the past", id="past"),
])
def test_remind_mistakes_are_answered_and_store_nothing(send, fake_slack, runtime, replies, text, message):
    tie(send, fake_slack, text)
    assert message.lower() in replies()[-1].lower()
    assert follow_ups(runtime) == []


def test_help_lists_cadence_and_remind(send, fake_slack, runtime):
    response = send(slash_command("help", user_id=DANA, response_base=fake_slack.base_url))
    body = json.loads(response.body)["text"]
    assert "/tie cadence &lt;customer&gt; &lt;days|off&gt;" in body and "/tie remind &lt;customer&gt;" in body


def test_a_log_note_that_says_follow_up_offers_the_exact_remind_command(send, fake_slack, runtime, replies):
    tie(send, fake_slack, "log Jane Doe call asked for pricing, follow up friday")
    reply = replies()[-1]
    assert "Logged a call with *Jane Doe*" in reply
    assert '`/tie remind "Jane Doe" friday asked for pricing, follow up friday`' in reply
    tie(send, fake_slack, "log Omar Haddad call coffee in Lisbon")
    assert "/tie remind" not in replies()[-1]
    assert follow_ups(runtime) == []  # offered, not set


def _click(send, fake_slack, action_id: str, suggestion_id: int, user: str = DANA) -> None:
    assert send(block_action(action_id, str(suggestion_id), user_id=user, response_base=fake_slack.base_url,
                             channel_id="D0DANA", message_ts="1700000000.000100")).status == 200


def _validated(blocks: list[dict]) -> str:
    for block in blocks:
        Block.parse(block).validate_json()
    return json.dumps(blocks)


def test_not_relevant_asks_why_and_keeps_the_reason(send, fake_slack, runtime):
    sid = add_suggestion(runtime, "Jane Doe", kind="share", text="Share Jane's post")
    _click(send, fake_slack, ACTION_DISMISS, sid)
    [update] = fake_slack.calls_to("chat.update")
    blocks = update.args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    rendered = _validated(blocks)
    assert "Why not?" in rendered
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == [
        "Wrong person", "Bad timing", "Already done", "Not our style"]
    assert all(e["value"] == str(sid) for e in actions["elements"])

    _click(send, fake_slack, "suggestion_reason_bad_timing", sid, user=WES)  # another team's member: refused
    with runtime.session() as session:
        assert session.get(Suggestion, sid).dismiss_reason is None
    _click(send, fake_slack, "suggestion_reason_bad_timing", sid)
    with runtime.session() as session:
        row = session.get(Suggestion, sid)
        assert (row.status, row.dismiss_reason) == ("dismissed", "bad_timing")
    last = fake_slack.calls_to("chat.update")[-1].args["blocks"]
    last = json.loads(last) if isinstance(last, str) else last
    rendered = _validated(last)
    assert "Why: bad timing" in rendered and not [b for b in last if b["type"] == "actions"]


def test_a_reason_cannot_be_given_to_a_suggestion_that_was_not_dismissed(send, fake_slack, runtime):
    sid = add_suggestion(runtime, "Jane Doe", kind="share", text="Share Jane's post")
    _click(send, fake_slack, ACTION_DONE, sid)
    before = len(fake_slack.calls_to("chat.update"))
    _click(send, fake_slack, next(iter(REASON_ACTIONS)), sid)
    with runtime.session() as session:
        row = session.get(Suggestion, sid)
        assert (row.status, row.dismiss_reason) == ("done", None)
    assert len(fake_slack.calls_to("chat.update")) == before  # nothing changed, nothing updated


def test_home_shows_who_is_due_and_the_reminders_to_come(send, fake_slack, runtime):
    now = datetime.now(timezone.utc)
    with runtime.session() as session:
        jane = session.scalar(select(Customer).where(Customer.name == "Jane Doe"))
        omar = session.scalar(select(Customer).where(Customer.name == "Omar Haddad"))
        log_interaction(jane, "meeting", session=session, occurred_at=now - timedelta(days=20))
        log_interaction(omar, "meeting", session=session, occurred_at=now - timedelta(days=2))
    tie(send, fake_slack, "cadence Jane Doe 14")  # 20 days since: due
    tie(send, fake_slack, "cadence Omar Haddad 14")  # 2 days since: not due
    tie(send, fake_slack, "remind Omar Haddad in 2 weeks ask about the <b>renewal</b>")
    tie(send, fake_slack, "remind Jane in 2 weeks not Dana's own", user="U0LEE")  # Lee's: not on Dana's Home
    assert send(app_home_opened(user_id=DANA)).status == 200
    [call] = fake_slack.calls_to("views.publish")
    view = call.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    View(**view).validate_json()
    rendered = json.dumps(view, ensure_ascii=False)
    assert "Keep in touch" in rendered and "*Due*" in rendered
    due_text = next(b["text"]["text"] for b in view["blocks"] if "*Due*" in b.get("text", {}).get("text", ""))
    assert "*Jane Doe*: every 14 days" in due_text and "Omar" not in due_text
    assert "Your reminders" in rendered
    assert "Follow up with Omar Haddad: ask about the &lt;b&gt;renewal&lt;/b&gt;" in rendered
    assert "not Dana's own" not in rendered


def test_setting_a_cadence_stores_the_risk_it_implies_at_once(send, fake_slack, runtime, replies):
    from models.entities import StageChange

    now = datetime.now(timezone.utc)
    with runtime.session() as session:
        jane = session.scalar(select(Customer).where(Customer.name == "Jane Doe"))
        for days in (60, 45, 30):  # a monthly rhythm: 20 days of silence is within it
            log_interaction(jane, "meeting", session=session, occurred_at=now - timedelta(days=days + 20 - 30))
        jane_id = jane.id
    tie(send, fake_slack, "cadence Jane Doe 7")
    with runtime.session() as session:
        risks = list(session.scalars(select(StageChange).where(StageChange.customer_id == jane_id, StageChange.track == "risk")))
    assert risks and risks[-1].to_stage == "at_risk" and "cadence of 7 days" in risks[-1].reason
