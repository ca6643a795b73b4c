"""The replay's running state: the bound on how fast a score can fall between two interactions,
which lets the daily checkpoints skip scoring most gaps, must never underestimate a fall."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from scoring.histories import PARAMS, histories, property_settings

from models.scoring.assess import replay_order
from models.scoring.replay import Replay


@property_settings
@given(histories, st.integers(min_value=0, max_value=400))
def test_the_fall_rate_bound_never_underestimates_a_fall(touches, days):
    """advance() skips scoring a gap's last day when the bound on how fast the score can fall says
    it cannot reach the demotion threshold; that shortcut is exact only if the bound holds."""
    events = replay_order(touches, math.inf)
    replay = Replay(PARAMS, record=False)
    for index, event in enumerate(events):
        replay.on_event(event)
        until = events[index + 1][0] if index + 1 < len(events) else event[0] + days
        for later in (event[0] + (until - event[0]) * share for share in (0.1, 0.5, 1.0)):
            assert replay.score(later) >= replay.score_after_event - (later - event[0]) * replay.fall_rate - 1e-9
