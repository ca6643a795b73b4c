""""Add to Slack": the OAuth v2 install flow, for strongtie offered to many workspaces.

Enabled when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. Bolt's :class:`OAuthSettings` runs
the flow: ``GET /slack/install`` issues a state (kept in ``slack_oauth_states`` and in a cookie)
and redirects to Slack's authorize page; Slack sends the installer back to
``GET /slack/oauth_redirect`` with a code, which is exchanged at ``oauth.v2.access`` (on
SLACK_API_URL) for the workspace's bot token, stored encrypted (``bot/slack/installations.py``).
Each request is then authorized with the bot of the workspace it came from (strongtie uses no
user token); the bot is read through a short-lived cache and the result of checking its token
(``auth.test``) is cached per token, so a request usually costs no query and no Web API call.
"""

from __future__ import annotations

import logging

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.installations import SealedInstallationStore, installation_store, state_store

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
#: the bot scopes asked at install: those of config/slack-manifest.yaml (a test holds them equal)
BOT_SCOPES = ("commands", "chat:write", "im:write", "files:write", "channels:history", "groups:history",
              "channels:read", "groups:read", "im:history")


def oauth_settings(runtime: Runtime, client: WebClient) -> tuple[OAuthSettings, SealedInstallationStore]:
    """Bolt's OAuth settings for this deployment, and the installation store they use.

    ``client`` (without a token, on SLACK_API_URL) makes the token exchange and the token checks.
    The install path redirects straight to Slack (no intermediate page), so the installer's
    browser carries the state cookie to Slack and back.
    """
    settings = runtime.settings
    store = installation_store(runtime, cached=True)
    oauth = OAuthSettings(
        client_id=settings.slack_client_id.get(),
        client_secret=settings.slack_client_secret.get(),
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,
        installation_store=store,
        state_store=state_store(runtime.engine),
    )
    oauth.authorize = InstallationStoreAuthorize(
        logger=logging.getLogger("slack_bolt.oauth"),
        installation_store=store,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        token_rotation_expiration_minutes=oauth.token_rotation_expiration_minutes,
        bot_only=True,  # find_bot: one cached lookup per request
        cache_enabled=True,  # auth.test once per token, not per request
        client=client,  # token rotation goes to SLACK_API_URL too
    )
    return oauth, store
