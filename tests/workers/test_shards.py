"""Scoring in shards (a worker job each) stores exactly what one scoring pass stores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from helpers import customer, roster, store_roster, team
from sqlalchemy import func, select

from bot.jobs.score import score_job
from bot.runtime import Runtime
from bot.workers.shards import score_shard
from config.settings import Settings
from models.entities import Customer, Interaction, ScoreSnapshot, StageChange

AS_OF = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def test_shards_cover_every_tracked_relationship_once_and_match_a_full_pass(db_url):
    runtime = Runtime(settings=Settings(database_url=db_url))
    with runtime.session() as session:
        store_roster(session, roster(team("T", slack_channel="C0123456", customers=[
            customer(f"Person {i}", company=f"Co {i}", revenue=1000 - i) for i in range(7)])))
        session.flush()
        for person in session.scalars(select(Customer)):
            for days in range(1, 1 + person.id % 4 * 3):  # different histories: different stages
                session.add(Interaction(customer_id=person.id, kind="meeting", direction="mutual", origin="cli",
                                        occurred_at=AS_OF - timedelta(days=days * 5)))
    scored = [score_shard(runtime, shard=shard, shards=3, as_of=AS_OF) for shard in range(3)]
    with runtime.session() as session:
        tracked = session.scalar(select(func.count()).select_from(Customer).where(Customer.tracked.is_(True)))
        snapshots = session.scalar(select(func.count()).select_from(ScoreSnapshot))
        changes = session.scalar(select(func.count()).select_from(StageChange))
    assert sum(scored) == tracked == snapshots == 7 and changes > 0
    full = score_job(runtime, as_of=AS_OF)  # a whole pass at the same moment finds nothing left to store
    assert (full.scored, full.stage_changes_added, full.stage_changes_removed) == (7, 0, 0)
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(ScoreSnapshot)) == snapshots
    with pytest.raises(ValueError, match="shard 3 is not one of 0..2"):
        score_shard(runtime, shard=3, shards=3, as_of=AS_OF)
    runtime.engine.dispose()
