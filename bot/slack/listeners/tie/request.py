"""The parsed form of one ``/tie`` invocation that every subcommand receives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

from sqlalchemy.orm import Session

from bot.slack.listeners.common import request_key
from bot.slack.middleware import MemberScope
from config.scoring import ScoringParams


@dataclass(frozen=True)
class TieRequest:
    """Who asked, for what, and when; ``body`` is Slack's slash-command payload."""

    member: MemberScope
    subcommand: str
    args: str
    body: Mapping[str, Any]
    now: datetime
    params: ScoringParams  # the model's parameters, built once by the runtime

    @property
    def user_id(self) -> str:
        """The acting Slack user (as the roster knows them), recorded as who logged or rated."""
        return self.member.slack_user

    def dedupe_key(self) -> str:
        """Same for Slack's retries of this invocation, different for the next one."""
        return request_key(f"tie-{self.subcommand}", self.body)


# A subcommand turns the request into the mrkdwn text of its ephemeral reply.
Handler = Callable[[TieRequest, Session], str]


def split_subcommand(text: str) -> tuple[str, str]:
    """``"log Jane Doe call"`` -> ``("log", "Jane Doe call")``; the subcommand is lower-cased."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1] if len(parts) > 1 else ""
