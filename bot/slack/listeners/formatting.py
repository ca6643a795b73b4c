"""Text and Block Kit for what the listeners show (pure functions).

Everything that came from a person or a customer's post passes through ``escape_mrkdwn``; names
from the roster do too, since whoever wrote the roster is a person as well.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Iterable, Sequence

from bot.rules.hourglass import stage_census
from bot.rules.status import RelationshipStatus
from bot.slack.blocks import escape_mrkdwn
from connectors.text import one_line
from models.entities import Interaction, Suggestion

NOTE_PREVIEW = 120
_ARROWS = {"rising": "↑", "falling": "↓", "steady": "→"}


def trend_arrow(status: RelationshipStatus) -> str:
    """↑ rising, ↓ falling, → steady (see :attr:`RelationshipStatus.trend_direction`)."""
    return _ARROWS[status.trend_direction]


def stage_label(stage: str) -> str:
    """A stage as people read it: ``weak_tie`` -> ``weak tie``."""
    return stage.replace("_", " ")


def day(moment: datetime | None, zone: tzinfo) -> str:
    """The calendar date of ``moment`` where the reader is (``zone``, their team's), or ``never``.

    A UTC date would be off by one for a New York team every evening after 19:00.
    """
    return moment.astimezone(zone).strftime("%Y-%m-%d") if moment else "never"


def preview(text: str | None, limit: int = NOTE_PREVIEW) -> str:
    """Escaped, single-line, shortened user text."""
    return escape_mrkdwn(one_line(text, limit))


def customer_title(status: RelationshipStatus) -> str:
    """``*Jane Doe* (Acme Corp)``, both escaped (roster text is people's text too)."""
    company = f" ({escape_mrkdwn(status.company)})" if status.company else ""
    return f"*{escape_mrkdwn(status.customer)}*{company}"


def score_summary(status: RelationshipStatus) -> str:
    """``62/100 · building ↑ · hourglass: trust`` plus an at-risk flag."""
    risk = " · :warning: at risk" if status.at_risk else ""
    return (
        f"{status.score:.0f}/100 · {stage_label(status.stage)} {trend_arrow(status)}"
        f" · hourglass: {status.hourglass}{risk}"
    )


def board_lines(statuses: Sequence[RelationshipStatus]) -> list[str]:
    """One ranked line per relationship, strongest first."""
    ranked = sorted(statuses, key=lambda s: (-s.score, s.customer.casefold()))
    return [f"{rank}. {customer_title(s)}: {score_summary(s)}" for rank, s in enumerate(ranked, start=1)]


def hourglass_summary(statuses: Iterable[RelationshipStatus]) -> str:
    """How many relationships sit in each hourglass stage, in funnel order."""
    return " → ".join(f"{stage} {count}" for stage, count in stage_census(statuses))


#: Touches strongtie captured by itself; their note says where (``in #acme-shared``, ``on Bluesky…``).
CAPTURED_ORIGINS = frozenset({"calendar", "email", "slack_connect", "bluesky", "mastodon"})
_WHO = {"inbound": "from them", "outbound": "from us", "mutual": "with them"}


def interaction_line(interaction: Interaction, zone: tzinfo) -> str:
    """One touch as a bullet. A logged one: local date, kind, direction and a short escaped note. A
    captured one reads as a sentence, e.g. ``message from them in #acme-shared on 3 Dec``, so a
    manager sees where the score came from without having typed anything."""
    if interaction.origin in CAPTURED_ORIGINS:
        local = interaction.occurred_at.astimezone(zone)
        where = f" {preview(interaction.note)}" if interaction.note else ""
        who = _WHO.get(interaction.direction, interaction.direction)
        return f"• {interaction.kind} {who}{where} on {local.day} {local:%b %Y}"
    note = f": {preview(interaction.note)}" if interaction.note else ""
    return f"• {day(interaction.occurred_at, zone)} {interaction.kind} ({interaction.direction}){note}"


def suggestion_line(suggestion: Suggestion) -> str:
    """One pending suggestion as a bullet, its text shortened and escaped."""
    return f"• {preview(suggestion.text, 200)}"

