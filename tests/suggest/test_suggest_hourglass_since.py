"""What the suggestion rules learn of the hourglass from the store: when each relationship entered
the stage it is in now, read from the stored stage changes (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from digest.seed_world import MONDAY, add_change, runtime_for, seed

from bot.jobs.score import relationship_statuses
from bot.jobs.suggest import suggestion_facts
from bot.rules.gestures import SuggestionPolicy


def test_hourglass_since_is_the_start_of_the_ongoing_stay_in_the_current_stage(db_url):
    runtime = runtime_for(db_url)
    ids = seed(runtime)
    jane, bob, ann = ids["Jane Doe"], ids["Bob Roe"], ids["Ann <!channel> Lee"]
    with runtime.session() as session:
        add_change(session, jane, "hourglass", "know", "like", MONDAY - timedelta(days=40))
        add_change(session, jane, "hourglass", "like", "trust", MONDAY - timedelta(days=3))
        add_change(session, jane, "hourglass", "trust", "try", MONDAY + timedelta(days=1))  # after as_of
        add_change(session, bob, "hourglass", "know", "like", MONDAY - timedelta(days=10))
        add_change(session, bob, "hourglass", "like", "know", MONDAY - timedelta(days=5))  # left like since
        add_change(session, ann, "hourglass", "know", "trust", MONDAY - timedelta(days=90))
        add_change(session, ann, "tie", "weak_tie", "building", MONDAY - timedelta(days=1))  # another track
    current = {jane: "trust", bob: "like", ann: "trust"}
    with runtime.session() as session:
        statuses = [dataclasses.replace(s, hourglass=current[s.customer_id])
                    for s in relationship_statuses(session=session, as_of=MONDAY, params=runtime.scoring)]
        facts = suggestion_facts(session=session, statuses=statuses, as_of=MONDAY, policy=SuggestionPolicy())
    assert facts.hourglass_since == {jane: MONDAY - timedelta(days=3), ann: MONDAY - timedelta(days=90)}
