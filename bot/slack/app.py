"""The Bolt app. This module only wires: the Web API client, the middleware and each listener."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack import middleware
from bot.slack.client import make_web_client
from bot.slack.listeners import LISTENER_MODULES


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

    HTTP mode needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (Bolt then refuses any request whose
    signature or timestamp is wrong); Socket Mode (``verify_requests=False``) receives its requests
    over an authenticated WebSocket and needs no signing secret. Acks are computed on the request's
    own thread (``process_before_response``) so a busy pool of lazy listeners never delays one;
    ``listener_executor`` runs those lazy listeners (Bolt's thread pool by default).
    """
    settings = runtime.settings
    settings.require("slack_bot_token")
    if verify_requests:
        settings.require("slack_signing_secret")
    options = {"listener_executor": listener_executor} if listener_executor is not None else {}
    app = App(
        client=client or make_web_client(settings),
        signing_secret=settings.slack_signing_secret.get() or None,
        request_verification_enabled=verify_requests,
        token_verification_enabled=False,
        process_before_response=True,
        **options,
    )
    middleware.register(app, runtime)
    for module in LISTENER_MODULES:
        module.register(app, runtime)
    return app
