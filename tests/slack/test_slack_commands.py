"""`/tie` end to end through the Bolt app: real slash-command payloads, signed as Slack signs them."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from fakes.slack_requests import slash_command
from fakes.slack_world import DANA, STRANGER, WES, count, customer_id
from sqlalchemy import select

from models.entities import Customer, Interaction, Rating


def tie(fake_slack, text: str, user: str = DANA, **kwargs):
    return slash_command(text, user_id=user, response_base=fake_slack.base_url, **kwargs)


def interactions(runtime) -> list[Interaction]:
    with runtime.session() as session:
        return list(session.scalars(select(Interaction).order_by(Interaction.id)))


def test_log_matches_the_longest_known_name_and_replies_with_score_and_stage(send, fake_slack, runtime, replies):
    response = send(tie(fake_slack, "log Jane Doe call coffee in Lisbon"))
    assert response.status == 200 and response.body == ""  # acked at once, the reply comes later
    [logged] = interactions(runtime)
    assert logged.customer_id == customer_id(runtime, "Jane Doe")  # not "Jane", a shorter known name
    assert (logged.kind, logged.note, logged.by_user, logged.origin) == ("call", "coffee in Lisbon", DANA, "slack")
    [reply] = fake_slack.calls_to("respond")
    assert reply.args["response_type"] == "ephemeral"
    assert re.search(r"Logged a call with \*Jane Doe\*.*\n.*\d+/100 · [a-z ]+ [↑↓→]", reply.args["text"])
    assert "link_names" not in reply.args and "parse" not in reply.args


def test_log_with_a_quoted_name_picks_exactly_that_customer(send, fake_slack, runtime):
    send(tie(fake_slack, 'log "Jane" email thanks for the intro'))
    [logged] = interactions(runtime)
    assert logged.customer_id == customer_id(runtime, "Jane")
    assert (logged.kind, logged.note) == ("email", "thanks for the intro")


def test_unknown_customer_offers_close_matches_and_records_nothing(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "log Jane Do call"))
    send(tie(fake_slack, "log Omar Hadad call"))
    assert interactions(runtime) == []
    assert "Did you mean" in replies()[1] and "Omar Haddad" in replies()[1]


def test_unknown_kind_is_explained(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "log Jane Doe lunchbreak"))
    assert interactions(runtime) == []
    assert "unknown interaction kind" in replies()[0].lower()


def test_a_slack_retry_of_the_same_command_logs_once(send, fake_slack, runtime):
    request = tie(fake_slack, "log Jane Doe call follow-up")
    send(request)
    retried = send(request, retry_num=1)  # same payload (same trigger_id), freshly signed, as Slack retries
    assert retried.status == 200
    assert len(interactions(runtime)) == 1
    send(tie(fake_slack, "log Jane Doe call follow-up"))  # a new invocation is a new touch
    assert len(interactions(runtime)) == 2


def test_rate_records_once_and_checks_the_range(send, fake_slack, runtime, replies):
    request = tie(fake_slack, "rate Jane Doe 8")
    send(request)
    send(request, retry_num=1)
    send(tie(fake_slack, "rate Jane Doe 11"))
    with runtime.session() as session:
        ratings = list(session.scalars(select(Rating)))
    assert [(r.rating, r.by_user) for r in ratings] == [(8, DANA)]
    assert "from 0 to 10" in replies()[-1]


def test_snooze_sets_the_end_of_the_snooze(send, fake_slack, runtime, replies):
    before = datetime.now(timezone.utc)
    send(tie(fake_slack, "snooze Omar Haddad 5"))
    with runtime.session() as session:
        until = session.get(Customer, customer_id(runtime, "Omar Haddad")).snoozed_until
    assert before + timedelta(days=5) <= until <= datetime.now(timezone.utc) + timedelta(days=5)
    assert "Snoozed *Omar Haddad*" in replies()[0]
    send(tie(fake_slack, "snooze Omar Haddad forever"))
    assert "whole number" in replies()[-1]


def test_status_shows_score_explanation_touches_and_open_suggestions(send, fake_slack, runtime, replies):
    from fakes.slack_world import add_suggestion

    send(tie(fake_slack, "log Jane Doe meeting quarterly review"))
    add_suggestion(runtime, "Jane Doe", text="Congratulate Jane on the launch")
    send(tie(fake_slack, "status jane doe"))
    text = replies()[-1]
    assert text.startswith("*Jane Doe* (Acme Corp)")
    assert re.search(r"\d+/100 · [a-z ]+ [↑↓→] · hourglass: [a-z]+", text)
    assert "*Last touches*" in text and "meeting (mutual): quarterly review" in text
    assert "*Open suggestions*" in text and "Congratulate Jane on the launch" in text


def test_top_shows_only_the_members_team(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "top"))
    board = replies()[0]
    assert "*Enterprise East*: hourglass know" in board
    assert all(name in board for name in ("Jane Doe", "Omar Haddad", "Jane"))
    assert "Wanda West" not in board


def test_help_and_unknown_subcommands_are_answered_in_the_ack(send, fake_slack):
    for text in ("help", "", "frobnicate<!here>"):
        response = send(tie(fake_slack, text))
        body = json.loads(response.body)
        assert body["response_type"] == "ephemeral" and "/tie log &lt;customer&gt; &lt;kind&gt; [from|to|with] [note]" in body["text"]
    assert "&lt;!here&gt;" in body["text"] and "<!here>" not in body["text"]
    assert fake_slack.calls_to("respond") == []


def test_a_member_cannot_touch_another_teams_customer(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "log Wanda West call", user=DANA))
    send(tie(fake_slack, "snooze Wanda West 3", user=DANA))
    send(tie(fake_slack, "status Wanda West", user=DANA))
    assert interactions(runtime) == []
    with runtime.session() as session:
        assert session.get(Customer, customer_id(runtime, "Wanda West")).snoozed_until is None
    assert all("unknown customer" in text.lower() for text in replies())
    send(tie(fake_slack, "log Wanda West call", user=WES))  # her own team's member may
    assert len(interactions(runtime)) == 1


def test_a_stranger_gets_a_clear_ephemeral_answer_and_changes_nothing(send, fake_slack, runtime):
    response = send(tie(fake_slack, "log Jane Doe call", user=STRANGER))
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    assert "roster does not list you" in body["text"] and "Nothing was changed" in body["text"]
    assert count(runtime, Interaction) == 0 and fake_slack.calls_to("respond") == []


def test_user_text_can_never_mention_anyone_or_forge_a_link(send, fake_slack, runtime, replies):
    note = "<!channel> <!here> <!everyone> <@U0LEE> <https://evil.example|your invoice> & @channel"
    send(tie(fake_slack, f"log Jane Doe message {note}"))
    send(tie(fake_slack, "status Jane Doe"))
    assert interactions(runtime)[0].note == note  # stored as typed
    for text in replies():
        assert "<!" not in text and "<@" not in text and "<http" not in text
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;@U0LEE&gt; &lt;https://evil.example|your invoice&gt; &amp; @channel" in replies()[1]
    for call in fake_slack.calls:
        assert "link_names" not in call.args and call.args.get("parse") != "full"


def test_a_rescore_conflicting_with_a_concurrent_one_still_logs_and_scores(send, fake_slack, runtime, replies, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from bot.jobs import score

    real, calls = score.rescore_customers, []

    def first_conflicts(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:  # what PostgreSQL raises when a concurrent rescore stored the same stage change
            raise IntegrityError("INSERT INTO stage_changes ...", {}, Exception("duplicate key value"))
        return real(*args, **kwargs)

    monkeypatch.setattr(score, "rescore_customers", first_conflicts)
    send(tie(fake_slack, "log Jane Doe call"))
    assert len(interactions(runtime)) == 1 and len(calls) == 2
    assert re.search(r"\d+/100", replies()[0])


def test_a_rescore_that_keeps_failing_does_not_lose_the_touch(send, fake_slack, runtime, replies, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from bot.jobs import score

    def always_conflicts(*args, **kwargs):
        raise IntegrityError("INSERT INTO stage_changes ...", {}, Exception("duplicate key value"))

    monkeypatch.setattr(score, "rescore_customers", always_conflicts)
    send(tie(fake_slack, "log Jane Doe call"))
    assert len(interactions(runtime)) == 1
    assert "Logged a call with *Jane Doe*" in replies()[0] and "next scoring run" in replies()[0]


def test_a_mistake_in_the_settings_is_reported_as_such_not_as_a_problem_on_our_side(runtime, fake_slack):
    from dataclasses import replace

    from fakes.slack_world import InlineExecutor
    from slack_bolt import BoltRequest

    from bot.runtime import Runtime
    from bot.slack.app import build_app
    from bot.slack.listeners.tie import FAILURE_TEXT

    misconfigured = Runtime(settings=replace(runtime.settings, scoring={"weight_bogus": 10}))
    app = build_app(misconfigured, listener_executor=InlineExecutor())
    try:
        request = tie(fake_slack, "top")
        assert app.dispatch(BoltRequest(body=request.body, headers=request.signed())).status == 200
    finally:
        misconfigured.engine.dispose()
    [reply] = fake_slack.calls_to("respond")
    assert "Unknown key scoring.weight_bogus in the config file" in reply.args["text"]
    assert reply.args["text"] != FAILURE_TEXT and reply.args["response_type"] == "ephemeral"


def test_a_word_that_is_not_a_number_is_answered_with_what_was_expected(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "rate Jane Doe eight"))
    send(tie(fake_slack, "status Jane Doe please"))
    assert "the rating must be a whole number from 0 to 10, got “eight”" in replies()[0].lower()
    assert "takes only a customer" in replies()[1]
    assert count(runtime, Rating) == 0


def test_help_lists_every_interaction_kind():
    from bot.slack.listeners.tie.help import help_text
    from config.vocabulary import INTERACTION_KINDS

    assert f"(kinds: {', '.join(INTERACTION_KINDS)})" in help_text()
