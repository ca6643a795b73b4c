"""The Bolt app. This module only wires: the Web API client, the middleware and each listener."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack import middleware
from bot.slack.client import make_web_client
from bot.slack.listeners import LISTENER_MODULES, uninstalls
from bot.slack.oauth import oauth_settings
from bot.slack.priority import AcksFirstExecutor

#: threads running the work after the acks (Bolt's own default is 5)
LAZY_WORKERS = 8


class _ClientTokenNotice(logging.Filter):
    """Drops Bolt's "As you gave client as well, token will be unused": Bolt reads SLACK_BOT_TOKEN
    from the environment by itself, and the client strongtie hands it is built from that very token,
    so the warning printed at every start says nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_BOLT_LOG = logging.getLogger("slack_bolt.App")
if not any(isinstance(f, _ClientTokenNotice) for f in _BOLT_LOG.filters):
    _BOLT_LOG.addFilter(_ClientTokenNotice())


def build_app(
    runtime: Runtime,
    *,
    verify_requests: bool = True,
    client: WebClient | None = None,
    listener_executor: Executor | None = None,
) -> App:
    """The strongtie Slack app on ``runtime``'s settings and database.

    HTTP mode needs SLACK_SIGNING_SECRET (Bolt then refuses any request whose signature or
    timestamp is wrong) and either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET ("Add to Slack": each request is answered with the token of its own
    workspace's installation, see ``bot/slack/oauth.py``); Socket Mode (``verify_requests=False``)
    receives its requests over an authenticated WebSocket and needs no signing secret. Acks are computed on the request's
    own thread (``process_before_response``) so a busy pool of lazy listeners never delays one;
    ``listener_executor`` runs those lazy listeners (by default :class:`AcksFirstExecutor`: they
    start in quiet moments between the acks the HTTP server computes, see ``bot/slack/priority.py``).
    """
    settings = runtime.settings
    settings.require_slack_tokens()
    if verify_requests:
        settings.require("slack_signing_secret")
    executor = listener_executor or AcksFirstExecutor(workers=LAZY_WORKERS)
    options: dict[str, Any] = {"listener_executor": executor}
    store = None
    if client is None:  # with "Add to Slack", Bolt hands each request its workspace's token
        client = make_web_client(settings, token=None) if settings.slack_oauth_enabled else make_web_client(settings)
    if settings.slack_oauth_enabled:
        options["oauth_settings"], store = oauth_settings(runtime, client)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get() or None,
        request_verification_enabled=verify_requests,
        token_verification_enabled=False,
        process_before_response=True,
        **options,
    )
    middleware.register(app, runtime)
    for module in LISTENER_MODULES:
        module.register(app, runtime)
    uninstalls.register(app, store)
    return app
