"""The suggestion rules (pure): which small, genuine gesture each account manager should make next.

Everything here is a function of plain facts and a time ``as_of``: the relationship statuses the
scorer computed, the customers' recent posts, what the team shared this week, and every suggestion
made before (with its status). The job in ``bot/jobs/suggest.py`` gathers those facts and stores
what :func:`suggest` proposes.

Rules:
- a new post -> share or comment on it, with a short draft; a milestone in it -> congratulate, or
  wish luck when it is still to come (and ask how it went once its day has passed);
- Fridays (team-local) -> a #FollowFriday shout-out for customers whose posts the team shared;
- at risk -> a personal check-in that asks for nothing, opening with their latest milestone or post;
- ``trust`` -> the first moment any offer is allowed (an invitation to try); ``buy`` -> a results
  review; ``repeat`` -> a referral ask, and never earlier.
Guards: one suggestion per post or occasion (its ``dedupe_key``), nothing ever re-proposed once
made (so a dismissed one never comes back), snoozes, a cool-down per customer and a daily cap per
manager. Heavy users first: priority weighs revenue rank, momentum and freshness.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from bot.rules.gestures import (
    STAGE_GESTURES,
    PostFact,
    Proposed,
    SuggestionFacts,
    rank_key,
    stage_allows,
    team_zone,
)
from bot.rules.occasions import Occasion
from bot.rules.status import RelationshipStatus

# Statuses of a past suggestion that mean a gesture was (or is about to be) made.
_GESTURE_STATUSES = frozenset({"open", "sent", "done", "snoozed"})


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
        zone = team_zone(facts, team_of_owner.get(past.owner))
        if past.suggested_at <= as_of and past.suggested_at.astimezone(zone).date() == as_of.astimezone(zone).date():
            counts[past.owner] += 1
    return counts


# --- candidates ---------------------------------------------------------------------------------


def _candidates(facts: SuggestionFacts, as_of: datetime) -> list[Proposed]:
    by_customer = {s.customer_id: s for s in facts.statuses}
    top_rank = max([20] + [s.revenue_rank or 0 for s in facts.statuses])
    found: list[Proposed] = []
    window_start = as_of - timedelta(days=facts.policy.post_window_days)
    lookback_start = as_of - timedelta(days=facts.policy.check_in_lookback_days)
    posts_by_customer: dict[int, list[PostFact]] = defaultdict(list)  # news: in the post window
    lookback_by_customer: dict[int, list[PostFact]] = defaultdict(list)  # what a check-in may mention
    for post in facts.posts:
        if post.customer_id in by_customer and lookback_start < post.published_at <= as_of:
            lookback_by_customer[post.customer_id].append(post)
            if window_start < post.published_at:
                posts_by_customer[post.customer_id].append(post)

    for status in facts.statuses:
        company = status.company or facts.companies.get(status.customer_id, "")
        occasion = Occasion(status, company, facts, as_of, top_rank)
        for post in posts_by_customer[status.customer_id]:
            found.append(occasion.for_post(post))
        if _is_friday(facts, status, as_of) and facts.shared_this_week.get(status.customer_id, 0) > 0:
            found.append(occasion.follow_friday(facts.shared_this_week[status.customer_id]))
        if status.at_risk:
            found.append(occasion.check_in(lookback_by_customer[status.customer_id]))
        stage_kind = STAGE_GESTURES.get(status.hourglass)
        if stage_kind is not None:
            found.append(occasion.for_stage(stage_kind))
    return found


def _is_friday(facts: SuggestionFacts, status: RelationshipStatus, as_of: datetime) -> bool:
    return as_of.astimezone(team_zone(facts, status.team_id)).weekday() == 4


