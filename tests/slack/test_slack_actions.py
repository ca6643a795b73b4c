"""The Done / Snooze / Not relevant buttons on a suggestion DM (real block_actions payloads)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fakes.slack_requests import block_action
from fakes.slack_world import DANA, STRANGER, WES, add_suggestion, customer_id
from sqlalchemy import select

from bot.slack.blocks import ACTION_DISMISS, ACTION_DONE, ACTION_SNOOZE
from models.entities import Interaction, Suggestion


def click(send, fake_slack, action_id: str, suggestion_id: int, user: str = DANA):
    response = send(block_action(action_id, str(suggestion_id), user_id=user, response_base=fake_slack.base_url,
                                 channel_id="D0DANA", message_ts="1700000000.000100"))
    assert response.status == 200
    return response


def suggestion(runtime, suggestion_id: int) -> Suggestion:
    with runtime.session() as session:
        return session.get(Suggestion, suggestion_id)


def logged(runtime) -> list[Interaction]:
    with runtime.session() as session:
        return list(session.scalars(select(Interaction)))


def test_done_logs_the_matching_interaction_and_updates_the_message(send, fake_slack, runtime):
    sid = add_suggestion(runtime, "Jane Doe", kind="share", text="Share Jane's launch post")
    click(send, fake_slack, ACTION_DONE, sid)
    [interaction] = logged(runtime)
    assert interaction.customer_id == customer_id(runtime, "Jane Doe")
    assert (interaction.kind, interaction.origin, interaction.by_user) == ("share", "button", DANA)
    done = suggestion(runtime, sid)
    assert (done.status, done.acted_by) == ("done", DANA) and done.acted_at is not None
    [update] = fake_slack.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == ("D0DANA", "1700000000.000100")
    assert not any(block["type"] == "actions" for block in update.args["blocks"])  # the buttons are gone
    assert "Done" in update.args["text"]


def test_a_double_click_does_nothing_twice(send, fake_slack, runtime):
    sid = add_suggestion(runtime, "Jane Doe", kind="congratulate", text="Congratulate Jane")
    click(send, fake_slack, ACTION_DONE, sid)
    click(send, fake_slack, ACTION_DONE, sid)
    click(send, fake_slack, ACTION_DISMISS, sid)
    assert [i.kind for i in logged(runtime)] == ["comment"]
    assert suggestion(runtime, sid).status == "done"
    assert len(fake_slack.calls_to("chat.update")) == 1


def test_snooze_hides_it_for_a_week_once(send, fake_slack, runtime):
    sid = add_suggestion(runtime, "Omar Haddad", kind="check_in", text="Check in with Omar")
    click(send, fake_slack, ACTION_SNOOZE, sid)
    first = suggestion(runtime, sid)
    assert first.status == "snoozed"
    assert timedelta(days=6, hours=23) < first.snoozed_until - datetime.now(timezone.utc) <= timedelta(days=7)
    click(send, fake_slack, ACTION_SNOOZE, sid)
    assert suggestion(runtime, sid).snoozed_until == first.snoozed_until
    assert logged(runtime) == [] and len(fake_slack.calls_to("chat.update")) == 1
    assert "Snoozed until" in fake_slack.calls_to("chat.update")[0].args["text"]


def test_not_relevant_is_remembered(send, fake_slack, runtime):
    sid = add_suggestion(runtime, "Jane Doe", kind="share")
    click(send, fake_slack, ACTION_DISMISS, sid)
    click(send, fake_slack, ACTION_DONE, sid)
    assert suggestion(runtime, sid).status == "dismissed"
    assert logged(runtime) == []


def test_another_teams_member_cannot_act_on_the_suggestion(send, fake_slack, runtime):
    sid = add_suggestion(runtime, "Jane Doe")
    click(send, fake_slack, ACTION_DONE, sid, user=WES)
    assert suggestion(runtime, sid).status == "sent" and logged(runtime) == []
    [reply] = fake_slack.calls_to("respond")
    assert reply.args["response_type"] == "ephemeral" and reply.args["replace_original"] is False
    assert "not about one of your team's customers" in reply.args["text"]
    assert fake_slack.calls_to("chat.update") == []


def test_a_stranger_is_told_why_and_changes_nothing(send, fake_slack, runtime):
    sid = add_suggestion(runtime, "Jane Doe")
    click(send, fake_slack, ACTION_DONE, sid, user=STRANGER)
    assert suggestion(runtime, sid).status == "sent"
    [reply] = fake_slack.calls_to("respond")
    assert "roster does not list you" in reply.args["text"]


def test_a_click_on_an_unknown_suggestion_changes_nothing(send, fake_slack, runtime):
    click(send, fake_slack, ACTION_DONE, 999999)
    assert logged(runtime) == [] and fake_slack.calls_to("chat.update") == []
