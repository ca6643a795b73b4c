"""Many workspaces: each request, suggestion DM and digest uses its own workspace's token; a member
acts only on the teams of the workspace a request came from; an uninstalled workspace gets nothing
more and keeps its history."""

from __future__ import annotations

import copy
import logging

import pytest
import requests
from fakes.slack_requests import app_home_opened, slash_command, workspace_event
from fakes.slack_world import add_suggestion, count
from fakes.slack_workspaces import DANA, EAST_WS, WES, WEST_WS, install
from helpers import eventually
from sqlalchemy import select

from bot.jobs.deliver import deliver_suggestions_job
from bot.jobs.digest import digest_job
from bot.slack.middleware import MemberScope
from models.entities import Customer, Interaction, Team


def base(server) -> str:
    return f"http://{server.host}:{server.port}"


def post(server, request) -> requests.Response:
    return requests.post(server.url, data=request.body.encode(), headers=request.signed(), timeout=10)


@pytest.fixture
def tokens(oauth_server, fake_slack):
    """Both workspaces installed through the flow: workspace -> its bot token."""
    return {ws: install(base(oauth_server), fake_slack, ws) for ws in (EAST_WS, WEST_WS)}


def logged_customers(runtime) -> list[str]:
    with runtime.session() as session:
        return sorted(session.scalars(select(Customer.name).join(Interaction, Interaction.customer_id == Customer.id)))


def test_each_workspace_request_is_answered_with_its_own_token(oauth_server, fake_slack, tokens):
    for user, workspace in ((DANA, EAST_WS), (WES, WEST_WS)):
        assert post(oauth_server, app_home_opened(user_id=user, team_id=workspace)).status_code == 200
    published = {call.args["user_id"]: call.token for call in fake_slack.calls_to("views.publish")}
    assert published == {DANA: tokens[EAST_WS], WES: tokens[WEST_WS]}


def test_a_member_acts_only_on_the_teams_of_the_workspace_the_request_came_from(
        oauth_server, oauth_runtime, fake_slack, tokens):
    # Dana is in East (workspace EAST) and in West (workspace WEST); Wanda is West's customer.
    post(oauth_server, slash_command("log Wanda West call from east", user_id=DANA, response_base=fake_slack.base_url,
                                     team_id=EAST_WS))
    assert eventually(lambda: len(fake_slack.calls_to("respond")) == 1)
    assert logged_customers(oauth_runtime) == []  # Wanda is out of reach from workspace EAST
    post(oauth_server, slash_command("log Wanda West call from west", user_id=DANA, response_base=fake_slack.base_url,
                                     team_id=WEST_WS))
    assert eventually(lambda: len(fake_slack.calls_to("respond")) == 2)
    assert logged_customers(oauth_runtime) == ["Wanda West"]


def test_a_member_of_another_workspace_only_is_turned_away(oauth_server, oauth_runtime, fake_slack, tokens):
    response = post(oauth_server, slash_command("log Jane Doe call", user_id=WES, response_base=fake_slack.base_url,
                                                team_id=EAST_WS))
    assert response.status_code == 200
    assert "another Slack workspace" in response.json()["text"] and "Nothing was changed" in response.json()["text"]
    assert count(oauth_runtime, Interaction) == 0


def test_deliveries_and_digests_go_out_with_each_workspace_token(oauth_runtime, fake_slack, tokens):
    add_suggestion(oauth_runtime, "Jane Doe", owner=DANA, status="open")
    add_suggestion(oauth_runtime, "Wanda West", owner=WES, status="open")
    summary = deliver_suggestions_job(oauth_runtime)
    assert (summary.sent, summary.failed, summary.skipped) == (2, 0, 0)
    posted = {call.args["channel"]: call.token for call in fake_slack.calls_to("chat.postMessage")}
    assert posted == {"D0DANA": tokens[EAST_WS], "D0WEST": tokens[WEST_WS]}
    outcomes = digest_job(oauth_runtime)
    assert sorted(o.status for o in outcomes) == ["sent", "sent"]
    digests = {call.args["channel"]: call.token for call in fake_slack.calls_to("chat.postMessage")
               if call.args["channel"].startswith("C")}
    assert digests == {"C0EAST": tokens[EAST_WS], "C0WEST": tokens[WEST_WS]}


def test_an_uninstalled_workspace_gets_nothing_more_and_keeps_its_history(
        oauth_server, oauth_runtime, fake_slack, tokens, caplog):
    post(oauth_server, slash_command("log Wanda West call before leaving", user_id=WES,
                                     response_base=fake_slack.base_url, team_id=WEST_WS))
    assert eventually(lambda: count(oauth_runtime, Interaction) == 1)
    assert post(oauth_server, workspace_event({"type": "app_uninstalled"}, team_id=WEST_WS)).status_code == 200
    fake_slack.revoke(tokens[WEST_WS])
    add_suggestion(oauth_runtime, "Jane Doe", owner=DANA, status="open")
    add_suggestion(oauth_runtime, "Wanda West", owner=WES, status="open")
    with caplog.at_level(logging.WARNING):
        summary = deliver_suggestions_job(oauth_runtime)
        outcomes = {o.team: o for o in digest_job(oauth_runtime)}
    assert (summary.sent, summary.failed, summary.skipped) == (1, 0, 1)
    assert outcomes["West"].status == "skipped" and WEST_WS in outcomes["West"].detail
    assert outcomes["East"].status == "sent"
    assert {call.token for call in fake_slack.calls_to("chat.postMessage")} == {tokens[EAST_WS]}
    assert any(WEST_WS in r.getMessage() and "uninstalled" in r.getMessage() for r in caplog.records)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)
    assert count(oauth_runtime, Interaction) == 1  # the history stays
    with oauth_runtime.session() as session:
        assert session.scalar(select(Team.workspace).where(Team.name == "West")) == WEST_WS


@pytest.mark.parametrize(("workspaces", "asked", "kept"), [
    pytest.param((None, None), "T1", (1, 2), id="teams naming no workspace are reachable from any"),
    pytest.param(("T1", "T2"), "T1", (1,), id="only the teams of the asking workspace"),
    pytest.param(("T1", None), "T2", (2,), id="a team naming none stays reachable"),
    pytest.param(("T1", "T1"), "T2", None, id="none reachable: no scope"),
    pytest.param(("T1", None), None, (2,), id="a request naming no workspace reaches only teams naming none"),
    pytest.param(("T1", "T2"), None, None, id="a request naming no workspace reaches no workspace's team"),
])
def test_member_scope_narrows_to_the_asking_workspace(workspaces, asked, kept):
    scope = MemberScope("U1", (1, 2), ("A", "B"), ("UTC", "UTC"), workspaces)
    narrowed = scope.in_workspace(asked)
    assert (narrowed.team_ids if narrowed is not None else None) == kept


def test_a_workspace_that_never_installed_the_app_is_refused(oauth_server, oauth_runtime, fake_slack):
    response = post(oauth_server, slash_command("log Jane Doe call", user_id=DANA, response_base=fake_slack.base_url,
                                                team_id=EAST_WS))
    assert response.status_code == 200
    assert count(oauth_runtime, Interaction) == 0
    [reply] = fake_slack.calls_to("respond")  # Bolt's own answer through the response URL
    assert "install this app" in reply.args["text"]


def test_a_member_scope_is_handed_to_the_work_after_the_ack_without_copying():
    """Bolt deep-copies the context of every request with work after its ack; an immutable scope
    is passed as itself, and a narrowed one stays a value of its own."""
    scope = MemberScope("U1", (1, 2), ("East", "West"), ("UTC", "UTC"), ("T1", "T2"))
    assert copy.deepcopy({"member": scope})["member"] is scope
    assert scope.in_workspace("T2") == MemberScope("U1", (2,), ("West",), ("UTC",), ("T2",))


def test_a_workspace_of_an_enterprise_grid_org_is_found_for_its_teams(oauth_runtime):
    """Installed in a workspace that belongs to a Grid org, the bot is stored with the org's id;
    deliveries and digests, knowing only the team's workspace, still find its token."""
    from slack_sdk.oauth.installation_store import Installation

    from bot.slack.installations import WorkspaceClients, installation_store

    installation_store(oauth_runtime).save(Installation(
        app_id="A0STRONGTIE", enterprise_id="E0GRID", team_id=EAST_WS, user_id="U0INSTALLER",
        bot_token="xoxb-grid-east", bot_id="B0BOT", bot_user_id="U0BOT", bot_scopes="chat:write"))
    clients = WorkspaceClients(oauth_runtime)
    assert clients.for_workspace(EAST_WS).token == "xoxb-grid-east"
    assert clients.for_workspace(WEST_WS) is None  # never installed
