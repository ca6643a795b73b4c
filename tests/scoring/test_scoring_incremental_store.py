"""Incremental scoring against the store, on SQLite and PostgreSQL: passes in turn (each carrying
the replays kept by the previous one) equal full replays, whatever changed in between: new
interactions, back-dated ones before the previous pass, known future ones, deletions, posts,
cadences; and a pass reads the interactions of only the customers that changed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import bot.jobs.score as score_module
from bot.jobs.score import relationship_statuses, rescore_safely, score_job
from bot.runtime import Runtime
from config.scoring import ScoringParams
from config.settings import Settings
from config.vocabulary import DIRECTIONS, INTERACTION_KINDS
from models.entities import Customer, Interaction, Post, ScoreInputChange, Source, StageChange
from models.scoring.assess import assess
from models.store.cadence import effective_cadence, set_cadence
from models.store.customers import find_customer
from models.store.interactions import load_touches, log_interaction, remove_interactions
from models.store.posts import load_activity
from models.store.score_inputs import compact_score_inputs, input_versions

NAMES = ["Ann", "Bob", "Cat", "Dan", "Eve"]
ROSTER = "teams:\n  - name: East\n    slack_channel: C0000001\n    members: [{slack_user: U0EAST1, name: Dana}]\n" \
         "    customers:\n" + "".join(
             f"      - {{name: {n}, company: {n} Co, owner: U0EAST1, revenue: {10 + i}, "
             f"sources: [{{rss: 'https://{n.lower()}.example/feed.xml'}}]}}\n" for i, n in enumerate(NAMES))
START = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
PARAMS = ScoringParams()
# mostly weak contact, some meetings and the odd commercial step, as in real teams
KINDS = ["email"] * 6 + ["note", "like", "message", "message", "meeting", "call", "purchase", "referral", "trial"]


@pytest.fixture
def roster(cli, roster_file):
    assert cli("roster", "import", str(roster_file(ROSTER))).exit_code == 0


def change_the_store(session, rng: random.Random, previous: datetime, as_of: datetime) -> None:
    """What happens between two passes: new interactions (some back-dated before the previous
    pass, some after this one), deletions, posts, a cadence set or cleared."""
    customers = [find_customer(name, session=session) for name in NAMES]
    for _ in range(rng.randrange(0, 14)):
        back_dated = rng.random() < 0.2
        low = START if back_dated else previous
        span = (as_of - low) + timedelta(days=10)  # some lie after this pass: known future contact
        moment = low + timedelta(seconds=rng.randrange(int(span.total_seconds())))
        kind = rng.choice(KINDS) if rng.random() < 0.9 else rng.choice(INTERACTION_KINDS)
        log_interaction(rng.choice(customers[:4]), kind, session=session, occurred_at=moment,
                        direction=rng.choice([None, None, *DIRECTIONS]), origin="cli")
    stored = list(session.scalars(select(Interaction).order_by(Interaction.id)))
    if stored and rng.random() < 0.3:
        remove_interactions(rng.sample(stored, k=min(len(stored), rng.randrange(1, 3))), session=session)
    if rng.random() < 0.4:
        customer = rng.choice(customers)
        source = session.scalar(select(Source).where(Source.customer_id == customer.id))
        published = START + timedelta(hours=rng.randrange(int((as_of - START).total_seconds() // 3600)))
        session.add(Post(source_id=source.id, customer_id=customer.id, external_id=f"p{rng.random()}",
                         title="news", published_at=published))
    if rng.random() < 0.25:
        set_cadence(rng.choice(customers), rng.choice([None, 0, 5, 21]), session=session)


def full_replays(session, as_of: datetime, *, history: bool):
    """Customer name -> the model's verdict from all its stored facts, replayed from scratch."""
    customers = list(session.scalars(select(Customer).order_by(Customer.id)))
    ids = [c.id for c in customers]
    touches = load_touches(ids, session=session, until=as_of)
    activity = load_activity(ids, session=session, until=as_of)
    return {c.name: assess(touches[c.id], as_of, PARAMS, activity=activity.get(c.id, ()),
                           cadence_days=effective_cadence(c), history=history) for c in customers}


def figures(status_or_result):
    s = status_or_result
    return (round(s.score, 9), s.stage, s.hourglass, s.at_risk, s.risk_reason, s.last_interaction_at,
            round(s.trend, 9), s.stage_since, s.explanation, {k: round(v, 9) for k, v in s.components.items()})


@pytest.mark.parametrize("seed", [pytest.param(seed, id=f"seed-{seed}") for seed in range(5)])
def test_passes_in_turn_equal_full_replays(roster, db_url, sessions, seed):
    rng = random.Random(seed)
    runtime = Runtime(settings=Settings(database_url=db_url))
    previous = as_of = START
    for _ in range(7):
        as_of = previous + timedelta(days=rng.randrange(1, 45), hours=rng.randrange(24))
        with sessions.begin() as session:
            change_the_store(session, rng, previous, as_of)
        with sessions.begin() as session:  # replays are kept only from a committed session
            statuses = {s.customer: figures(s) for s in relationship_statuses(session=session, as_of=as_of,
                                                                              params=PARAMS)}
        score_job(runtime, as_of=as_of)
        with sessions() as session:
            expected = full_replays(session, as_of, history=True)
            names = dict(session.execute(select(Customer.id, Customer.name)).all())
            stored = {(names[c.customer_id], c.track, c.changed_at, c.to_stage)
                      for c in session.scalars(select(StageChange).where(StageChange.changed_at <= as_of))}
        assert statuses == {name: figures(result) for name, result in expected.items()}
        assert stored == {(name, t.track, t.at, t.to_stage) for name, result in expected.items()
                          for t in result.transitions}
        previous = as_of


def test_a_pass_reads_the_interactions_of_only_the_customers_that_changed(roster, sessions, monkeypatch):
    with sessions.begin() as session:
        for name in NAMES:
            log_interaction(find_customer(name, session=session), "meeting", session=session, occurred_at=START)
    with sessions.begin() as session:  # replays are kept only from a committed session
        relationship_statuses(session=session, as_of=START + timedelta(days=1), params=PARAMS)
    loaded: list[list[int]] = []
    real_load = score_module.load_touches

    def recording_load(ids, **kwargs):
        loaded.append(sorted(ids))
        return real_load(ids, **kwargs)

    monkeypatch.setattr(score_module, "load_touches", recording_load)
    with sessions.begin() as session:
        relationship_statuses(session=session, as_of=START + timedelta(days=2), params=PARAMS)
    assert loaded == []
    with sessions.begin() as session:
        ann = find_customer("Ann", session=session)
        log_interaction(ann, "call", session=session, occurred_at=START + timedelta(days=3))
        eve = find_customer("Eve", session=session)
        remove_interactions(session.scalars(select(Interaction).where(Interaction.customer_id == eve.id)),
                            session=session)
        changed = sorted([ann.id, eve.id])
    with sessions.begin() as session:
        by_name = {s.customer: s for s in relationship_statuses(session=session, as_of=START + timedelta(days=4),
                                                               params=PARAMS)}
    assert loaded == [changed]
    assert by_name["Ann"].last_interaction_at == START + timedelta(days=3) and by_name["Eve"].stage == "unaware"


def test_folding_the_change_log_keeps_every_count(roster, sessions):
    with sessions.begin() as session:
        customers = [find_customer(name, session=session) for name in NAMES]
        for day in range(30):
            log_interaction(customers[day % 3], "email", session=session, occurred_at=START + timedelta(days=day))
        remove_interactions(session.scalars(select(Interaction).limit(4)), session=session)
        ids = [c.id for c in customers]
        before = input_versions(ids, session=session)
    with sessions.begin() as session:
        assert compact_score_inputs(session=session, slack=0) > 0
    with sessions() as session:
        assert input_versions(ids, session=session) == before
        assert session.scalar(select(func.count()).select_from(ScoreInputChange)) == len(before) == 3
        assert compact_score_inputs(session=session, slack=0) == 0


def test_a_replay_counting_changes_that_rolled_back_is_never_kept(roster, db_url, sessions):
    """A rescore inside a savepoint (``rescore_safely``) whose transaction then rolls back, and a
    read-only pass in a transaction that rolls back: neither replay is kept, even when a later change
    brings the customer's count of changes back to the number those replays were checked against."""
    runtime = Runtime(settings=Settings(database_url=db_url))
    first, later = START + timedelta(days=1), START + timedelta(days=2)
    score_job(runtime, as_of=START)
    for history in (True, False):
        with pytest.raises(RuntimeError), sessions.begin() as session:
            ann = find_customer("Ann", session=session)
            log_interaction(ann, "meeting", session=session, occurred_at=first, note=f"rolled back {history}")
            if history:
                rescore_safely([ann.id], session=session, as_of=later, params=PARAMS)
            else:
                relationship_statuses(session=session, as_of=later, params=PARAMS)
            raise RuntimeError("the transaction fails after the rescore")
    with sessions.begin() as session:  # one committed change: the count the rolled-back ones had
        log_interaction(find_customer("Ann", session=session), "email", session=session, occurred_at=later)
    with sessions.begin() as session:
        ann = {s.customer: s for s in relationship_statuses(session=session, as_of=later, params=PARAMS)}["Ann"]
    assert ann.last_interaction_at == later
    with sessions() as session:
        assert figures(ann) == figures(full_replays(session, later, history=False)["Ann"])
    score_job(runtime, as_of=later)
    with sessions() as session:
        expected = full_replays(session, later, history=True)["Ann"]
        stored = {(c.track, c.changed_at, c.to_stage) for c in session.scalars(
            select(StageChange).where(StageChange.customer_id == find_customer("Ann", session=session).id))}
    assert stored == {(t.track, t.at, t.to_stage) for t in expected.transitions}


def test_a_full_pass_drops_the_replays_of_customers_it_no_longer_scores(roster, db_url, sessions):
    runtime = Runtime(settings=Settings(database_url=db_url))
    with sessions.begin() as session:
        for name in NAMES:
            log_interaction(find_customer(name, session=session), "meeting", session=session, occurred_at=START)
    score_job(runtime, as_of=START + timedelta(days=1))
    with sessions.begin() as session:
        eve = find_customer("Eve", session=session)
        eve.tracked = False
        eve_id = eve.id
    kept = score_module._KEPT[(str(runtime.engine.url), True)]
    assert eve_id in kept
    score_job(runtime, as_of=START + timedelta(days=2))
    assert eve_id not in kept and len(kept) == len(NAMES) - 1
