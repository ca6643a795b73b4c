"""App Home: app_home_opened publishes the member's board and their team's hourglass."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from fakes.slack_requests import app_home_opened
from fakes.slack_world import DANA, STRANGER, add_suggestion, customer_id

from bot.slack.listeners.home import home_view
from bot.slack.middleware import MemberScope
from config.scoring import ScoringParams
from models.entities import Interaction
from models.store.teams import team_by_name


def published(fake_slack) -> tuple[str, str]:
    [call] = fake_slack.calls_to("views.publish")
    view = call.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    return call.args["user_id"], json.dumps(view, ensure_ascii=False)


def test_home_shows_the_members_board_and_team_hourglass(send, fake_slack, runtime):
    add_suggestion(runtime, "Jane Doe", text="Share Jane's post <!channel>")
    assert send(app_home_opened(user_id=DANA)).status == 200
    user, view = published(fake_slack)
    assert user == DANA
    assert "Jane Doe" in view and "Omar Haddad" in view  # Dana owns these two
    assert "Solo Ltd" not in view and "Wanda West" not in view  # Lee's customer, another team's
    assert "/100" in view and "hourglass" in view
    assert "Next: Share Jane's post &lt;!channel&gt;" in view and "<!channel>" not in view
    assert "Team hourglass: Enterprise East" in view and "know " in view


def test_at_risk_and_trend_are_shown(runtime):
    now = datetime.now(timezone.utc)
    with runtime.session() as session:
        jane = customer_id(runtime, "Jane Doe")
        for weeks in range(20, 4, -1):  # a steady weekly rhythm that stopped a month ago
            session.add(Interaction(customer_id=jane, kind="call", direction="mutual",
                                    occurred_at=now - timedelta(weeks=weeks), origin="test"))
    with runtime.session() as session:
        member = MemberScope(DANA, (team_by_name("Enterprise East", session=session).id,), ("Enterprise East",),
                             ("America/New_York",))
        view = json.dumps(home_view(member, session=session, as_of=now, params=ScoringParams()), ensure_ascii=False)
    assert "at risk" in view
    assert any(arrow in view for arrow in "↑↓→")


def test_a_stranger_sees_why_there_is_no_board(send, fake_slack, runtime):
    send(app_home_opened(user_id=STRANGER))
    user, view = published(fake_slack)
    assert user == STRANGER and "roster does not list you" in view


def test_the_messages_tab_publishes_nothing(send, fake_slack, runtime):
    send(app_home_opened(user_id=DANA, tab="messages"))
    assert fake_slack.calls_to("views.publish") == []
