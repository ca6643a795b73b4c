"""The suggestion rules (pure): which small, genuine gesture each account manager should make next.

Everything here is a function of plain facts and a time ``as_of``: the relationship statuses the
scorer computed, the customers' recent posts, what the team shared this week, and every suggestion
made before (with its status). The job in ``bot/jobs/suggest.py`` gathers those facts and stores
what :func:`suggest` proposes.

Rules (issue 6):
- a new post -> share or comment on it, with a short draft; a milestone in it -> congratulate;
- Fridays (team-local) -> a #FollowFriday shout-out for customers whose posts the team shared;
- at risk -> a personal check-in that asks for nothing;
- ``trust`` -> the first moment any offer is allowed (an invitation to try); ``buy`` -> a results
  review; ``repeat`` -> a referral ask, and never earlier.
Guards: one suggestion per post or occasion (its ``dedupe_key``), nothing ever re-proposed once
made (so a dismissed one never comes back), snoozes, a cool-down per customer and a daily cap per
manager. Heavy users first: priority weighs revenue rank, momentum and freshness.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.rules.milestones import Milestone, find_milestones
from bot.rules.status import RelationshipStatus
from config.settings import DEFAULTS
from config.vocabulary import HOURGLASS_STAGES
from connectors.text import truncate
from models.scoring.model import short_date

# Suggestion kinds and the hourglass stages each may be proposed in. Anything that asks the
# customer for something (an offer, their time for a review, a referral) waits for trust; the
# referral ask belongs to ``repeat`` alone.
ANY_STAGE = frozenset(HOURGLASS_STAGES)
STAGE_GATES: dict[str, frozenset[str]] = {
    "share": ANY_STAGE,
    "congratulate": ANY_STAGE,
    "follow_friday": ANY_STAGE,
    "check_in": ANY_STAGE,
    "invite_trial": frozenset({"trust"}),
    "results_review": frozenset({"buy"}),
    "referral_ask": frozenset({"repeat"}),
}
SUGGESTION_KINDS = tuple(STAGE_GATES)

# The interaction to log when the manager marks a suggestion of this kind as done.
INTERACTION_KIND_FOR: dict[str, str] = {
    "share": "share",
    "congratulate": "comment",
    "follow_friday": "mention",
    "check_in": "message",
    "invite_trial": "message",
    "results_review": "meeting",
    "referral_ask": "message",
}

# How much the occasion itself matters, 0-1: a tie going quiet is the second most crucial moment
# of a relationship, a milestone comes next; a routine post matters least.
_OCCASION_WEIGHT: dict[str, float] = {
    "check_in": 1.0,
    "congratulate": 0.9,
    "results_review": 0.7,
    "referral_ask": 0.6,
    "follow_friday": 0.6,
    "invite_trial": 0.5,
    "share": 0.4,
}
# Weights of the priority (0-100): heavy users first, then movement, freshness and the occasion.
_W_REVENUE, _W_MOMENTUM, _W_FRESHNESS, _W_OCCASION = 0.40, 0.20, 0.20, 0.20
_MOMENTUM_FULL_SCALE = 20.0  # score points of change over 14 days that count as full momentum

# Statuses of a past suggestion that mean a gesture was (or is about to be) made.
_GESTURE_STATUSES = frozenset({"open", "sent", "done", "snoozed"})


@dataclass(frozen=True)
class SuggestionPolicy:
    """The guards' limits; the defaults follow the issue."""

    daily_cap: int = DEFAULTS.suggest_daily_cap  # new suggestions per manager per (team-local) day
    cooldown_days: float = DEFAULTS.suggest_cooldown_days  # no two gestures to one customer within this many days
    post_window_days: float = 7.0  # a post older than this is no longer news
    freshness_half_life_days: float = 2.0


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
    """One suggestion as ``strongtie suggest --json`` prints it (the fields of shared/design.md),
    whether it is a fresh proposal or a stored suggestion: one place decides the record's shape."""
    return {"kind": kind, "customer": customer, "owner": owner, "text": text, "post_url": post_url,
            "reason": reason, "priority": priority}


def stage_allows(kind: str, hourglass: str) -> bool:
    """Whether a suggestion of ``kind`` may go to someone in this hourglass stage."""
    return hourglass in STAGE_GATES.get(kind, frozenset())


def suggest(facts: SuggestionFacts, as_of: datetime) -> list[Proposed]:
    """The new suggestions to make at ``as_of``, best first, after every guard.

    Pure and deterministic: the same facts and time always give the same list, so a re-run after
    the results were stored proposes nothing new (their dedupe keys are then in ``facts.past``).
    """
    policy = facts.policy
    hourglass = {s.customer_id: s.hourglass for s in facts.statuses}
    candidates = [c for c in _candidates(facts, as_of) if stage_allows(c.kind, hourglass[c.customer_id])]
    used_keys = {p.dedupe_key for p in facts.past}
    blocked = _blocked_customers(facts, as_of)
    fresh = [c for c in candidates if c.dedupe_key not in used_keys and c.customer_id not in blocked]

    best_per_customer: dict[int, Proposed] = {}
    for candidate in sorted(fresh, key=rank_key):
        best_per_customer.setdefault(candidate.customer_id, candidate)

    made_today = _made_today(facts, as_of)
    chosen: list[Proposed] = []
    taken: Counter[str | None] = Counter()
    for candidate in sorted(best_per_customer.values(), key=rank_key):
        if made_today[candidate.owner] + taken[candidate.owner] >= policy.daily_cap:
            continue
        taken[candidate.owner] += 1
        chosen.append(candidate)
    return chosen


def rank_key(p: Proposed) -> tuple[float, int, str]:
    """Sort key putting the best proposal first (highest priority; ties broken stably)."""
    return (-p.priority, p.customer_id, p.dedupe_key)


# --- guards -------------------------------------------------------------------------------------


def _blocked_customers(facts: SuggestionFacts, as_of: datetime) -> set[int]:
    """Customers who get nothing new now: snoozed as a whole (``/tie snooze``), or given a gesture
    within the cool-down.

    Snoozing one suggestion (its Snooze button) hides that suggestion alone, which its dedupe key
    already keeps from being proposed again; it does not silence the customer. A gesture is a
    suggestion made (whatever became of it but a dismissal) or one marked done; the snooze click
    itself is not a gesture, so only a ``done`` suggestion's ``acted_at`` starts a cool-down.
    """
    blocked = {cid for cid, until in facts.customer_snoozed_until.items() if until and until > as_of}
    cooldown_start = as_of - timedelta(days=facts.policy.cooldown_days)
    for past in facts.past:
        if past.status not in _GESTURE_STATUSES:
            continue
        moments = [past.suggested_at] + ([past.acted_at] if past.status == "done" and past.acted_at else [])
        if any(cooldown_start < moment <= as_of for moment in moments):
            blocked.add(past.customer_id)
    return blocked


def _made_today(facts: SuggestionFacts, as_of: datetime) -> Counter[str | None]:
    """Suggestions already made per owner on the owner's team-local calendar day of ``as_of``."""
    team_of_owner = {s.owner: s.team_id for s in facts.statuses}
    counts: Counter[str | None] = Counter()
    for past in facts.past:
        zone = _zone(facts, team_of_owner.get(past.owner))
        if past.suggested_at <= as_of and past.suggested_at.astimezone(zone).date() == as_of.astimezone(zone).date():
            counts[past.owner] += 1
    return counts


def _zone(facts: SuggestionFacts, team_id: int | None) -> ZoneInfo | timezone:
    name = facts.team_timezones.get(team_id) if team_id is not None else None
    return ZoneInfo(name) if name else timezone.utc


# --- candidates ---------------------------------------------------------------------------------


def _candidates(facts: SuggestionFacts, as_of: datetime) -> list[Proposed]:
    by_customer = {s.customer_id: s for s in facts.statuses}
    top_rank = max([20] + [s.revenue_rank or 0 for s in facts.statuses])
    found: list[Proposed] = []
    window_start = as_of - timedelta(days=facts.policy.post_window_days)
    posts_by_customer: dict[int, list[PostFact]] = defaultdict(list)
    for post in facts.posts:
        if post.customer_id in by_customer and window_start < post.published_at <= as_of:
            posts_by_customer[post.customer_id].append(post)

    for status in facts.statuses:
        company = status.company or facts.companies.get(status.customer_id, "")
        occasion = _Occasion(status, company, facts, as_of, top_rank)
        for post in posts_by_customer[status.customer_id]:
            found.append(occasion.for_post(post))
        if _is_friday(facts, status, as_of) and facts.shared_this_week.get(status.customer_id, 0) > 0:
            found.append(occasion.follow_friday(facts.shared_this_week[status.customer_id]))
        if status.at_risk:
            found.append(occasion.check_in())
        stage_kind = {"trust": "invite_trial", "buy": "results_review", "repeat": "referral_ask"}.get(status.hourglass)
        if stage_kind is not None:
            found.append(occasion.for_stage(stage_kind))
    return found


def _is_friday(facts: SuggestionFacts, status: RelationshipStatus, as_of: datetime) -> bool:
    return as_of.astimezone(_zone(facts, status.team_id)).weekday() == 4


@dataclass(frozen=True)
class _Occasion:
    """Builds the proposals for one relationship: wording, reason, priority and dedupe key."""

    status: RelationshipStatus
    company: str
    facts: SuggestionFacts
    as_of: datetime
    top_rank: int

    @property
    def first_name(self) -> str:
        """The name a draft greets them by (the first word of their name)."""
        return self.status.customer.split()[0] if self.status.customer.split() else self.status.customer

    def for_post(self, post: PostFact) -> Proposed:
        """Congratulate on the post's first milestone, or else share or comment on it; keyed by the post."""
        milestones = find_milestones(f"{post.title}\n{post.text}")
        about = _quote(post.title or post.text)
        posted = f"{self.status.customer} posted {about} on {self._day(post.published_at)}"
        if milestones:
            milestone = milestones[0]
            text = (
                f"Congratulate {self.status.customer} on the {milestone.label}. "
                f"Draft: \u201c{_congratulation(milestone, self.first_name)}\u201d"
            )
            occasion = f"{posted}: {milestone.label} (\u201c{milestone.evidence}\u201d)"
            return self._proposed("congratulate", text, occasion, f"post:{post.post_id}", post.published_at, post)
        text = (
            f"Share or comment on {self.status.customer}'s post {about}. "
            f"Draft: \u201cThanks for this, {self.first_name}. Worth a read for anyone in our line of work.\u201d"
        )
        return self._proposed("share", text, posted, f"post:{post.post_id}", post.published_at, post)

    def follow_friday(self, shares: int) -> Proposed:
        """The #FollowFriday shout-out, keyed by the team-local ISO week so it comes at most once a week."""
        local = self.as_of.astimezone(_zone(self.facts, self.status.team_id)).date()
        year, week, _ = local.isocalendar()
        who = f"{self.status.customer} ({self.company})" if self.company else self.status.customer
        text = (
            f"Give {self.status.customer} a #FollowFriday shout-out. "
            f"Draft: \u201c#FollowFriday {who}: always worth reading. Thanks for sharing what you learn, {self.first_name}!\u201d"
        )
        occasion = f"the team shared {shares} of their post{'s' if shares != 1 else ''} this week"
        return self._proposed("follow_friday", text, occasion, f"follow_friday:{self.status.customer_id}:{year}-W{week:02d}", self.as_of)

    def check_in(self) -> Proposed:
        """A personal check-in for an at-risk tie, keyed by the episode (the last contact before it broke)."""
        last = self.status.last_interaction_at
        at = f" at {self.company}" if self.company else ""
        text = (
            f"Check in with {self.status.customer} personally: nothing to sell, just to show you care. "
            f"Draft: \u201cHi {self.first_name}, you came to mind today. How are things going{at}?\u201d"
        )
        episode = last.date().isoformat() if last else "never"
        # the scorer's own reason says what broke; without one, the last contact is the best clue
        fallback = f"the usual rhythm of contact has broken (last contact {'on ' + self._day(last) if last else 'never'})"
        occasion = f"at risk: {self.status.risk_reason or fallback}"
        return self._proposed("check_in", text, occasion, f"check_in:{self.status.customer_id}:{episode}", self.as_of)

    def for_stage(self, kind: str) -> Proposed:
        """The stage's own gesture (invite to try, results review, referral ask), once per stay in the stage."""
        name, company = self.status.customer, self.company or "their company"
        text = {
            "invite_trial": f"{name} trusts you: if it solves something they have told you about, offer an easy way "
            f"to try it (a pilot or a trial), with no pressure.",
            "results_review": f"Offer {name} a short results review: what has the purchase delivered so far, "
            f"and what would make it better?",
            "referral_ask": f"Ask {name} for a referral: who else at {company} or in their network would benefit "
            f"the way they have?",
        }[kind]
        since = self.facts.hourglass_since.get(self.status.customer_id)
        occasion = f"hourglass stage {self.status.hourglass}" + (f" since {since.date().isoformat()}" if since else "")
        episode = since.date().isoformat() if since else "first"
        return self._proposed(kind, text, occasion, f"{kind}:{self.status.customer_id}:{episode}", since)

    def _day(self, moment: datetime) -> str:
        """An absolute team-local date ('21 Nov'): the text is stored and read days later, when a
        relative '20 hours ago' would be wrong."""
        zone = _zone(self.facts, self.status.team_id)
        return short_date(moment.astimezone(zone), self.as_of.astimezone(zone))

    def _proposed(
        self, kind: str, text: str, occasion: str, dedupe_key: str, occasion_at: datetime | None,
        post: PostFact | None = None,
    ) -> Proposed:
        priority, why = self._priority(kind, occasion_at)
        return Proposed(
            kind=kind,
            customer_id=self.status.customer_id,
            customer=self.status.customer,
            team_id=self.status.team_id,
            owner=self.status.owner,
            text=text,
            post_url=post.url if post else None,
            post_id=post.post_id if post else None,
            reason=f"{occasion}; {why}",
            priority=priority,
            dedupe_key=dedupe_key,
        )

    def _priority(self, kind: str, occasion_at: datetime | None) -> tuple[float, str]:
        rank = self.status.revenue_rank
        revenue = 1.0 - (rank - 1) / self.top_rank if rank else 0.0
        momentum = min(1.0, abs(self.status.trend) / _MOMENTUM_FULL_SCALE)
        if occasion_at is None:
            freshness = 0.5
        else:
            age_days = max(0.0, (self.as_of - occasion_at).total_seconds() / 86400)
            freshness = 0.5 ** (age_days / self.facts.policy.freshness_half_life_days)
        score = 100 * (
            _W_REVENUE * revenue + _W_MOMENTUM * momentum + _W_FRESHNESS * freshness + _W_OCCASION * _OCCASION_WEIGHT[kind]
        )
        parts = [f"revenue rank #{rank}" if rank else "revenue rank unknown"]
        if momentum >= 0.25:
            parts.append(f"score {'rising' if self.status.trend > 0 else 'falling'} ({self.status.trend:+.0f} in 14 days)")
        return round(score, 1), ", ".join(parts)


_CONGRATULATIONS: dict[str, str] = {
    "funding": "Congratulations on the new funding, {first}! A well-earned vote of confidence.",
    "launch": "Congratulations on the launch, {first}! It looks great; rooting for it.",
    "new_role": "Congratulations on the new role, {first}! They are lucky to have you.",
    "award": "Congratulations on the award, {first}! Well deserved.",
    "anniversary": "Happy anniversary, {first}! Quite a milestone.",
    "hiring": "Great to see the team growing, {first}! Happy to pass the openings around.",
    "talk": "Congratulations on the talk, {first}! Passing it along to people who should hear it.",
    "publication": "Congratulations on getting this published, {first}! Passing it along.",
}


def _congratulation(milestone: Milestone, first_name: str) -> str:
    return _CONGRATULATIONS[milestone.kind].format(first=first_name)


def _quote(text: str, limit: int = 80) -> str:
    """A post's title (or text) in quotation marks, on one line and shortened."""
    words = " ".join(text.split())
    return f"\u201c{truncate(words, limit)}\u201d" if words else "(untitled)"
