"""Guards that must hold for any facts at all (Hypothesis)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.gestures import (
    PastSuggestion,
    PostFact,
    SuggestionFacts,
    SuggestionPolicy,
)
from bot.rules.status import RelationshipStatus
from bot.rules.suggestions import suggest
from config.vocabulary import HOURGLASS_STAGES as HOURGLASS_ORDER

AS_OF = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)  # a Friday
hours = st.floats(min_value=-48, max_value=24 * 10, allow_nan=False)


@st.composite
def worlds(draw) -> SuggestionFacts:
    count = draw(st.integers(1, 8))
    statuses = [
        RelationshipStatus(
            customer_id=i, customer=f"C{i}", company="", team="T", team_id=1, owner=draw(st.sampled_from(["U1", "U2", None])),
            owner_name=None, revenue_rank=draw(st.none() | st.integers(1, 30)), score=50.0, stage="building",
            hourglass=draw(st.sampled_from(HOURGLASS_ORDER)), at_risk=draw(st.booleans()),
            last_interaction_at=AS_OF - timedelta(hours=draw(hours)), trend=draw(st.floats(-40, 40)),
        )
        for i in range(1, count + 1)
    ]
    posts = [
        PostFact(post_id=100 + n, customer_id=draw(st.integers(1, count)), url=None, title=draw(st.text(max_size=30)),
                 text="", published_at=AS_OF - timedelta(hours=draw(hours)))
        for n in range(draw(st.integers(0, 10)))
    ]
    keys = [f"post:{p.post_id}" for p in posts] + [f"check_in:{i}:x" for i in range(1, count + 1)]
    past = [
        PastSuggestion(customer_id=draw(st.integers(1, count)), owner=draw(st.sampled_from(["U1", "U2", None])),
                       dedupe_key=draw(st.sampled_from(keys)) + f"#{n}" * draw(st.integers(0, 1)),
                       status=draw(st.sampled_from(["open", "sent", "done", "snoozed", "dismissed"])),
                       suggested_at=AS_OF - timedelta(hours=draw(hours)))
        for n in range(draw(st.integers(0, 6)))
    ]
    shared = {i: draw(st.integers(0, 3)) for i in range(1, count + 1)}
    return SuggestionFacts(statuses, posts=posts, past=past, shared_this_week=shared,
                           policy=SuggestionPolicy(daily_cap=draw(st.integers(0, 4))))


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_guards_hold_for_any_facts(facts):
    proposed = suggest(facts, AS_OF)
    stage = {s.customer_id: s.hourglass for s in facts.statuses}
    used = {p.dedupe_key for p in facts.past}
    assert all(p.dedupe_key not in used for p in proposed)
    assert len({p.customer_id for p in proposed}) == len(proposed)
    assert len({p.dedupe_key for p in proposed}) == len(proposed)
    made_today = Counter(p.owner for p in facts.past if p.suggested_at.date() == AS_OF.date() and p.suggested_at <= AS_OF)
    for owner, count in Counter(p.owner for p in proposed).items():
        assert count + made_today[owner] <= facts.policy.daily_cap
    for p in proposed:
        assert p.kind != "referral_ask" or stage[p.customer_id] == "repeat"
        if p.kind in {"invite_trial", "results_review", "referral_ask"}:
            assert HOURGLASS_ORDER.index(stage[p.customer_id]) >= HOURGLASS_ORDER.index("trust")
        assert 0 <= p.priority <= 100
    cooling = {q.customer_id for q in facts.past if q.status != "dismissed"
               and AS_OF - timedelta(days=facts.policy.cooldown_days) < q.suggested_at <= AS_OF}
    assert not cooling & {p.customer_id for p in proposed}
    assert proposed == sorted(proposed, key=lambda p: -p.priority)
