"""App Home: the member's own board (heavy users first, as every board), then per team its hourglass
and the accounts that hang by a single contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.jobs import score
from bot.rules.accounts import Account, single_threaded_accounts
from bot.rules.status import RelationshipStatus, heavy_first
from bot.runtime import Runtime
from bot.slack.blocks import MAX_VIEW_BLOCKS, context_block, escape_mrkdwn, fitted_section_block, header_block
from bot.slack.listeners.common import acknowledge, member_of, pending_suggestions
from bot.slack.listeners.connections_view import connection_blocks
from bot.slack.listeners.formatting import (
    customer_title,
    hourglass_summary,
    preview,
    score_summary,
    stage_label,
)
from bot.slack.middleware import MemberScope
from bot.slack.reminder_blocks import keep_in_touch_blocks
from config.scoring import ScoringParams
from models.entities import Suggestion
from models.timeline import utcnow


def next_actions(session: Session, member: MemberScope, customer_ids: list[int], as_of: datetime) -> dict[int, Suggestion]:
    """Each customer's most pressing actionable suggestion."""
    wanted = set(customer_ids)
    found: dict[int, Suggestion] = {}
    for suggestion in pending_suggestions(session=session, as_of=as_of, team_ids=member.team_ids):
        if suggestion.customer_id in wanted:
            found.setdefault(suggestion.customer_id, suggestion)
    return found


def home_view(member: MemberScope, *, session: Session, as_of: datetime, params: ScoringParams) -> dict[str, Any]:
    """The Home tab for ``member``: their customers, heavy users first (score, stage, trend, risk,
    next action), then each of their teams' hourglass and single-threaded accounts."""
    team_statuses = {
        team_id: score.relationship_statuses(session=session, as_of=as_of, params=params, team_id=team_id)
        for team_id in member.team_ids
    }
    mine = [s for statuses in team_statuses.values() for s in statuses if s.owner == member.slack_user]
    mine.sort(key=heavy_first)
    upcoming = next_actions(session, member, [s.customer_id for s in mine], as_of)
    blocks: list[dict[str, Any]] = [header_block("Your customers")]
    if not mine:
        blocks.append(fitted_section_block("You own no tracked customers yet."))
    blocks += [fitted_section_block(_customer_text(s, upcoming.get(s.customer_id))) for s in mine]
    blocks += keep_in_touch_blocks(member, mine, session=session, as_of=as_of, params=params)
    for team_id, team_name in zip(member.team_ids, member.team_names):
        blocks += [{"type": "divider"}, header_block(f"Team hourglass: {team_name}"),
                   fitted_section_block(hourglass_summary(team_statuses[team_id]))]
        single = single_threaded_accounts(team_statuses[team_id])
        if single:
            blocks.append(fitted_section_block(single_threaded_text(single)))
    blocks += connection_blocks(member, session=session)
    blocks.append(context_block(
        f"Updated {as_of.astimezone(member.timezone):%Y-%m-%d %H:%M %Z} · `/tie help` for commands"))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def single_threaded_text(accounts: list[Account]) -> str:
    """The accounts that hang by one contact (at building or better), heavy users first."""
    lines = [":warning: *Single-threaded accounts* (only one contact at building or better):"]
    lines += [f"• *{escape_mrkdwn(a.account)}*: only {escape_mrkdwn(a.contacts[0].customer)} "
              f"({stage_label(a.contacts[0].stage)}) of {len(a.contacts)} contact{'s' if len(a.contacts) != 1 else ''}"
              for a in accounts]
    return "\n".join(lines)


def _customer_text(status: RelationshipStatus, suggestion: Suggestion | None) -> str:
    lines = [customer_title(status), score_summary(status)]
    if suggestion is not None:
        lines.append(f"Next: {preview(suggestion.text, 200)}")
    return "\n".join(lines)


def register(app: App, runtime: Runtime) -> None:
    """Publish the member's Home tab each time they open it."""

    def publish_home(event: dict, context: BoltContext, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        member = member_of(context)
        with runtime.session() as session:
            view = home_view(member, session=session, as_of=utcnow(), params=runtime.scoring)
        client.views_publish(user_id=member.slack_user, view=view)

    app.event("app_home_opened")(ack=acknowledge, lazy=[publish_home])
