"""The one place a Slack Web API client is built: base URL from SLACK_API_URL, token from the
environment, and slack-sdk's retry handlers for rate limits (429 + Retry-After) and transient
connection errors; and the metadata that lets a message that must go out exactly once be found again."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from config.settings import Settings


#: ``make_web_client``'s default token: the SLACK_BOT_TOKEN setting.
BOT_TOKEN_SETTING: Any = object()


def make_web_client(settings: Settings, *, max_retries: int = 3, token: str | None = BOT_TOKEN_SETTING) -> WebClient:
    """A WebClient that retries 429s (honouring Retry-After) and dropped connections: for
    SLACK_BOT_TOKEN by default, or for ``token``, one installed workspace's (None: a client without
    a token, for oauth.v2.access and for Bolt to hand each request's token to)."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(
        token=(settings.slack_bot_token.get() or None) if token is BOT_TOKEN_SETTING else token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ConnectionErrorRetryHandler(max_retry_count=max_retries),
        ],
    )


# --- messages that can be found again -------------------------------------------------------------
# A message that must go out exactly once carries Slack message metadata naming what it delivers
# (a digest run, a suggestion). When a claim to send one is left unconfirmed by a crash, the
# recovery reads the conversation back and sends only if no message carries that metadata.

# A claim unconfirmed for this long was left by a dead process: far beyond any post still in flight
# (a 15 s client timeout, a few retries and their Retry-After waits).
STALE_CLAIM_AFTER = timedelta(minutes=10)
# How far before the claim time a conversation is read back (clock skew between us and Slack).
CLAIM_LOOKBACK_MARGIN = timedelta(minutes=5)
DIGEST_EVENT = "strongtie_digest"
SUGGESTION_EVENT = "strongtie_suggestion"
HISTORY_PAGE = 200  # messages per conversations.history page
HISTORY_MAX_PAGES = 50  # beyond 10,000 messages since the claim, give up rather than scan forever


class MessageLookupError(RuntimeError):
    """The conversation could not be read back far enough to know whether a message was posted."""


def message_metadata(event_type: str, key: str, value: int | str) -> dict[str, Any]:
    """The ``metadata`` argument of chat.postMessage that marks a message as delivering ``key=value``."""
    return {"event_type": event_type, "event_payload": {key: value}}


def find_marked_message(
    client: WebClient, *, channel: str, event_type: str, key: str, value: int | str, oldest: datetime
) -> str | None:
    """The ts of the message in ``channel`` posted after ``oldest`` whose metadata marks it as
    delivering ``key=value``, or None when there is none.

    Reads conversations.history (``include_all_metadata``, newest first, page by page) back to
    ``oldest``. Raises :class:`MessageLookupError` when the history cannot be read completely (an
    error answer such as ``missing_scope``, or too many messages): not knowing is not "absent".
    """
    cursor: str | None = None
    for _ in range(HISTORY_MAX_PAGES):
        try:
            page = client.conversations_history(channel=channel, oldest=f"{oldest.timestamp():.6f}",
                                                include_all_metadata=True, limit=HISTORY_PAGE, cursor=cursor)
        except SlackApiError as exc:
            raise MessageLookupError(f"conversations.history on {channel} answered "
                                     f"{exc.response.get('error', 'an error')}") from None
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == event_type and str(payload.get(key)) == str(value):
                return str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            return None
    raise MessageLookupError(f"more than {HISTORY_MAX_PAGES * HISTORY_PAGE} messages in {channel} since {oldest:%Y-%m-%d %H:%M} UTC")
