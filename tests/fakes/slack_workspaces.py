"""Two Slack workspaces installed through "Add to Slack": their roster, the environment of an OAuth
deployment, and the install flow a browser goes through, against the loopback Web API fake."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from cryptography.fernet import Fernet
from helpers import customer, member, roster, team

EAST_WS, WEST_WS = "T0EASTWS", "T0WESTWS"
DANA, WES = "U0DANA", "U0WEST"  # Dana is in both teams; Wes only in West
SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"

ROSTER = roster(
    team("East", slack_channel="C0EAST", timezone="America/New_York", digest_time="09:00", workspace=EAST_WS,
         members=[member(DANA, "Dana Reyes")],
         customers=[customer("Jane Doe", company="Acme Corp", owner=DANA, revenue=120000)]),
    team("West", slack_channel="C0WEST", timezone="America/Los_Angeles", digest_time="08:30", workspace=WEST_WS,
         members=[member(WES, "Wes Tran"), member(DANA, "Dana Reyes")],
         customers=[customer("Wanda West", company="Initech", owner=WES, revenue=70000)]),
)


def oauth_environment(fake, db_url: str, signing_secret: str) -> dict[str, str]:
    """What an "Add to Slack" deployment sets: client id and secret, a key for the tokens, no bot token."""
    return {
        "STRONGTIE_DATABASE_URL": db_url,
        "SLACK_CLIENT_ID": fake.client_id,
        "SLACK_CLIENT_SECRET": fake.client_secret,
        "STRONGTIE_SECRET_KEY": Fernet.generate_key().decode(),
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_API_URL": fake.base_url,
    }


def start_install(base_url: str) -> tuple[requests.Response, str]:
    """GET /slack/install as a browser: the answer (not followed) and the state it carries to Slack."""
    response = requests.get(f"{base_url}/slack/install", allow_redirects=False, timeout=10)
    state = parse_qs(urlsplit(response.headers.get("Location", "")).query).get("state", [""])[0]
    return response, state


def state_cookie(state: str) -> dict[str, str]:
    """The cookie the installer's browser sends back (Bolt marks it Secure: a browser sends it over
    the HTTPS proxy in front of strongtie; the test, on plain loopback HTTP, sends it itself)."""
    return {"Cookie": f"slack-app-oauth-state={state}"}


def install(base_url: str, fake, workspace: str) -> str:
    """The whole flow for ``workspace``: start, approve at Slack, come back with code and state.
    Returns the bot token the fake issued."""
    _, state = start_install(base_url)
    code = fake.authorize_install(workspace)
    back = requests.get(f"{base_url}/slack/oauth_redirect", params={"code": code, "state": state},
                        headers=state_cookie(state), allow_redirects=False, timeout=10)
    assert back.status_code == 200, back.text
    [token] = [t for t, ws in fake.workspace_tokens.items() if ws == workspace]
    return token
