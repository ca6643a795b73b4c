"""Keep-in-touch cadence (pure): when a relationship with a cadence is due for contact.

A customer may carry a keep-in-touch interval (``cadence_days`` in the roster, or ``/tie cadence``).
When more than that many days have passed since the last two-way contact (or there never was one),
the relationship is *due*: App Home says so, and the suggestion rules treat it like a tie whose
rhythm broke, so the usual check-in (with its guards: cool-down, daily cap, snoozes) is proposed.

The tie-strength model also takes the cadence as the relationship's rhythm for its at-risk flag
(``assess(..., cadence_days=...)``, see docs/scoring.md); it never changes a score or stage.
Without a cadence nothing here applies.

Two-way contact means what the model's replay counts (:func:`last_two_way`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping, Sequence

from bot.rules.status import RelationshipStatus
from config.vocabulary import NOT_CONTACT
from models.scoring.kinds import facts_of


@dataclass(frozen=True)
class CadenceState:
    """One relationship's cadence at a moment: its interval, its last two-way contact, whether due."""

    customer_id: int
    cadence_days: int
    last_two_way: datetime | None
    due: bool

    @property
    def due_since(self) -> datetime | None:
        """When the interval ran out (None when there never was two-way contact)."""
        return self.last_two_way + timedelta(days=self.cadence_days) if self.last_two_way else None


def last_two_way(touches: Iterable[tuple[datetime, str, str]], reply_window_days: float) -> datetime | None:
    """The latest two-way contact among ``(at, kind, direction)`` touches (any order), as the
    model's replay decides it: a kind that is two-way by itself (a meeting, a call…), or a
    conversational one (email, message) that is mutual or answers the other side's within
    ``reply_window_days``."""
    window = timedelta(days=reply_window_days)
    latest: datetime | None = None
    last_in: datetime | None = None
    last_out: datetime | None = None
    for at, kind, direction in sorted(touches, key=lambda t: t[0]):
        if kind in NOT_CONTACT:
            continue
        facts = facts_of(kind, direction, 0.0)
        two_way = facts.two_way
        if facts.conversational:
            two_way = (direction == "mutual"
                       or (direction == "inbound" and last_out is not None and at - last_out <= window)
                       or (direction == "outbound" and last_in is not None and at - last_in <= window))
            if direction != "outbound":
                last_in = at
            if direction != "inbound":
                last_out = at
        if two_way:
            latest = at
    return latest


def cadence_state(customer_id: int, cadence_days: int, touches: Sequence[tuple[datetime, str, str]],
                  as_of: datetime, reply_window_days: float) -> CadenceState:
    """The cadence of one relationship at ``as_of`` (touches after ``as_of`` are not counted)."""
    last = last_two_way([t for t in touches if t[0] <= as_of], reply_window_days)
    due = last is None or as_of - last > timedelta(days=cadence_days)
    return CadenceState(customer_id, cadence_days, last, due)


def cadence_reason(state: CadenceState, day: str | None) -> str:
    """Why a relationship is due, in words (``day``: the last two-way contact as the reader's date)."""
    since = f"last two-way contact {day}" if day else f"no two-way contact in the last {state.cadence_days} days"
    return f"keep-in-touch cadence of {state.cadence_days} days has passed ({since})"


def with_cadence_due(statuses: Sequence[RelationshipStatus], states: Mapping[int, CadenceState],
                     reasons: Mapping[int, str]) -> list[RelationshipStatus]:
    """The statuses as the suggestion rules should see them: a relationship due by its cadence is
    flagged like one whose rhythm broke (with the cadence as its reason), so it gets a check-in; one
    the model already flags keeps the model's reason. The statuses shown elsewhere are untouched."""
    marked = []
    for status in statuses:
        state = states.get(status.customer_id)
        if state is not None and state.due and not status.at_risk:
            status = dataclasses.replace(status, at_risk=True, risk_reason=reasons.get(status.customer_id, ""))
        marked.append(status)
    return marked
