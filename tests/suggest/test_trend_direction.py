"""One threshold tells a move from noise, for the Slack arrow and the suggestions' reasons alike."""

import pytest

from bot.rules.status import TREND_THRESHOLD, RelationshipStatus
from bot.slack.listeners.formatting import trend_arrow


def status(trend: float) -> RelationshipStatus:
    return RelationshipStatus(customer_id=1, customer="Jane Doe", company="Acme", team="East", team_id=1, owner=None,
                              owner_name=None, revenue_rank=1, score=50.0, stage="building", hourglass="trust",
                              at_risk=False, last_interaction_at=None, trend=trend)


@pytest.mark.parametrize(
    "trend, direction, arrow",
    [
        pytest.param(TREND_THRESHOLD, "rising", "↑", id="at-the-threshold-up"),
        pytest.param(TREND_THRESHOLD - 0.01, "steady", "→", id="just-under-up"),
        pytest.param(0.0, "steady", "→", id="flat"),
        pytest.param(-TREND_THRESHOLD + 0.01, "steady", "→", id="just-under-down"),
        pytest.param(-TREND_THRESHOLD, "falling", "↓", id="at-the-threshold-down"),
        pytest.param(-30.0, "falling", "↓", id="a-collapse"),
    ],
)
def test_direction_and_arrow_agree(trend, direction, arrow):
    assert status(trend).trend_direction == direction
    assert trend_arrow(status(trend)) == arrow
