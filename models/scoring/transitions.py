"""What the replay records: a move of a relationship on one of its tracks, with its reason."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class Transition(NamedTuple):
    """A move on one track: ``tie`` stages, ``hourglass`` stages or ``risk`` (ok <-> at_risk).

    The replay records one for every change, with the score then and the reason in words, so the
    stored stage history can say why each move happened.
    """

    track: str
    at: datetime
    from_stage: str | None
    to_stage: str
    score: float
    reason: str
