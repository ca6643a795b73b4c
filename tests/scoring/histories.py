"""Histories and hypothesis strategies shared by the tie-strength model's tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from config.scoring import ScoringParams
from config.vocabulary import DIRECTIONS, INTERACTION_KINDS, TIE_STAGES
from models.scoring.assess import Assessment, Touch, assess

START = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
PARAMS = ScoringParams()
QUARTER = timedelta(weeks=13)


def weekly(weeks: int, kinds: tuple[str, ...] = ("meeting", "call", "email"), start: datetime = START) -> list[Touch]:
    """Two-way contact once a week, cycling through ``kinds`` (emails as mutual exchanges)."""
    return [Touch(start + timedelta(weeks=w), kinds[w % len(kinds)], "mutual") for w in range(weeks)]


def email_threads(weeks: int) -> list[Touch]:
    """Weekly emails from the customer, each answered by us the next day."""
    touches = []
    for w in range(weeks):
        touches.append(Touch(START + timedelta(weeks=w), "email", "inbound"))
        touches.append(Touch(START + timedelta(weeks=w, days=1), "email", "outbound"))
    return touches


def at_most(stage: str, ceiling: str) -> bool:
    """Whether ``stage`` is ``ceiling`` or weaker."""
    return TIE_STAGES.index(stage) <= TIE_STAGES.index(ceiling)


def silent_strong_tie(days_silent: int) -> Assessment:
    """A quarter of weekly two-way contact, assessed ``days_silent`` days after the last of it."""
    touches = weekly(13)
    return assess(touches, touches[-1].at + timedelta(days=days_silent))


def long_tie(weeks: int, services: bool) -> list[Touch]:
    """Weekly two-way contact for ``weeks`` weeks, plus (``services``) a purchase, a referral and an
    intro from the customer along the way."""
    touches = weekly(weeks)
    if services:
        touches += [Touch(START + timedelta(weeks=weeks * share // 4, days=2), kind, "inbound")
                    for share, kind in ((1, "purchase"), (2, "referral"), (3, "intro"))]
    return touches


touch_strategy = st.builds(
    Touch,
    at=st.integers(min_value=0, max_value=400 * 24).map(lambda hours: START + timedelta(hours=hours)),
    kind=st.sampled_from(INTERACTION_KINDS),
    direction=st.sampled_from(DIRECTIONS),
)
histories = st.lists(touch_strategy, max_size=30)
property_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AS_OF = START + timedelta(days=420)
