"""Suggestion messages: the three buttons, their ids and values, and escaped text."""

import json
from datetime import datetime, timezone

import pytest

from bot.slack.blocks import (
    ACTION_DISMISS,
    ACTION_DONE,
    ACTION_SNOOZE,
    suggestion_done_message,
    suggestion_message,
)

HOSTILE = "<!channel> <@U999> <https://evil.example|click> & co"


def _all_text(blocks) -> str:
    return json.dumps(blocks)


def test_buttons_carry_the_action_ids_and_the_suggestion_id():
    _, blocks = suggestion_message(suggestion_id=42, kind="share", customer="Jane Doe", text="Share it",
                                   post_url="https://blog.example/1", reason="new post")
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in actions["elements"]] == [
        (ACTION_DONE, "42", "Done"), (ACTION_SNOOZE, "42", "Snooze"), (ACTION_DISMISS, "42", "Not relevant")]


@pytest.mark.parametrize("field", [pytest.param(field, id=field) for field in ("customer", "text", "reason")])
def test_user_and_post_text_is_escaped(field):
    args = {"suggestion_id": 1, "kind": "share", "customer": "Jane", "text": "Share it", "reason": "why"}
    args[field] = HOSTILE
    fallback, blocks = suggestion_message(**args)
    rendered = _all_text(blocks) + fallback
    assert "<!channel>" not in rendered and "<@U999>" not in rendered and "<https://evil" not in rendered
    assert "&lt;!channel&gt;" in rendered


def test_post_link_cannot_break_out_of_its_markup():
    _, blocks = suggestion_message(suggestion_id=1, kind="share", customer="J", text="t",
                                   post_url="https://a.example/?x=1&y=<!here>|label")
    text = blocks[0]["text"]["text"]
    assert "<!here>" not in text
    assert text.endswith("<https://a.example/?x=1&amp;y=&lt;!here&gt;%7Clabel|Open the post>")


def test_non_http_post_url_is_not_linked():
    _, blocks = suggestion_message(suggestion_id=1, kind="share", customer="J", text="t", post_url="javascript:alert(1)")
    assert "<javascript" not in blocks[0]["text"]["text"]


@pytest.mark.parametrize("outcome, until, expected", [
    pytest.param("done", None, "Done by <@U1>", id="done"),
    pytest.param("snoozed", datetime(2026, 12, 1, tzinfo=timezone.utc), "Snoozed until 2026-12-01 by <@U1>", id="snoozed"),
    pytest.param("dismissed", None, "Not relevant by <@U1>", id="dismissed"),
])
def test_done_message_replaces_the_buttons(outcome, until, expected):
    fallback, blocks = suggestion_done_message(kind="check_in", customer=HOSTILE, text="Call", outcome=outcome,
                                               by="U1", until=until)
    assert all(b["type"] != "actions" for b in blocks)
    assert expected in _all_text(blocks) and fallback.startswith(expected)
    assert "<!channel>" not in _all_text(blocks) + fallback


def test_done_message_ignores_a_by_that_is_not_an_id():
    _, blocks = suggestion_done_message(kind="share", customer="J", text="t", outcome="done", by="<!channel>")
    assert "<!channel>" not in _all_text(blocks)


@pytest.mark.parametrize("until, tz, expected", [
    # 20:00 UTC on 30 Nov is already 1 Dec in Tokyo, still 30 Nov in Los Angeles
    pytest.param(datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc), "Asia/Tokyo", "Snoozed until 2026-12-01", id="tokyo"),
    pytest.param(datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc), "America/Los_Angeles", "Snoozed until 2026-11-30",
                 id="los-angeles"),
    pytest.param(datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc), None, "Snoozed until 2026-12-01", id="default-utc"),
])
def test_snoozed_until_is_on_the_team_calendar(until, tz, expected):
    zone = {"tz": tz} if tz else {}
    fallback, _ = suggestion_done_message(kind="share", customer="J", text="t", outcome="snoozed", until=until, **zone)
    assert fallback.startswith(expected)
