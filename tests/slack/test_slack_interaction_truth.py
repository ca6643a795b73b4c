"""Issue 10 through Slack (signed requests, the Web API fake): who reached out, /tie undo, the
/tie log modal, a Done click that does not count a touch twice, and a reply that is the truth."""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
from fakes.slack_requests import API_APP_ID, TEAM_ID, SlackRequest, block_action, slash_command
from fakes.slack_world import DANA, LEE, add_suggestion, customer_id
from sqlalchemy import select

from bot.slack.blocks import ACTION_DONE
from models.entities import Interaction, StageChange, Suggestion
from models.timeline import EPOCH, MICROSECONDS_PER_DAY


def tie(fake_slack, text: str, user: str = DANA):
    return slash_command(text, user_id=user, response_base=fake_slack.base_url)


def stored(runtime) -> list[Interaction]:
    with runtime.session() as session:
        return list(session.scalars(select(Interaction).order_by(Interaction.id)))


def stage_changes(runtime, name: str) -> list[str]:
    with runtime.session() as session:
        return list(session.scalars(select(StageChange.to_stage).where(
            StageChange.customer_id == customer_id(runtime, name), StageChange.track == "tie")))


@pytest.mark.parametrize(
    "text, direction, said",
    [
        pytest.param("log Jane Doe email from asked about renewal", "inbound", "they reached out", id="from-inbound"),
        pytest.param("log Jane Doe email to asked about renewal", "outbound", "we reached out", id="to-outbound"),
        pytest.param("log Jane Doe email with asked about renewal", "mutual", "both took part", id="with-mutual"),
        pytest.param("log Jane Doe email asked about renewal", "outbound", "we reached out", id="email-default"),
        pytest.param("log Jane Doe meeting asked about renewal", "mutual", "both took part", id="meeting-default"),
        pytest.param("log Jane Doe purchase asked about renewal", "inbound", "they reached out", id="purchase-default"),
    ],
)
def test_log_stores_and_says_who_reached_out(send, fake_slack, runtime, replies, text, direction, said):
    send(tie(fake_slack, text))
    [row] = stored(runtime)
    assert (row.direction, row.note) == (direction, "asked about renewal")
    assert f"{direction}: {said}" in replies()[0]


def test_one_email_we_sent_is_no_relationship(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "log Jane Doe email quick hello"))
    assert "Logged an email" in replies()[0]
    assert "weak tie" not in replies()[0] and "weak_tie" not in stage_changes(runtime, "Jane Doe")


def test_undo_removes_my_last_touch_and_the_history_follows(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "log Jane Doe call first"))
    send(tie(fake_slack, "log Omar Haddad meeting quarterly review"))
    send(tie(fake_slack, "log Omar Haddad email from thanks", user=LEE))  # Lee's, not Dana's
    assert stage_changes(runtime, "Omar Haddad")
    request = tie(fake_slack, "undo")
    send(request)
    send(request, retry_num=1)  # Slack's retry removes nothing more
    assert "Removed a meeting with *Omar Haddad*" in replies()[-1] and "quarterly review" in replies()[-1]
    assert [(i.kind, i.by_user) for i in stored(runtime)] == [("call", DANA), ("email", LEE)]
    assert "weak_tie" not in stage_changes(runtime, "Omar Haddad")  # the promotion the meeting made went with it
    send(tie(fake_slack, "undo"))
    send(tie(fake_slack, "undo"))
    assert "Removed a call with *Jane Doe*" in replies()[-2]
    assert "Nothing to undo" in replies()[-1]
    assert [(i.kind, i.by_user) for i in stored(runtime)] == [("email", LEE)]


def test_undo_leaves_touches_older_than_a_day_and_takes_back_a_done_click(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "log Jane Doe call old one"))
    with runtime.session() as session:
        session.scalars(select(Interaction)).one().created_at = datetime.now(timezone.utc) - timedelta(hours=25)
    sid = add_suggestion(runtime, "Omar Haddad", kind="share", text="Share Omar's post")
    send(block_action(ACTION_DONE, str(sid), user_id=DANA, response_base=fake_slack.base_url))
    send(tie(fake_slack, "undo"))
    assert "Removed a share with *Omar Haddad*" in replies()[-1]
    send(tie(fake_slack, "undo"))
    assert "Nothing to undo" in replies()[-1]
    assert [i.note for i in stored(runtime)] == ["old one"]


def test_done_does_not_log_a_second_touch_already_logged_today(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "log Jane Doe share their launch post", user=LEE))  # a teammate got there first
    sid = add_suggestion(runtime, "Jane Doe", kind="share", text="Share Jane's launch post")
    send(block_action(ACTION_DONE, str(sid), user_id=DANA, response_base=fake_slack.base_url))
    assert [i.kind for i in stored(runtime)] == ["share"]
    with runtime.session() as session:
        assert session.get(Suggestion, sid).status == "done"
    assert "already logged today, so no second contact was recorded" in replies()[-1]
    other = add_suggestion(runtime, "Jane Doe", kind="congratulate", text="Congratulate Jane", key="other")
    send(block_action(ACTION_DONE, str(other), user_id=DANA, response_base=fake_slack.base_url))
    assert [i.kind for i in stored(runtime)] == ["share", "comment"]  # another kind of touch still counts


# --- the modal ----------------------------------------------------------------------------


def view_submission(view: dict, values: dict, *, user_id: str = DANA) -> SlackRequest:
    """A ``view_submission`` of ``view`` (as the app opened it) with ``values`` as the state."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "acme-sales"},
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": f"{random.randrange(10**9)}.{random.randrange(10**9)}.abc",
        "view": {**view, "id": "V0MODAL", "team_id": TEAM_ID, "state": {"values": values}, "hash": "1.abc"},
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return SlackRequest(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def picked(value: str | None) -> dict:
    return {"value": {"type": "static_select", "selected_option": {"value": value} if value else None}}


def opened_modal(send, fake_slack) -> dict:
    request = tie(fake_slack, "log")
    assert send(request).status == 200
    [opened] = fake_slack.calls_to("views.open")
    trigger = re.search(r"trigger_id=([^&]+)", request.body)[1]
    assert opened.args["trigger_id"].replace(".", "%2E") == trigger.replace(".", "%2E")
    view = opened.args["view"]
    return json.loads(view) if isinstance(view, str) else view


def modal_values(view: dict, customer: int, kind: str, *, direction: str | None = None, day: str | None = None,
                 clock: str | None = None, note: str = "") -> dict:
    metadata = json.loads(view["private_metadata"])
    return {
        "customer": picked(str(customer)), "kind": picked(kind), "direction": picked(direction),
        "date": {"value": {"type": "datepicker", "selected_date": day or metadata["date"]}},
        "time": {"value": {"type": "timepicker", "selected_time": clock or metadata["time"]}},
        "note": {"value": {"type": "plain_text_input", "value": note}},
    }


def test_log_alone_opens_a_modal_limited_to_my_team(send, fake_slack, runtime):
    view = opened_modal(send, fake_slack)
    assert view["type"] == "modal" and view["callback_id"] == "tie_log"
    [customers] = [b for b in view["blocks"] if b["block_id"] == "customer"]
    names = {o["text"]["text"] for o in customers["element"]["options"]}
    assert names == {"Jane Doe", "Jane", "Omar Haddad"}  # not West's Wanda West
    assert fake_slack.calls_to("respond") == []


def test_a_modal_submission_logs_the_touch_and_replies_where_log_was_typed(send, fake_slack, runtime, replies):
    view = opened_modal(send, fake_slack)
    response = send(view_submission(view, modal_values(view, customer_id(runtime, "Omar Haddad"), "email",
                                                       direction="from", note="asked for pricing")))
    assert response.status == 200 and not response.body  # the modal closes
    [row] = stored(runtime)
    assert (row.kind, row.direction, row.note, row.by_user, row.logged_by) == (
        "email", "inbound", "asked for pricing", DANA, DANA)
    assert abs(row.occurred_at - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert "Logged an email with *Omar Haddad*: “asked for pricing” (inbound: they reached out)." in replies()[-1]


def test_a_modal_takes_a_past_day_and_refuses_a_future_time(send, fake_slack, runtime, replies):
    view = opened_modal(send, fake_slack)
    jane = customer_id(runtime, "Jane Doe")
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=2)).date().isoformat()
    refused = send(view_submission(view, modal_values(view, jane, "call", day=tomorrow)))
    body = json.loads(refused.body)
    assert body["response_action"] == "errors" and "still to come" in body["errors"]["date"]
    assert stored(runtime) == []
    send(view_submission(view, modal_values(view, jane, "call", day="2026-03-02", clock="09:30")))
    [row] = stored(runtime)
    assert row.occurred_at == datetime(2026, 3, 2, 14, 30, tzinfo=timezone.utc)  # 09:30 in New York
    assert row.direction == "mutual" and "on 2026-03-02 at 09:30" in replies()[-1]


def test_a_forged_submission_for_another_teams_customer_logs_nothing(send, fake_slack, runtime, replies):
    view = opened_modal(send, fake_slack)
    send(view_submission(view, modal_values(view, customer_id(runtime, "Wanda West"), "call")))
    assert stored(runtime) == [] and "not one of your team's" in replies()[-1]


# --- the reply is the truth ------------------------------------------------------------------


def _instants_the_old_clock_got_wrong(count: int) -> list[datetime]:
    """Increasing instants over a year, each one whose float day from ``timestamp()`` (how ``as_of``
    used to be read) lies before the loader's ``microseconds / MICROSECONDS_PER_DAY`` (how the touch
    is read): exactly where the model used to see a touch logged "now" as still to come."""
    rng = random.Random(10)
    found, at = [], int((datetime.now(timezone.utc) - timedelta(days=400)).timestamp()) * 1_000_000
    while len(found) < count:
        at += rng.randrange(1, 20 * MICROSECONDS_PER_DAY)
        moment = EPOCH + timedelta(microseconds=at)
        if moment.timestamp() / 86400.0 < at / MICROSECONDS_PER_DAY:
            found.append(moment)
    return found


def test_the_log_reply_matches_status_at_many_arbitrary_instants(send, fake_slack, runtime, replies, monkeypatch):
    import bot.slack.listeners.tie as tie_listener

    kinds = ["meeting", "email from", "call", "message", "meeting", "purchase", "call", "email to"] * 2
    for moment, kind in zip(_instants_the_old_clock_got_wrong(len(kinds)), kinds, strict=True):
        monkeypatch.setattr(tie_listener, "utcnow", lambda moment=moment: moment)
        send(tie(fake_slack, f"log Jane Doe {kind}"))
        logged = replies()[-1].split("\n")[1].removeprefix("Now ").rstrip(".")
        # a second later, as a manager asks: the touch is in the past for any reading of the clock
        monkeypatch.setattr(tie_listener, "utcnow", lambda moment=moment: moment + timedelta(seconds=1))
        send(tie(fake_slack, "status Jane Doe"))
        assert logged in replies()[-1], (moment, replies()[-2], replies()[-1])
