"""Finding the customer a member means: quoted names with apostrophes, members of several teams."""

from __future__ import annotations

import pytest
from fakes.slack_requests import slash_command
from fakes.slack_world import DANA, WES, add_customer, add_member
from sqlalchemy import select

from models.entities import Interaction


def logged_customer_ids(runtime) -> list[int]:
    with runtime.session() as session:
        return list(session.scalars(select(Interaction.customer_id).order_by(Interaction.id)))


@pytest.mark.parametrize("text", [
    pytest.param("log \"Grace O'Connell\" call hi", id="straight-double-quotes"),
    pytest.param("log “Grace O'Connell” call hi", id="curly-double-quotes"),
    pytest.param("log 'Grace O'Connell' call hi", id="straight-single-quotes"),
    pytest.param("log ‘Grace O'Connell’ call hi", id="curly-single-quotes"),
])
def test_a_quoted_name_with_an_apostrophe_is_found(send, fake_slack, runtime, replies, text):
    grace = add_customer(runtime, "Enterprise East", "Grace O'Connell")
    send(slash_command(text, user_id=DANA, response_base=fake_slack.base_url))
    assert logged_customer_ids(runtime) == [grace], replies()
    assert "Logged a call with *Grace O'Connell*: “hi”" in replies()[-1]


def test_a_member_of_several_teams_gets_the_longest_match_across_them(send, fake_slack, runtime, replies):
    add_member(runtime, "Enterprise East", WES, "Wes Tran")  # East (first in roster order) has "Jane"
    whitfield = add_customer(runtime, "West", "Jane Whitfield", owner=WES)
    send(slash_command("log Jane Whitfield call", user_id=WES, response_base=fake_slack.base_url))
    assert logged_customer_ids(runtime) == [whitfield], replies()
