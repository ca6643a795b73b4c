"""The wording, reason, priority and dedupe key of each gesture one relationship's occasion calls
for: a post, a milestone, a Friday, a tie at risk, an hourglass stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Sequence

from bot.rules.drafts import (
    DraftContext,
    check_in_template,
    milestone_phrase,
    milestone_template,
    render,
    share_template,
    topic_word,
)
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
    "good_luck": 0.9,
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

    def context(self, post: PostFact | None = None, milestone: Milestone | None = None) -> DraftContext:
        """What a draft about this relationship (and this post or milestone) may name."""
        status, purchase = self.status, self.facts.purchases.get(self.status.customer_id)
        return DraftContext(
            first=self.first_name, name=status.customer, company=self.company,
            title=post.title or post.text if post else "",
            topic=topic_word(post.title, post.text, ignore=f"{status.customer} {self.company}") if post else "",
            milestone=milestone_phrase(milestone, f"{post.title}\n{post.text}" if post else "") if milestone else "",
            bought=(purchase.what or "purchase") if purchase else "", bought_on=self._day(purchase.bought_at) if purchase else "",
            who=f"{status.customer} ({self.company})" if self.company else status.customer,
        )

    def draft(self, template: str, context: DraftContext) -> str:
        """The filled draft, with the team's own templates when it has any."""
        return render(template, context, self.facts.policy.templates)

    def for_post(self, post: PostFact) -> Proposed:
        """Congratulate on the post's first milestone, wish luck with one still to come (and ask how
        it went once its day has passed), or else share or comment on it; keyed by the post."""
        zone = team_zone(self.facts, self.status.team_id)
        milestones = find_milestones(f"{post.title}\n{post.text}", post.published_at.astimezone(zone).date())
        about = _quote(post.title or post.text)
        posted = f"{self.status.customer} posted {about} on {self._day(post.published_at)}"
        name = self.status.customer
        if not milestones:
            draft = self.draft(share_template(self.status.hourglass), self.context(post))
            text = f"Share or comment on {name}'s post {about}. Draft: \u201c{draft}\u201d"
            return self._proposed("share", text, posted, f"post:{post.post_id}", post.published_at, post)
        milestone = milestones[0]
        context = self.context(post, milestone)
        evidence = f"{posted}: {milestone.label} (\u201c{milestone.evidence}\u201d)"
        if milestone.upcoming and milestone.on is not None and self.as_of.astimezone(zone).date() > milestone.on:
            text = (f"Ask {name} how the {context.milestone} went (it was on {milestone.on.strftime('%d %b')}). "
                    f"Draft: \u201c{self.draft('after_event', context)}\u201d")
            return self._proposed("congratulate", text, f"{evidence}, now past", f"post:{post.post_id}:after",
                                  post.published_at, post)
        if milestone.upcoming:
            day = f" on {milestone.on.strftime('%d %b')}" if milestone.on else ""
            text = (f"Wish {name} luck with the upcoming {context.milestone}{day}. "
                    f"Draft: \u201c{self.draft(milestone_template(milestone), context)}\u201d")
            return self._proposed("good_luck", text, f"{evidence}, still to come", f"post:{post.post_id}",
                                  post.published_at, post)
        text = (f"Congratulate {name} on the {context.milestone}. "
                f"Draft: \u201c{self.draft(milestone_template(milestone), context)}\u201d")
        return self._proposed("congratulate", text, evidence, f"post:{post.post_id}", post.published_at, post)

    def follow_friday(self, shares: int) -> Proposed:
        """The #FollowFriday shout-out, keyed by the team-local ISO week so it comes at most once a week."""
        local = self.as_of.astimezone(team_zone(self.facts, self.status.team_id)).date()
        year, week, _ = local.isocalendar()
        text = (f"Give {self.status.customer} a #FollowFriday shout-out. "
                f"Draft: \u201c{self.draft('follow_friday', self.context())}\u201d")
        occasion = f"the team shared {shares} of their post{'s' if shares != 1 else ''} this week"
        return self._proposed("follow_friday", text, occasion, f"follow_friday:{self.status.customer_id}:{year}-W{week:02d}", self.as_of)

    def check_in(self, posts: Sequence[PostFact] = ()) -> Proposed:
        """A personal check-in for an at-risk tie, keyed by the episode (the last contact before it
        broke); it opens with their latest milestone, or else their latest post, when ``posts``
        (theirs, any order) has one."""
        last = self.status.last_interaction_at
        post, milestone = _latest_news(posts, team_zone(self.facts, self.status.team_id))
        draft = self.draft(check_in_template(milestone, post is not None), self.context(post, milestone))
        text = (f"Check in with {self.status.customer} personally: nothing to sell, just to show you care. "
                f"Draft: \u201c{draft}\u201d")
        episode = last.date().isoformat() if last else "never"
        # the scorer's own reason says what broke; without one, the last contact is the best clue
        fallback = f"the usual rhythm of contact has broken (last contact {'on ' + self._day(last) if last else 'never'})"
        occasion = f"at risk: {self.status.risk_reason or fallback}"
        if post is not None:
            news = f"{milestone.label} in " if milestone else ""
            occasion += f"; latest news: {news}{_quote(post.title or post.text)} ({self._day(post.published_at)})"
        return self._proposed("check_in", text, occasion, f"check_in:{self.status.customer_id}:{episode}", self.as_of,
                              post)

    def for_stage(self, kind: str) -> Proposed:
        """The stage's own gesture (invite to try, results review, referral ask), once per stay in
        the stage; a results review and a referral ask name what they bought and when."""
        name, company = self.status.customer, self.company or "their company"
        context = self.context()
        bought = f" of their purchase on {context.bought_on} (\u201c{context.bought}\u201d)" if context.bought else ""
        text = {
            "invite_trial": f"{name} trusts you: if it solves something they have told you about, offer an easy way "
            f"to try it (a pilot or a trial), with no pressure.",
            "results_review": f"Offer {name} a short results review{bought}: what has it delivered so far, "
            f"and what would make it better?",
            "referral_ask": f"Ask {name} for a referral: who else at {company} or in their network would benefit "
            f"the way they have?",
        }[kind] + f" Draft: \u201c{self.draft(kind, context)}\u201d"
        since = self.facts.hourglass_since.get(self.status.customer_id)
        occasion = f"hourglass stage {self.status.hourglass}" + (f" since {since.date().isoformat()}" if since else "")
        if context.bought:
            occasion += f"; bought on {context.bought_on}: {context.bought}"
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


def _latest_news(posts: Sequence[PostFact], zone: tzinfo) -> tuple[PostFact | None, Milestone | None]:
    """Their newest post with a milestone in it (and that milestone), else their newest post."""
    newest_first = sorted(posts, key=lambda p: (p.published_at, p.post_id), reverse=True)
    for post in newest_first:
        found = find_milestones(f"{post.title}\n{post.text}", post.published_at.astimezone(zone).date())
        if found:
            return post, found[0]
    return (newest_first[0], None) if newest_first else (None, None)


def _quote(text: str, limit: int = 80) -> str:
    """A post's title (or text) in quotation marks, on one line and shortened."""
    quoted = one_line(text, limit)
    return f"\u201c{quoted}\u201d" if quoted else "(untitled)"
