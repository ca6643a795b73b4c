"""Meeting prep (pure): the evening before a meeting with a customer, remind its owner who they
are about to see — their latest post or milestone, the tie's stage and trend, the last touch and
the open suggestions — so the "make someone feel special" moment comes before the meeting, not
after it. No clock and no I/O: the job hands in the facts and ``as_of``.

When: the meeting starts within :data:`PREP_AHEAD` of ``as_of``, and ``as_of`` is at or after
:data:`PREP_EVENING_HOUR` (team-local) on the day before the meeting's local date — so a meeting found
in the morning for that same afternoon is prepared for at once. Once per meeting: the dedupe key
names the customer and the occurrence (``meeting_prep:<customer>:<occurrence>``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Mapping, Sequence

from bot.rules.gestures import PostFact, Proposed
from bot.rules.milestones import find_milestones
from bot.rules.status import RelationshipStatus

KIND = "meeting_prep"
#: How far ahead a meeting is prepared for.
PREP_AHEAD = timedelta(hours=24)
#: From this team-local time on the day before a meeting, its prep is due.
PREP_EVENING_HOUR = 17
#: A meeting is about to happen: its prep outranks the gestures (priority is 0-100), but not an
#: explicit reminder the manager set.
PREP_PRIORITY = 85.0
_KEY_LIMIT = 120  # longest occurrence part of a dedupe key (a longer one is hashed)
_TITLE_LIMIT = 80


@dataclass(frozen=True)
class UpcomingFact:
    """A meeting with a customer starting soon: the event UID and occurrence key name it for good."""

    customer_id: int
    uid: str
    occurrence: str
    starts_at: datetime  # aware


@dataclass(frozen=True)
class TouchFact:
    """A customer's last logged interaction: what and when."""

    kind: str
    occurred_at: datetime


@dataclass(frozen=True)
class PrepFacts:
    """Everything the rule reads, gathered by the job."""

    statuses: Sequence[RelationshipStatus]
    meetings: Sequence[UpcomingFact]
    posts: Sequence[PostFact] = ()
    last_touches: Mapping[int, TouchFact] = field(default_factory=dict)
    open_counts: Mapping[int, int] = field(default_factory=dict)  # customer id -> open suggestions
    seen_keys: frozenset[str] = frozenset()  # dedupe keys of every suggestion ever made
    zones: Mapping[int, tzinfo] = field(default_factory=dict)  # team id -> its zone (UTC if missing)


def prep_due(starts_at: datetime, as_of: datetime, zone: tzinfo) -> bool:
    """Whether a meeting starting at ``starts_at`` is to be prepared for at ``as_of``: it starts
    within :data:`PREP_AHEAD`, and it is at least :data:`PREP_EVENING_HOUR` on the team-local day before."""
    if not as_of < starts_at <= as_of + PREP_AHEAD:
        return False
    day_before = starts_at.astimezone(zone).date() - timedelta(days=1)
    return as_of >= datetime(day_before.year, day_before.month, day_before.day, PREP_EVENING_HOUR, tzinfo=zone)


def prep_key(customer_id: int, uid: str, occurrence: str) -> str:
    """The dedupe key of one meeting's prep for one customer."""
    occurrence_key = f"{uid}@{occurrence}"
    if len(occurrence_key) > _KEY_LIMIT:
        occurrence_key = hashlib.sha256(occurrence_key.encode()).hexdigest()[:40]
    return f"{KIND}:{customer_id}:{occurrence_key}"


def prep_text(status: RelationshipStatus, starts_at: datetime, zone: tzinfo, *, post: PostFact | None,
              touch: TouchFact | None, open_count: int) -> str:
    """The suggestion's text: who, when (team-local), their latest post or milestone, the tie's
    stage and trend, the last touch and how many suggestions are open (raw text)."""
    who = f"{status.customer} ({status.company})" if status.company else status.customer
    parts = [f"Meeting {who} at {starts_at.astimezone(zone):%a %H:%M}."]
    if post is not None:
        found = find_milestones(f"{post.title}\n{post.text}", post.published_at.date())
        title = (post.title or " ".join(post.text.split()))[:_TITLE_LIMIT]
        milestone = f" ({'upcoming ' if found[0].upcoming else ''}{found[0].label})" if found else ""
        parts.append(f"Latest post{milestone}: \u201c{title}\u201d ({_day(post.published_at, zone)}).")
    else:
        parts.append("No recent post.")
    parts.append(f"Tie: {status.stage.replace('_', ' ')}, {status.trend_direction}; hourglass {status.hourglass}.")
    parts.append(f"Last touch: {touch.kind} on {_day(touch.occurred_at, zone)}." if touch else "No touch logged yet.")
    parts.append(f"{open_count} open suggestion{'' if open_count == 1 else 's'}.")
    return " ".join(parts)


def meeting_prep(facts: PrepFacts, as_of: datetime) -> list[Proposed]:
    """One ``meeting_prep`` proposal per meeting due (:func:`prep_due`) and not proposed before,
    for the customer's owner, earliest meeting first."""
    by_id = {s.customer_id: s for s in facts.statuses}
    latest: dict[int, PostFact] = {}
    for post in facts.posts:
        if post.published_at <= as_of and (post.customer_id not in latest
                                            or post.published_at > latest[post.customer_id].published_at):
            latest[post.customer_id] = post
    proposals: list[Proposed] = []
    seen = set(facts.seen_keys)
    for meeting in sorted(facts.meetings, key=lambda m: (m.starts_at, m.customer_id, m.uid, m.occurrence)):
        status = by_id.get(meeting.customer_id)
        if status is None:
            continue
        zone = facts.zones.get(status.team_id) or timezone.utc
        key = prep_key(meeting.customer_id, meeting.uid, meeting.occurrence)
        if key in seen or not prep_due(meeting.starts_at, as_of, zone):
            continue
        seen.add(key)
        text = prep_text(status, meeting.starts_at, zone, post=latest.get(meeting.customer_id),
                         touch=facts.last_touches.get(meeting.customer_id), open_count=facts.open_counts.get(meeting.customer_id, 0))
        reason = f"a meeting with them starts {meeting.starts_at.astimezone(zone):%a %H:%M} (team time)"
        proposals.append(Proposed(kind=KIND, customer_id=status.customer_id, customer=status.customer, team_id=status.team_id,
                                  owner=status.owner, text=text, post_url=None, post_id=None, reason=reason,
                                  priority=PREP_PRIORITY, dedupe_key=key))
    return proposals


def _day(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%b} {local.day}"
