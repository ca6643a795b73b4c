"""App Home's keep-in-touch part: the member's relationships past their cadence ("due") and the
reminders they set that are still to come. Built here, hooked into :mod:`bot.slack.listeners.home`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from sqlalchemy.orm import Session

from bot.jobs.reminders import cadence_states, upcoming_records
from bot.rules.status import RelationshipStatus
from bot.slack.blocks import escape_mrkdwn, fitted_section_block, header_block
from bot.slack.listeners.formatting import day, preview
from bot.slack.middleware import MemberScope
from config.scoring import ScoringParams

#: Most reminders listed on Home (the rest are counted).
MAX_REMINDERS = 10


def keep_in_touch_blocks(member: MemberScope, mine: Sequence[RelationshipStatus], *, session: Session,
                         as_of: datetime, params: ScoringParams) -> list[dict[str, Any]]:
    """A "Keep in touch" section naming the member's relationships that are due by their cadence,
    and a "Your reminders" section; nothing when there is neither."""
    blocks: list[dict[str, Any]] = []
    states = cadence_states(list(mine), session=session, as_of=as_of, params=params)
    names = {s.customer_id: s.customer for s in mine}
    due = [state for cid, state in states.items() if state.due and cid in names]
    if due:
        lines = [":hourglass: *Due* (past their keep-in-touch cadence):"]
        lines += [f"• *{escape_mrkdwn(names[s.customer_id])}*: every {s.cadence_days} days, last two-way contact "
                  f"{day(s.last_two_way, member.timezone) if s.last_two_way else f'over {s.cadence_days} days ago'}"
                  for s in sorted(due, key=lambda s: names[s.customer_id].casefold())]
        blocks += [header_block("Keep in touch"), fitted_section_block("\n".join(lines))]
    reminders = upcoming_records(session=session, as_of=as_of, team_ids=list(member.team_ids), member=member.slack_user)
    if reminders:
        lines = [f"• {r['due_on']} *{escape_mrkdwn(r['customer'])}*: {preview(r['text'], 150)}"
                 for r in reminders[:MAX_REMINDERS]]
        if len(reminders) > MAX_REMINDERS:
            lines.append(f"…and {len(reminders) - MAX_REMINDERS} more")
        blocks += [header_block("Your reminders"), fitted_section_block("\n".join(lines))]
    return blocks
