"""Block Kit rendering and mrkdwn escaping (pure functions).

Everything that came from a user or a customer's post goes through :func:`escape_mrkdwn` before
it is shown, so it can never mention @channel/@here/@everyone or a user, nor forge a link.
"""

from __future__ import annotations

# action_id of the buttons on a suggestion message; the button's value is the suggestion id.
ACTION_DONE = "suggestion_done"
ACTION_SNOOZE = "suggestion_snooze"
ACTION_DISMISS = "suggestion_dismiss"


def escape_mrkdwn(text: str | None) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack requires; ``<!channel>`` and ``<@U…>`` become inert."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
