"""What a suggested gesture is: its kinds and the hourglass stages each may go to, the facts the
rules read, and the proposal they make (plain data, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.rules.status import RelationshipStatus
from config.settings import DEFAULTS
from config.vocabulary import HOURGLASS_STAGES

# Suggestion kinds and the hourglass stages each may be proposed in. Anything that asks the
# customer for something (an offer, their time for a review, a referral) waits for trust; the
# referral ask belongs to ``repeat`` alone.
ANY_STAGE = frozenset(HOURGLASS_STAGES)


#: The gesture each hourglass stage calls for by itself, and the only stage it may go to.
STAGE_GESTURES: dict[str, str] = {"trust": "invite_trial", "buy": "results_review", "repeat": "referral_ask"}
STAGE_GATES: dict[str, frozenset[str]] = {
    "share": ANY_STAGE,
    "congratulate": ANY_STAGE,
    "good_luck": ANY_STAGE,
    "follow_friday": ANY_STAGE,
    "check_in": ANY_STAGE,
    **{kind: frozenset({stage}) for stage, kind in STAGE_GESTURES.items()},
}


SUGGESTION_KINDS = tuple(STAGE_GATES)

#: How each kind of gesture reads for people, in Slack and in the terminal alike.
KIND_LABELS: dict[str, str] = {
    "share": "Share or comment",
    "congratulate": "Congratulate",
    "good_luck": "Wish luck",
    "follow_friday": "#FollowFriday",
    "check_in": "Check in",
    "invite_trial": "Invite to try",
    "results_review": "Results review",
    "referral_ask": "Referral ask",
}


# The interaction to log when the manager marks a suggestion of this kind as done.
INTERACTION_KIND_FOR: dict[str, str] = {
    "share": "share",
    "congratulate": "comment",
    "good_luck": "message",
    "follow_friday": "mention",
    "check_in": "message",
    "invite_trial": "message",
    "results_review": "meeting",
    "referral_ask": "message",
}


@dataclass(frozen=True)
class SuggestionPolicy:
    """The guards' limits: the cap and cool-down default to the settings' defaults."""

    daily_cap: int = DEFAULTS.suggest_daily_cap  # new suggestions per manager per (team-local) day
    cooldown_days: float = DEFAULTS.suggest_cooldown_days  # no two gestures to one customer within this many days
    post_window_days: float = 7.0  # a post older than this is no longer news
    freshness_half_life_days: float = 2.0
    # a check-in mentions their latest milestone or post from this far back (a quiet tie is often
    # quiet for weeks; the news it can open with may be older than a week)
    check_in_lookback_days: float = 45.0
    # template name -> the team's own draft (``[suggest.templates]``, validated by config.templates)
    templates: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PostFact:
    """A customer's post, as the rules need it."""

    post_id: int
    customer_id: int
    url: str | None
    title: str
    text: str
    published_at: datetime


@dataclass(frozen=True)
class PurchaseFact:
    """A customer's latest purchase: what they bought (the interaction's note) and when."""

    customer_id: int
    what: str
    bought_at: datetime


@dataclass(frozen=True)
class PastSuggestion:
    """A suggestion made before, whatever became of it."""

    customer_id: int
    owner: str | None
    dedupe_key: str
    status: str  # open, sent, done, snoozed, dismissed
    suggested_at: datetime
    acted_at: datetime | None = None
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class SuggestionFacts:
    """Everything the rules look at, gathered by the job."""

    statuses: Sequence[RelationshipStatus]
    posts: Sequence[PostFact] = ()
    shared_this_week: Mapping[int, int] = field(default_factory=dict)  # customer id -> shares this team-local week
    past: Sequence[PastSuggestion] = ()
    customer_snoozed_until: Mapping[int, datetime] = field(default_factory=dict)
    hourglass_since: Mapping[int, datetime] = field(default_factory=dict)  # when each entered its hourglass stage
    team_timezones: Mapping[int, str] = field(default_factory=dict)  # team id -> IANA zone
    companies: Mapping[int, str] = field(default_factory=dict)  # customer id -> company, when not on the status
    purchases: Mapping[int, PurchaseFact] = field(default_factory=dict)  # customer id -> their latest purchase
    policy: SuggestionPolicy = field(default_factory=SuggestionPolicy)


@dataclass(frozen=True)
class Proposed:
    """One gesture the rules propose; ``text`` and ``reason`` are raw text (escape before display)."""

    kind: str
    customer_id: int
    customer: str
    team_id: int
    owner: str | None
    text: str
    post_url: str | None
    post_id: int | None
    reason: str
    priority: float
    dedupe_key: str

    def as_json(self) -> dict[str, Any]:
        """The ``strongtie suggest --json`` record."""
        return suggestion_record(kind=self.kind, customer=self.customer, owner=self.owner, text=self.text,
                                 post_url=self.post_url, reason=self.reason, priority=self.priority)


def suggestion_record(
    *, kind: str, customer: str, owner: str | None, text: str, post_url: str | None, reason: str, priority: float
) -> dict[str, Any]:
    """One suggestion as ``strongtie suggest --json`` prints it (the fields the command-line contract names),
    whether it is a fresh proposal or a stored suggestion: one place decides the record's shape."""
    return {"kind": kind, "customer": customer, "owner": owner, "text": text, "post_url": post_url,
            "reason": reason, "priority": priority}


def stage_allows(kind: str, hourglass: str) -> bool:
    """Whether a suggestion of ``kind`` may go to someone in this hourglass stage."""
    return hourglass in STAGE_GATES.get(kind, frozenset())


def rank_key(p: Proposed) -> tuple[float, int, str]:
    """Sort key putting the best proposal first (highest priority; ties broken stably)."""
    return (-p.priority, p.customer_id, p.dedupe_key)


def team_zone(facts: SuggestionFacts, team_id: int | None) -> ZoneInfo | timezone:
    """The team's time zone (UTC when the facts do not name one): gestures follow the team's calendar."""
    name = facts.team_timezones.get(team_id) if team_id is not None else None
    return ZoneInfo(name) if name else timezone.utc


def kind_label(kind: str) -> str:
    """How a suggestion kind reads for people ("Share or comment" for ``share``), so Slack messages
    and the terminal name it alike; an unknown kind reads as its words."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())
