"""One relationship as every surface shows it: plain data, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.timeutil import iso

#: Score points over the trend window that count as a move rather than noise.
TREND_THRESHOLD = 2.0


@dataclass(frozen=True)
class RelationshipStatus:
    """One relationship as every surface shows it (status, board, Home, digest, suggestions):
    the model's verdict joined with who the customer is and who owns the tie."""

    customer_id: int
    customer: str
    company: str
    team: str
    team_id: int
    owner: str | None  # Slack user id of the owning member
    owner_name: str | None
    revenue_rank: int | None
    score: float  # 0-100
    stage: str  # unaware, awareness, weak_tie, building, strong_tie
    hourglass: str  # know, like, trust, try, buy, repeat, refer
    at_risk: bool
    last_interaction_at: datetime | None
    trend: float = 0.0  # score change over the model's trend window (TREND_DAYS)
    stage_since: datetime | None = None
    components: dict[str, float] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)
    risk_reason: str = ""  # why at_risk is set, in words (empty when not at risk)

    @property
    def trend_direction(self) -> str:
        """``rising``, ``falling`` or ``steady``: whether the score moved more than noise over the
        trend window (:data:`TREND_THRESHOLD`)."""
        if self.trend >= TREND_THRESHOLD:
            return "rising"
        if self.trend <= -TREND_THRESHOLD:
            return "falling"
        return "steady"

    def as_json(self) -> dict[str, Any]:
        """The ``strongtie status --json`` record."""
        return {
            "customer": self.customer,
            "company": self.company,
            "team": self.team,
            "owner": self.owner,
            "score": _unsigned_zero(round(self.score, 1)),
            "stage": self.stage,
            "hourglass": self.hourglass,
            "at_risk": self.at_risk,
            "risk_reason": self.risk_reason,
            "last_interaction_at": iso(self.last_interaction_at),
            "trend": _unsigned_zero(round(self.trend, 1)),
            "stage_since": iso(self.stage_since),
            "components": {k: round(v, 2) for k, v in self.components.items()},
            "explanation": list(self.explanation),
        }


def heavy_first(status: RelationshipStatus) -> tuple[bool, int, str]:
    """Sort key of every list of relationships (``strongtie status``, ``/tie top``, App Home,
    ``strongtie suggest``): heavy users first, as the product promises (best revenue rank first,
    unranked last), then by name."""
    return (status.revenue_rank is None, status.revenue_rank or 0, status.customer.casefold())


def trend_text(trend: float) -> str:
    """A trend in whole points as a reader sees it: ``+3``, ``-2``, and ``0`` for anything that
    rounds to nothing (never ``-0`` or ``+0``)."""
    points = round(trend)
    return f"{points:+d}" if points else "0"


def _unsigned_zero(value: float) -> float:
    """``-0.0`` -> ``0.0`` (a rounded tiny fall must not print as ``-0.0``); others unchanged."""
    return value + 0.0
