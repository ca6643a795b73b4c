""""Add to Slack": the OAuth v2 install flow over loopback HTTP, tokens encrypted at rest, and
uninstalls (the Web API fake plays Slack, oauth.v2.access included)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml
from fakes.slack_requests import event_callback, workspace_event
from fakes.slack_workspaces import EAST_WS, SLACK_AUTHORIZE_URL, WEST_WS, install, start_install, state_cookie
from sqlalchemy import select, text

from bot.slack.installations import installation_store
from bot.slack.oauth import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH
from models.entities_slack import slack_bots, slack_installations, slack_oauth_states


def base(server) -> str:
    return f"http://{server.host}:{server.port}"


def post_event(server, request) -> requests.Response:
    return requests.post(server.url, data=request.body.encode(), headers=request.signed(), timeout=10)


def test_install_sets_a_state_cookie_and_sends_the_installer_to_slack(oauth_server, oauth_runtime, fake_slack):
    response, state = start_install(base(oauth_server))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(SLACK_AUTHORIZE_URL + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == [fake_slack.client_id]
    assert set(query["scope"][0].split(",")) == set(BOT_SCOPES)
    assert state and response.cookies.get("slack-app-oauth-state") == state
    with oauth_runtime.engine.connect() as connection:
        assert connection.scalar(select(slack_oauth_states.c.state)) == state


def test_the_redirect_exchanges_the_code_on_slack_api_url_and_stores_the_token_encrypted(
        oauth_server, oauth_runtime, fake_slack):
    token = install(base(oauth_server), fake_slack, EAST_WS)
    [exchange] = fake_slack.calls_to("oauth.v2.access")  # on SLACK_API_URL, with the app's credentials
    assert exchange.args["_basic"] == f"{fake_slack.client_id}:{fake_slack.client_secret}"
    bot = installation_store(oauth_runtime).find_bot(enterprise_id=None, team_id=EAST_WS)
    assert bot is not None and bot.bot_token == token
    with oauth_runtime.engine.connect() as connection:
        raw = [dict(row) for table in (slack_installations, slack_bots)
               for row in connection.execute(text(f"SELECT * FROM {table.name}")).mappings()]
        states_left = connection.scalar(text("SELECT count(*) FROM slack_oauth_states"))
    assert len(raw) == 2 and all(row["team_id"] == EAST_WS for row in raw)
    assert all(row["bot_token"] and row["bot_token"] != token for row in raw)
    assert not any(token in str(value) for row in raw for value in row.values())  # nowhere in clear
    assert states_left == 0  # a state is good for one install


@pytest.mark.parametrize("how", [
    pytest.param("wrong_state", id="a state this server never issued"),
    pytest.param("no_cookie", id="the state without the browser's cookie"),
])
def test_a_redirect_with_a_forged_state_installs_nothing(oauth_server, oauth_runtime, fake_slack, how):
    _, state = start_install(base(oauth_server))
    code = fake_slack.authorize_install(EAST_WS)
    if how == "wrong_state":
        params, headers = {"code": code, "state": "forged"}, state_cookie("forged")
    else:
        params, headers = {"code": code, "state": state}, {}
    back = requests.get(f"{base(oauth_server)}{REDIRECT_PATH}", params=params, headers=headers, timeout=10)
    assert back.status_code in (400, 401)  # Bolt: 400 without the cookie, 401 for an unknown state
    assert fake_slack.calls_to("oauth.v2.access") == []
    assert installation_store(oauth_runtime).find_bot(enterprise_id=None, team_id=EAST_WS) is None


@pytest.mark.parametrize("event", [
    pytest.param({"type": "app_uninstalled"}, id="app_uninstalled"),
    pytest.param({"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}}, id="tokens_revoked"),
])
def test_uninstall_deletes_that_workspace_installation_only(oauth_server, oauth_runtime, fake_slack, event):
    install(base(oauth_server), fake_slack, EAST_WS)
    install(base(oauth_server), fake_slack, WEST_WS)
    response = post_event(oauth_server, workspace_event(event, team_id=WEST_WS))
    assert response.status_code == 200
    store = installation_store(oauth_runtime)
    assert store.find_bot(enterprise_id=None, team_id=WEST_WS) is None
    assert store.find_installation(enterprise_id=None, team_id=WEST_WS) is None
    assert store.find_bot(enterprise_id=None, team_id=EAST_WS) is not None


def test_single_token_mode_serves_no_install_routes(runtime):
    from bot.slack.app import build_app
    from bot.slack.server import wsgi_app

    application = wsgi_app(build_app(runtime), signing_secret="unused")
    answers = []
    for path in (INSTALL_PATH, REDIRECT_PATH):
        application({"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": ""},
                    lambda status, headers: answers.append(status))
    assert answers == ["404 Not Found", "404 Not Found"]


def test_the_manifest_subscribes_to_uninstalls_and_asks_the_scopes_the_install_asks():
    from pathlib import Path

    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "slack-manifest.yaml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert manifest["oauth_config"]["redirect_urls"] == [f"https://YOUR-HOST{REDIRECT_PATH}"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])


def test_an_unknown_event_from_a_workspace_is_still_acknowledged_once_installed(oauth_server, fake_slack):
    """The event check goes through the installation of the workspace the event came from."""
    install(base(oauth_server), fake_slack, EAST_WS)
    response = post_event(oauth_server, event_callback({
        "type": "event_callback", "team_id": EAST_WS, "api_app_id": "A0STRONGTIE", "event_id": "Ev1",
        "event_time": 1, "event": {"type": "channel_shared", "channel": "C0SHARED", "event_ts": "1.000001"},
        "authorizations": [{"enterprise_id": None, "team_id": EAST_WS, "user_id": "U0BOT", "is_bot": True}]}))
    assert response.status_code == 200


def test_the_request_path_reads_a_workspace_bot_from_a_short_lived_copy(oauth_runtime):
    import time

    from slack_sdk.oauth.installation_store import Bot

    from bot.slack.installations import CachedBotStore
    from models.crypto import SecretBox

    now = [0.0]
    settings = oauth_runtime.settings
    cached = CachedBotStore(settings.slack_client_id.get(), oauth_runtime.engine, SecretBox(settings.secret_key),
                            ttl_seconds=30, clock=lambda: now[0])
    other_process = installation_store(oauth_runtime)
    cached.save_bot(Bot(app_id="A0", enterprise_id=None, team_id=EAST_WS, bot_token="xoxb-east", bot_id="B0",
                        bot_user_id="U0BOT", bot_scopes="commands", installed_at=time.time()))
    assert cached.find_bot(enterprise_id=None, team_id=EAST_WS).bot_token == "xoxb-east"
    other_process.delete_bot(enterprise_id=None, team_id=EAST_WS)
    assert cached.find_bot(enterprise_id=None, team_id=EAST_WS) is not None  # the copy, within its TTL
    now[0] = 31.0
    assert cached.find_bot(enterprise_id=None, team_id=EAST_WS) is None  # read again after it
    cached.save_bot(Bot(app_id="A0", enterprise_id=None, team_id=EAST_WS, bot_token="xoxb-east-2", bot_id="B0",
                        bot_user_id="U0BOT", bot_scopes="commands", installed_at=time.time()))
    assert cached.find_bot(enterprise_id=None, team_id=EAST_WS).bot_token == "xoxb-east-2"
    cached.delete_all(enterprise_id=None, team_id=EAST_WS)
    assert cached.find_bot(enterprise_id=None, team_id=EAST_WS) is None  # its own uninstall: at once
