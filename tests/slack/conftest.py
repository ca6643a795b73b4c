"""Fixtures for the Slack app: a seeded two-team roster, the loopback Web API fake as SLACK_API_URL,
and the Bolt app wired exactly as in production (lazy listeners run inline, so a dispatch returns
only after its work and reply are done)."""

from __future__ import annotations

from typing import Any

import pytest
from fakes.slack_api import FakeSlackAPI
from fakes.slack_requests import SIGNING_SECRET, SlackRequest
from fakes.slack_world import ROSTER, InlineExecutor
from helpers import store_roster
from slack_bolt import BoltRequest, BoltResponse

from config.settings import load_settings


@pytest.fixture
def fake_slack():
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def slack_env(db_url, fake_slack, monkeypatch, tmp_path):
    """The environment `strongtie serve` would see, pointed at the test database and the fake."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_APP_TOKEN", "STRONGTIE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "STRONGTIE_DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": fake_slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def runtime(slack_env):
    from bot.runtime import Runtime

    rt = Runtime(settings=load_settings())
    with rt.session() as session:
        store_roster(session, ROSTER)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def app(runtime):
    from bot.slack.app import build_app

    return build_app(runtime, listener_executor=InlineExecutor())


@pytest.fixture
def send(app):
    """Dispatch a request through the whole app (signature check included); returns Bolt's response."""

    def dispatch(request: SlackRequest, *, headers: dict[str, str] | None = None, **sign: Any) -> BoltResponse:
        return app.dispatch(BoltRequest(body=request.body, headers=headers if headers is not None else request.signed(**sign)))

    return dispatch


@pytest.fixture
def replies(fake_slack):
    """The texts sent back through response URLs, in order."""

    def texts() -> list[str]:
        return [call.args.get("text", "") for call in fake_slack.calls_to("respond")]

    return texts


@pytest.fixture
def oauth_runtime(db_url, fake_slack, monkeypatch, tmp_path):
    """A runtime of an "Add to Slack" deployment (no SLACK_BOT_TOKEN) over two workspaces' teams."""
    from fakes.slack_workspaces import ROSTER as WORKSPACES_ROSTER
    from fakes.slack_workspaces import oauth_environment

    from bot.runtime import Runtime

    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_APP_TOKEN", "STRONGTIE_CONFIG", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in oauth_environment(fake_slack, db_url, SIGNING_SECRET).items():
        monkeypatch.setenv(name, value)
    rt = Runtime(settings=load_settings())
    with rt.session() as session:
        store_roster(session, WORKSPACES_ROSTER)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def oauth_server(oauth_runtime):
    """`strongtie serve` of that deployment on loopback (lazy listeners run inline); its base URL."""
    import threading

    from bot.slack.app import build_app
    from bot.slack.server import SlackHTTPServer

    server = SlackHTTPServer(build_app(oauth_runtime, listener_executor=InlineExecutor()), signing_secret=SIGNING_SECRET,
                             host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield server
    server.stop()
    thread.join(10)
