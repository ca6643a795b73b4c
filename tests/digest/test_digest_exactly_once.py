"""The digest reaches its channel exactly once, even when the process dies between the claim and the
send (or between the send and recording it), and it reports every change since the last digest
whichever way the touches were logged (it brings the scores up to date first)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from digest.seed_world import MONDAY, runtime_for, seed, slack_runtime
from fakes.slack_api import FakeSlackAPI
from sqlalchemy import select

from bot.jobs.digest import digest_job, recover_stale_digests_job
from bot.slack.client import CLAIM_LOOKBACK_MARGIN, DIGEST_EVENT, STALE_CLAIM_AFTER
from models.entities import Customer, DigestRun, Team
from models.store.digest_runs import claim_digest_run, take_over_digest_run
from models.store.interactions import log_interaction

STALE = STALE_CLAIM_AFTER + timedelta(minutes=1)  # how long ago a dead process made its claim


@pytest.fixture
def fake():
    with FakeSlackAPI() as api:
        yield api


@pytest.fixture
def runtime(db_url, fake):
    rt = slack_runtime(db_url, fake)
    seed(rt)
    yield rt
    rt.engine.dispose()


def runs(runtime) -> list[DigestRun]:
    with runtime.session() as session:
        return list(session.scalars(select(DigestRun).order_by(DigestRun.id)))


def claim_left_by_a_dead_process(runtime, *, ago: timedelta = STALE) -> tuple[int, datetime]:
    """The ``sending`` run a process killed right after claiming Monday's digest leaves behind."""
    claimed_at = datetime.now(timezone.utc) - ago
    with runtime.session() as session:
        team_id = session.scalar(select(Team.id).where(Team.name == "East"))
        run = claim_digest_run(team_id, MONDAY.date(), session=session, covered_from=MONDAY - timedelta(days=7),
                               covered_to=MONDAY, now=claimed_at)
        return run.id, run.started_at


def posts_to_the_channel(fake) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == "C0EAST"]


def test_a_digest_claimed_by_a_process_killed_before_sending_is_sent_once(runtime, fake):
    run_id, claimed_at = claim_left_by_a_dead_process(runtime)
    (outcome,) = digest_job(runtime, as_of=MONDAY)
    assert outcome.status == "sent"
    (post,) = posts_to_the_channel(fake)
    assert post.args["metadata"] == {"event_type": DIGEST_EVENT, "event_payload": {"run_id": run_id}}
    (lookup,) = fake.calls_to("conversations.history")  # it looked before sending
    assert lookup.args["channel"] == "C0EAST" and lookup.args["include_all_metadata"] in {"1", "true"}
    assert float(lookup.args["oldest"]) == pytest.approx((claimed_at - CLAIM_LOOKBACK_MARGIN).timestamp())
    (run,) = runs(runtime)
    assert (run.id, run.status, run.slack_ts) == (run_id, "sent", outcome.slack_ts)
    assert digest_job(runtime, as_of=MONDAY)[0].status == "skipped"
    assert len(posts_to_the_channel(fake)) == 1


def test_a_digest_sent_by_a_process_killed_before_recording_it_is_not_sent_again(runtime, fake, monkeypatch):
    def killed(*args, **kwargs):
        raise RuntimeError("killed before the outcome was recorded")

    monkeypatch.setattr("bot.jobs.digest.finish_digest_run", killed)
    with pytest.raises(RuntimeError, match="killed"):
        digest_job(runtime, as_of=MONDAY)
    monkeypatch.undo()
    assert len(posts_to_the_channel(fake)) == 1  # it went out before the process died
    assert digest_job(runtime, as_of=MONDAY)[0].status == "skipped"  # a fresh claim: it may still be going out
    assert fake.calls_to("conversations.history") == []
    with runtime.session() as session:  # ...time passes: the claim goes stale
        for run in session.scalars(select(DigestRun)):
            run.started_at -= STALE
    (outcome,) = digest_job(runtime, as_of=MONDAY)
    assert outcome.status == "skipped" and "found in the channel" in outcome.detail
    assert len(posts_to_the_channel(fake)) == 1
    (run,) = runs(runtime)
    (message,) = fake.history("C0EAST")
    assert (run.status, run.slack_ts) == ("sent", message["ts"])  # recorded from the channel


def test_a_channel_that_cannot_be_read_leaves_the_claim_rather_than_risk_a_second_digest(runtime, fake):
    claim_left_by_a_dead_process(runtime)
    fake.answer_with(lambda method, args: {"ok": False, "error": "missing_scope"}
                     if method == "conversations.history" else None)
    (outcome,) = digest_job(runtime, as_of=MONDAY)
    assert outcome.status == "failed" and "missing_scope" in outcome.detail
    assert posts_to_the_channel(fake) == [] and [r.status for r in runs(runtime)] == ["sending"]
    fake.answer_with(lambda method, args: None)
    assert digest_job(runtime, as_of=MONDAY)[0].status == "sent"  # readable again: recovered
    assert len(posts_to_the_channel(fake)) == 1


def test_the_sweep_sends_a_digest_whose_only_scheduled_run_died(runtime, fake):
    run_id, _ = claim_left_by_a_dead_process(runtime)
    (outcome,) = recover_stale_digests_job(runtime)
    assert (outcome.status, outcome.local_date) == ("sent", MONDAY.date())
    (post,) = posts_to_the_channel(fake)
    assert post.args["metadata"]["event_payload"] == {"run_id": run_id}
    assert recover_stale_digests_job(runtime) == []  # nothing stale is left


def test_the_sweep_leaves_a_fresh_claim_alone(runtime, fake):
    claim_left_by_a_dead_process(runtime, ago=timedelta(minutes=1))  # may still be sending
    assert recover_stale_digests_job(runtime) == []
    assert fake.calls == [] and [r.status for r in runs(runtime)] == ["sending"]


def test_concurrent_recoveries_send_once(db_url, runtime, fake):
    claim_left_by_a_dead_process(runtime)
    outcomes = []
    barrier = threading.Barrier(3)
    runtimes = [slack_runtime(db_url, fake) for _ in range(3)]
    for each in runtimes:
        each.engine  # migrated before the race

    def recover(each):
        barrier.wait()
        outcomes.extend(digest_job(each, as_of=MONDAY))

    threads = [threading.Thread(target=recover, args=(each,)) for each in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.status for o in outcomes) == ["sent", "skipped", "skipped"]
    assert len(posts_to_the_channel(fake)) == 1


def test_a_stale_claim_is_taken_over_once(runtime):
    run_id, claimed_at = claim_left_by_a_dead_process(runtime)
    now = datetime.now(timezone.utc)
    with runtime.session() as session:
        assert take_over_digest_run(run_id, session=session, claimed_at=claimed_at, now=now)
    with runtime.session() as session:
        assert not take_over_digest_run(run_id, session=session, claimed_at=claimed_at, now=now)
    assert runs(runtime)[0].started_at == now


def test_the_digest_reports_changes_logged_without_a_scoring_run(db_url, fake):
    """A promotion whose touches were stored without rescoring (an import, another tool, a command
    that does not score) is in the next digest: the digest scores first."""
    runtime = runtime_for(db_url)
    now = datetime.now(timezone.utc)
    seed(runtime, now=now)
    with runtime.session() as session:
        bob = session.scalar(select(Customer).where(Customer.name == "Bob Roe"))
        for days in (5, 4, 3, 2, 1):  # Bob, never met before, now meets the team
            log_interaction(bob, "meeting", session=session, occurred_at=now - timedelta(days=days, hours=1))
    (outcome,) = digest_job(runtime, as_of=now, dry_run=True)
    promotions = outcome.text.split("Promotions\n", 1)[1].split("\n\n", 1)[0]
    assert "Bob Roe (Dana Reyes) tie unaware \u2192" in promotions
    assert "first contact: meeting" in promotions
