"""One instant is one point on the model's time axis, however it reached the model (issue 10): a
touch logged at the very moment a score is asked for is counted, never a last bit in the future."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from models.scoring.assess import Touch, assess
from models.timeline import EPOCH, MICROSECONDS_PER_DAY, Replayable, to_days, to_microseconds


def arbitrary_instants(count: int, seed: int = 7) -> list[datetime]:
    rng = random.Random(seed)
    start = int(datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp()) * 1_000_000
    return [EPOCH + timedelta(microseconds=start + rng.randrange(10 * 365 * MICROSECONDS_PER_DAY)) for _ in range(count)]


def test_to_days_is_the_loaders_expression_for_every_instant():
    for moment in arbitrary_instants(5_000):
        micros = to_microseconds(moment)
        assert moment == EPOCH + timedelta(microseconds=micros)
        assert to_days(moment) == micros / MICROSECONDS_PER_DAY, moment


@pytest.mark.parametrize("form", [pytest.param("datetime", id="touches-as-datetimes"),
                                  pytest.param("loader", id="touches-as-the-store-loads-them")])
def test_a_touch_at_as_of_is_always_counted(form):
    for moment in arbitrary_instants(500, seed=11):
        if form == "datetime":
            touches = [Touch(moment, "meeting", "mutual")]
        else:
            micros = to_microseconds(moment)
            touches = Replayable([(micros / MICROSECONDS_PER_DAY, "meeting", "mutual", micros)])
        result = assess(touches, moment, explain=False, history=False)
        assert result.last_interaction_at == moment, moment
        assert result.score > 0
