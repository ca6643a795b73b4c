"""What /tie status, /tie snooze and App Home show: the digest's idea of a pending suggestion, dates
in the team's time zone, and text cut without breaking escapes or links."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from fakes.slack_requests import slash_command
from fakes.slack_world import DANA, add_suggestion, team_id

from bot.slack.blocks import MAX_SECTION_TEXT, fitted_section_block
from bot.slack.listeners.home import home_view
from bot.slack.middleware import MemberScope
from config.scoring import ScoringParams

# 22:00 on 23 November in New York: already the 24th in UTC.
EVENING = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def evening(monkeypatch):
    monkeypatch.setattr("bot.slack.listeners.tie.utcnow", lambda: EVENING)
    return EVENING


def tie(fake_slack, text: str):
    return slash_command(text, user_id=DANA, response_base=fake_slack.base_url)


def add_odd_suggestions(runtime, now: datetime) -> None:
    add_suggestion(runtime, "Jane Doe", text="Fresh idea", suggested_at=now - timedelta(hours=1))
    add_suggestion(runtime, "Jane Doe", text="Ninety days stale", suggested_at=now - timedelta(days=90))
    add_suggestion(runtime, "Jane Doe", text="From the future", suggested_at=now + timedelta(days=2))
    add_suggestion(runtime, "Jane Doe", text="Snoozed idea", status="snoozed", suggested_at=now - timedelta(hours=2),
                   snoozed_until=now + timedelta(days=3))


def test_status_lists_only_actionable_suggestions(send, fake_slack, runtime, replies):
    add_odd_suggestions(runtime, datetime.now(timezone.utc))
    send(tie(fake_slack, "status Jane Doe"))
    text = replies()[-1]
    assert "Fresh idea" in text
    assert not any(odd in text for odd in ("Ninety days stale", "From the future", "Snoozed idea"))


def test_home_next_action_is_only_an_actionable_suggestion(runtime):
    now = datetime.now(timezone.utc)
    add_suggestion(runtime, "Jane Doe", text="Ninety days stale", suggested_at=now - timedelta(days=90))
    add_suggestion(runtime, "Jane Doe", text="From the future", suggested_at=now + timedelta(days=2))
    member = MemberScope(DANA, (team_id(runtime, "Enterprise East"),), ("Enterprise East",), ("America/New_York",))
    with runtime.session() as session:
        view = json.dumps(home_view(member, session=session, as_of=now, params=ScoringParams()), ensure_ascii=False)
    assert "Next:" not in view
    add_suggestion(runtime, "Jane Doe", text="Fresh idea", suggested_at=now - timedelta(hours=1))
    with runtime.session() as session:
        view = json.dumps(home_view(member, session=session, as_of=now, params=ScoringParams()), ensure_ascii=False)
    assert "Next: Fresh idea" in view


def test_snooze_reply_gives_the_end_date_in_the_teams_zone(send, fake_slack, runtime, replies, evening):
    send(tie(fake_slack, "snooze Omar Haddad 1"))
    assert "until 2026-11-24:" in replies()[-1]  # 22:00 on the 24th in New York; UTC says the 25th
    send(tie(fake_slack, "status Omar Haddad"))
    assert "Snoozed until 2026-11-24." in replies()[-1]


def test_status_dates_touches_in_the_teams_zone(send, fake_slack, runtime, replies, evening):
    send(tie(fake_slack, "log Jane Doe call late one"))
    send(tie(fake_slack, "status Jane Doe"))
    assert "• 2026-11-23 call (mutual): late one" in replies()[-1]


def test_home_says_when_it_was_updated_in_the_members_zone(runtime):
    member = MemberScope(DANA, (team_id(runtime, "Enterprise East"),), ("Enterprise East",), ("America/New_York",))
    with runtime.session() as session:
        view = json.dumps(home_view(member, session=session, as_of=EVENING, params=ScoringParams()), ensure_ascii=False)
    assert "Updated 2026-11-23 22:00 EST" in view and "UTC" not in view


@pytest.mark.parametrize("tail", [
    pytest.param("&amp;", id="entity"),
    pytest.param("&lt;!channel&gt;", id="escaped-mention"),
    pytest.param("<https://evil.example|click here>", id="link"),
    pytest.param("<@U123>", id="user-mention"),
])
def test_home_cuts_a_long_section_without_splitting_an_escape_or_a_link(tail):
    for pad in range(MAX_SECTION_TEXT - len(tail) - 2, MAX_SECTION_TEXT + 1):  # the cut falls before, inside and after ``tail``
        # a Home section, built as home_view builds each: cut to Slack's limit, then wrapped
        shown = fitted_section_block("x" * pad + tail + " and more")["text"]["text"]
        leftover = re.sub(r"&[a-z]+;|<[^<>]*>", "", shown)  # whole entities and links removed
        assert len(shown) <= 3000 and not set("&<>") & set(leftover), (pad, shown[-20:])


def test_a_snoozed_dm_says_until_when_in_the_teams_zone(send, fake_slack, runtime, monkeypatch):
    from fakes.slack_requests import block_action

    from bot.slack.blocks import ACTION_SNOOZE

    monkeypatch.setattr("bot.slack.listeners.actions.utcnow", lambda: EVENING)  # +7 days: 22:00 on the 30th in New York
    sid = add_suggestion(runtime, "Jane Doe")
    send(block_action(ACTION_SNOOZE, str(sid), user_id=DANA, response_base=fake_slack.base_url))
    [update] = fake_slack.calls_to("chat.update")
    assert "until 2026-11-30" in update.args["text"]
