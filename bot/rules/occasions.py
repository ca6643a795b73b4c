"""The wording, reason, priority and dedupe key of each gesture one relationship's occasion calls
for: a post, a milestone, a Friday, a tie at risk, an hourglass stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.rules.gestures import PostFact, Proposed, SuggestionFacts, team_zone
from bot.rules.milestones import Milestone, find_milestones
from bot.rules.status import RelationshipStatus
from connectors.text import one_line
from models.scoring.assess import TREND_DAYS
from models.scoring.wording import short_date
from models.timeline import SECONDS_PER_DAY

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


_MOMENTUM_FULL_SCALE = 20.0  # score points of change over the trend window that count as full momentum


@dataclass(frozen=True)
class Occasion:
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
        local = self.as_of.astimezone(team_zone(self.facts, self.status.team_id)).date()
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
        zone = team_zone(self.facts, self.status.team_id)
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
            age_days = max(0.0, (self.as_of - occasion_at).total_seconds() / SECONDS_PER_DAY)
            freshness = 0.5 ** (age_days / self.facts.policy.freshness_half_life_days)
        score = 100 * (
            _W_REVENUE * revenue + _W_MOMENTUM * momentum + _W_FRESHNESS * freshness + _W_OCCASION * _OCCASION_WEIGHT[kind]
        )
        parts = [f"revenue rank #{rank}" if rank else "revenue rank unknown"]
        if self.status.trend_direction != "steady":
            parts.append(f"score {self.status.trend_direction} ({self.status.trend:+.0f} in {TREND_DAYS:g} days)")
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
    quoted = one_line(text, limit)
    return f"\u201c{quoted}\u201d" if quoted else "(untitled)"
