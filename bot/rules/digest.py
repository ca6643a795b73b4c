"""What a daily digest says, as plain data (pure).

The digest job fills a :class:`Digest` from the store; ``bot/blocks.py`` renders it for Slack and
for a terminal. Keeping the content separate from both lets each be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.rules.hourglass import StageCount
from config.vocabulary import STAGE_ORDERS

# The order of the stages on each track, from models.entities (the one definition of them).


@dataclass(frozen=True)
class StageMove:
    """A relationship that moved between stages of one track since the last digest."""

    customer: str
    owner: str | None  # display name of the owning member
    track: str  # tie or hourglass
    from_stage: str
    to_stage: str
    changed_at: datetime
    reason: str

    @property
    def is_promotion(self) -> bool:
        """Whether the move goes forward on its track (later stage), as opposed to back."""
        order = STAGE_ORDERS[self.track]
        return order.index(self.to_stage) > order.index(self.from_stage)


@dataclass(frozen=True)
class RiskItem:
    """A relationship newly at risk since the last digest, with when and why the scorer flagged it."""

    customer: str
    owner: str | None
    since: datetime
    reason: str


@dataclass(frozen=True)
class NotablePost:
    """A post worth the team's attention, with the milestone it announces if any."""

    customer: str
    title: str
    url: str | None
    published_at: datetime
    milestone: str | None  # the milestone it announces, if any


@dataclass(frozen=True)
class DigestSuggestion:
    """One of an owner's top open suggestions, as the digest lists it."""

    kind: str
    customer: str
    text: str
    post_url: str | None
    priority: float


@dataclass(frozen=True)
class Digest:
    """Everything one team's digest says for one team-local date, covering ``(covered_from, covered_to]``."""

    team: str
    local_date: date
    covered_from: datetime
    covered_to: datetime
    moves: list[StageMove] = field(default_factory=list)
    newly_at_risk: list[RiskItem] = field(default_factory=list)
    notable_posts: list[NotablePost] = field(default_factory=list)
    suggestions_by_owner: list[tuple[str, list[DigestSuggestion]]] = field(default_factory=list)
    hourglass: list[StageCount] = field(default_factory=list)
    stall: StageCount | None = None
    timezone: str = "UTC"

    @property
    def promotions(self) -> list[StageMove]:
        """The moves forward, in the order they happened."""
        return [m for m in self.moves if m.is_promotion]

    @property
    def demotions(self) -> list[StageMove]:
        """The moves back, in the order they happened."""
        return [m for m in self.moves if not m.is_promotion]


