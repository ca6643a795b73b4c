"""The one place a Slack Web API client is built: base URL from SLACK_API_URL, token from the
environment, and slack-sdk's retry handlers for rate limits (429 + Retry-After) and transient
connection errors."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from config.settings import Settings


def make_web_client(settings: Settings, *, max_retries: int = 3) -> WebClient:
    """A WebClient for the bot token that retries 429s (honouring Retry-After) and dropped connections."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(
        token=settings.slack_bot_token.get() or None,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ConnectionErrorRetryHandler(max_retry_count=max_retries),
        ],
    )
