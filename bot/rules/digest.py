"""What a daily digest says, as plain data (pure).

:func:`compose_digest` chooses the content from plain facts (the relationships' statuses, the
stage changes the scorer stored, the posts first seen, the open suggestions, the hourglass
figures); the digest job reads those facts from the store and ``bot/slack/blocks.py`` renders the
:class:`Digest` for Slack and for a terminal. Keeping the content separate from both lets each be
tested on its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping, Protocol, Sequence

from bot.rules.accounts import Account, single_threaded_accounts
from bot.rules.gestures import PostFact
from bot.rules.hourglass import StageCount, stall_stage
from bot.rules.milestones import find_milestones
from bot.rules.status import RelationshipStatus
from config.vocabulary import STAGE_ORDERS  # the order of the stages on each track, defined once

NOTABLE_POSTS = 5  # the digest lists at most this many posts
SUGGESTIONS_PER_OWNER = 3  # and at most this many suggestions per owner
NOTABLE_POST_MAX_AGE = timedelta(days=7)  # a post published longer ago is no longer news
POST_TITLE_FROM_TEXT = 80  # an untitled post is named by the start of its text, this many characters
# to_stage values of the scorer's ``risk`` track that mean the relationship is now at risk.
AT_RISK_STAGES = frozenset({"at_risk"})
UNASSIGNED = "Unassigned"  # whose suggestions have no owner
_UNRANKED = 10**6  # where a relationship without a revenue rank sorts


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
class NewContactItem:
    """An unlisted person first seen at a tracked customer's company (reported once, not scored)."""

    company: str
    address: str
    first_seen_at: datetime
    contact_id: int | None = None  # the stored row, marked reported once the digest is sent


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
    single_threaded: list[Account] = field(default_factory=list)  # accounts hanging by one contact
    new_contacts: list[NewContactItem] = field(default_factory=list)  # new people at tracked accounts

    @property
    def promotions(self) -> list[StageMove]:
        """The moves forward, in the order they happened."""
        return [m for m in self.moves if m.is_promotion]

    @property
    def demotions(self) -> list[StageMove]:
        """The moves back, in the order they happened."""
        return [m for m in self.moves if not m.is_promotion]


class TrackChange(Protocol):
    """What the digest needs of a stage change on any track (a stored StageChange or a test's tuple)."""

    customer_id: int
    track: str  # tie, hourglass or risk
    from_stage: str | None
    to_stage: str
    changed_at: datetime
    reason: str | None


@dataclass(frozen=True)
class OpenSuggestion:
    """An open suggestion a manager can act on, with the Slack user it is meant for (if any)."""

    owner_user: str | None
    suggestion: DigestSuggestion


def compose_digest(
    *,
    team: str,
    timezone: str,
    local_date: date,
    covered_from: datetime,
    as_of: datetime,
    statuses: Sequence[RelationshipStatus],
    changes: Iterable[TrackChange],
    posts: Iterable[PostFact],
    suggestions: Iterable[OpenSuggestion],
    owner_names: Mapping[str, str],
    hourglass: list[StageCount],
    new_contacts: Sequence[NewContactItem] = (),
) -> Digest:
    """The digest of one team for ``local_date``, over what happened in ``(covered_from, as_of]``.

    ``statuses`` are the team's relationships assessed at ``as_of``: they give the owners and the
    at-risk flags, so a flag that has since cleared is not reported as new. ``changes`` are the
    stored stage changes (any order), ``posts`` the posts first seen in the span (oldest first),
    ``suggestions`` the actionable ones, ``owner_names`` Slack user -> display name, and
    ``hourglass`` the team's figures at ``as_of``. Facts about relationships missing from
    ``statuses`` are left out.
    """
    by_id = {s.customer_id: s for s in statuses}
    in_span = sorted((c for c in changes if covered_from < c.changed_at <= as_of and c.customer_id in by_id),
                     key=lambda c: c.changed_at)
    return Digest(
        team=team,
        local_date=local_date,
        covered_from=covered_from,
        covered_to=as_of,
        moves=stage_moves(in_span, by_id, owner_names),
        newly_at_risk=newly_at_risk(in_span, by_id, owner_names),
        notable_posts=notable_posts(posts, by_id, as_of),
        suggestions_by_owner=top_suggestions(suggestions, owner_names),
        hourglass=hourglass,
        stall=stall_stage(hourglass),
        timezone=timezone,
        single_threaded=single_threaded_accounts(statuses),
        new_contacts=sorted(new_contacts, key=lambda c: (c.company.casefold(), c.first_seen_at, c.address)),
    )


def owner_display(status: RelationshipStatus, owner_names: Mapping[str, str]) -> str | None:
    """Who owns a relationship, by name when the roster gives one, else by Slack user id."""
    return status.owner_name or owner_names.get(status.owner or "") or status.owner


def heavy_first(status: RelationshipStatus) -> tuple[int, str]:
    """Sort key: the customers with the best revenue rank first (unranked last), then by name."""
    return (status.revenue_rank or _UNRANKED, status.customer)


def stage_moves(changes: Sequence[TrackChange], by_id: Mapping[int, RelationshipStatus],
                owner_names: Mapping[str, str]) -> list[StageMove]:
    """The real moves among ``changes`` (oldest first) along the staged tracks (tie, hourglass),
    in the order they happened: both ends a stage of the track, and not the same stage."""
    moves = []
    for change in changes:
        order = STAGE_ORDERS.get(change.track, ())
        if change.from_stage in order and change.to_stage in order and change.from_stage != change.to_stage:
            status = by_id[change.customer_id]
            moves.append(StageMove(status.customer, owner_display(status, owner_names), change.track,
                                   change.from_stage, change.to_stage, change.changed_at, change.reason or ""))
    return moves


def newly_at_risk(changes: Sequence[TrackChange], by_id: Mapping[int, RelationshipStatus],
                  owner_names: Mapping[str, str]) -> list[RiskItem]:
    """Relationships flagged at risk by one of ``changes`` (oldest first) and still at risk now,
    each once (since its latest flag), heaviest customers first."""
    flagged: dict[int, TrackChange] = {}
    for change in changes:
        if change.track == "risk" and change.to_stage in AT_RISK_STAGES and by_id[change.customer_id].at_risk:
            flagged[change.customer_id] = change
    ranked = sorted(flagged.items(), key=lambda item: heavy_first(by_id[item[0]]))
    return [
        RiskItem(by_id[customer_id].customer, owner_display(by_id[customer_id], owner_names), change.changed_at,
                 change.reason or "")
        for customer_id, change in ranked
    ]


def notable_posts(posts: Iterable[PostFact], by_id: Mapping[int, RelationshipStatus], as_of: datetime) -> list[NotablePost]:
    """The posts worth listing, at most :data:`NOTABLE_POSTS`: published within
    :data:`NOTABLE_POST_MAX_AGE` before ``as_of`` (older ones are not news), milestones first, then
    the heaviest customers, then the newest (ties keep the order given)."""
    ranked = []
    for post in posts:
        status = by_id.get(post.customer_id)
        if status is None or not as_of - NOTABLE_POST_MAX_AGE < post.published_at <= as_of:
            continue
        milestones = find_milestones(f"{post.title}\n{post.text}", post.published_at.date())
        title = post.title or " ".join(post.text.split())[:POST_TITLE_FROM_TEXT]
        label = (f"upcoming {milestones[0].label}" if milestones[0].upcoming else milestones[0].label) if milestones else None
        listed = NotablePost(status.customer, title, post.url, post.published_at, label)
        ranked.append(((not milestones, heavy_first(status), -post.published_at.timestamp()), listed))
    ranked.sort(key=lambda item: item[0])
    return [listed for _, listed in ranked[:NOTABLE_POSTS]]


def top_suggestions(suggestions: Iterable[OpenSuggestion],
                    owner_names: Mapping[str, str]) -> list[tuple[str, list[DigestSuggestion]]]:
    """Each owner's best :data:`SUGGESTIONS_PER_OWNER` suggestions (highest priority first, ties in
    the order given), under the owner's name; the owner with the best suggestion first, then by name."""
    by_owner: dict[str, list[DigestSuggestion]] = defaultdict(list)
    for open_suggestion in sorted(suggestions, key=lambda s: -s.suggestion.priority):
        user = open_suggestion.owner_user
        owner = owner_names.get(user or "", user or UNASSIGNED)
        if len(by_owner[owner]) < SUGGESTIONS_PER_OWNER:
            by_owner[owner].append(open_suggestion.suggestion)
    return sorted(by_owner.items(), key=lambda item: (-item[1][0].priority, item[0]))
