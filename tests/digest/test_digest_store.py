"""Digest-run claims and suggestion storage in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from models.base import session_scope
from models.entities import Customer, DigestRun, Member, Team
from models.store.digest_runs import (
    claim_digest_run,
    finish_digest_run,
    last_sent_digest,
)
from models.store.suggestions import (
    NewSuggestion,
    actionable_suggestions,
    add_suggestion,
)

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)
DAY = date(2026, 11, 23)


@pytest.fixture
def team_id(sessions) -> int:
    with session_scope(sessions) as session:
        team = Team(name="East", slack_channel="C1", timezone="UTC", digest_time="09:00", top_n=20)
        session.add(team)
        session.flush()
        session.add(Member(team_id=team.id, slack_user="U1", name="Dana"))
        session.add_all([Customer(team_id=team.id, name=n, name_key=n.lower(), revenue_rank=i + 1)
                         for i, n in enumerate(["Jane", "Bob"])])
        return team.id


def claim(sessions, team_id, *, force=False, day=DAY):
    with session_scope(sessions) as session:
        run = claim_digest_run(team_id, day, session=session, covered_from=NOW - timedelta(days=1), covered_to=NOW, force=force,
                               now=NOW)
        return run.id if run else None


def finish(sessions, run_id, status):
    with session_scope(sessions) as session:
        finish_digest_run(run_id, session=session, status=status, text="t", slack_ts="1.1" if status == "sent" else None,
                          error=None if status == "sent" else "boom", now=NOW)


def test_a_day_is_claimed_once(sessions, team_id):
    first = claim(sessions, team_id)
    assert first is not None
    assert claim(sessions, team_id) is None  # still sending
    finish(sessions, first, "sent")
    assert claim(sessions, team_id) is None  # sent
    assert claim(sessions, team_id, day=DAY + timedelta(days=1)) is not None  # a new day


def test_a_failed_day_may_be_claimed_again_and_force_always_claims(sessions, team_id):
    first = claim(sessions, team_id)
    finish(sessions, first, "failed")
    again = claim(sessions, team_id)
    assert again == first
    assert claim(sessions, team_id) is None
    finish(sessions, again, "sent")
    assert claim(sessions, team_id, force=True) == first
    with session_scope(sessions) as session:
        assert session.get(DigestRun, first).status == "sending"


def test_concurrent_claims_have_one_winner(sessions, team_id):
    results: list[int | None] = []
    barrier = threading.Barrier(4)

    def contender():
        barrier.wait()
        results.append(claim(sessions, team_id))

    threads = [threading.Thread(target=contender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([r for r in results if r is not None]) == 1


def test_last_sent_digest_is_the_latest_sent_before_the_day(sessions, team_id):
    for offset, status in [(-3, "sent"), (-2, "sent"), (-1, "failed")]:
        run = claim(sessions, team_id, day=DAY + timedelta(days=offset))
        finish(sessions, run, status)
    with session_scope(sessions) as session:
        assert last_sent_digest(team_id, session=session, before=DAY).local_date == DAY - timedelta(days=2)


def new(customer_id: int, key: str, **changes) -> NewSuggestion:
    values = dict(customer_id=customer_id, owner_user="U1", kind="share", text="Share it", post_id=None,
                  post_url=None, reason="r", priority=50.0, dedupe_key=key, suggested_at=NOW - timedelta(hours=1))
    values.update(changes)
    return NewSuggestion(**values)


def test_suggestions_are_stored_once_per_dedupe_key(sessions, team_id):
    with session_scope(sessions) as session:
        jane = session.query(Customer).filter_by(name="Jane").one()
        assert add_suggestion(new(jane.id, "post:1"), session=session) is not None
        assert add_suggestion(new(jane.id, "post:1", text="other"), session=session) is None
        assert [s.text for s in actionable_suggestions(session=session, as_of=NOW, max_age=timedelta(days=7))] == ["Share it"]


def test_actionable_suggestions_respect_status_age_and_snoozes(sessions, team_id):
    with session_scope(sessions) as session:
        jane, bob = session.query(Customer).order_by(Customer.id).all()
        rows = {
            key: add_suggestion(new(customer.id, key, priority=priority, **extra), session=session)
            for key, customer, priority, extra in [
                ("open", jane, 10, {}),
                ("sent", jane, 30, {}),
                ("stale", jane, 90, {"suggested_at": NOW - timedelta(days=8)}),
                ("future", jane, 90, {"suggested_at": NOW + timedelta(hours=1)}),
                ("done", jane, 90, {}),
                ("dismissed", jane, 90, {}),
                ("snoozed-on", jane, 90, {}),
                ("snoozed-over", jane, 20, {}),
                ("snoozed-a-week", jane, 40, {"suggested_at": NOW - timedelta(days=9)}),
                ("snoozed-long-ago", jane, 40, {"suggested_at": NOW - timedelta(days=40)}),
                ("bob", bob, 95, {}),
            ]
        }
        rows["sent"].status = "sent"
        rows["done"].status = "done"
        rows["dismissed"].status = "dismissed"
        rows["snoozed-on"].status, rows["snoozed-on"].snoozed_until = "snoozed", NOW + timedelta(days=1)
        rows["snoozed-over"].status, rows["snoozed-over"].snoozed_until = "snoozed", NOW - timedelta(hours=1)
        # made 9 days ago, snoozed for a week 2 days later: back now, though older than max_age
        rows["snoozed-a-week"].status, rows["snoozed-a-week"].snoozed_until = "snoozed", NOW - timedelta(hours=2)
        rows["snoozed-long-ago"].status, rows["snoozed-long-ago"].snoozed_until = "snoozed", NOW - timedelta(days=26)
        bob.snoozed_until = NOW + timedelta(days=2)
        session.flush()
        listed = actionable_suggestions(session=session, as_of=NOW, max_age=timedelta(days=7))
        assert [s.dedupe_key for s in listed] == ["snoozed-a-week", "sent", "snoozed-over", "open"]
