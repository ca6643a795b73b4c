"""Scoring in shards: the tracked relationships split by customer id, so several workers score one
deployment's relationships at once, each storing the snapshots and stage changes of its share
exactly as ``score_job`` does for all of them (bot/jobs/score.py)."""

from __future__ import annotations

from datetime import datetime

from bot.jobs.score import assess_customers, prune_kept_replays
from bot.runtime import Runtime
from models.store.score_inputs import compact_score_inputs, scored_customers
from models.store.snapshots import save_assessments


def score_shard(runtime: Runtime, *, shard: int, shards: int, as_of: datetime) -> int:
    """Score the tracked relationships whose customer id is ``shard`` modulo ``shards`` as of
    ``as_of``, store them, commit; returns how many. The shards of one ``shards`` cover every
    relationship once."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is not one of 0..{shards - 1}")
    with runtime.session() as session:
        if shard == 0:  # one shard folds the change log, as score_job does
            compact_score_inputs(session=session)
        customers = [c for c in scored_customers(session=session) if c.id % shards == shard]
        results = assess_customers(customers, session=session, as_of=as_of, params=runtime.scoring, words=False)
        save_assessments(results, session=session, as_of=as_of)
        prune_kept_replays((c.id for c in customers), among=lambda customer_id: customer_id % shards == shard)
    return len(results)
