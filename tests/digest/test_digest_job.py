"""The digest job against the Slack fake: content, once per local day (also across a restart and
between concurrent runs), --force, --dry-run, failures, the Monday chart and the command line."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from digest.seed_world import MONDAY, add_change, runtime_for, seed, slack_runtime
from fakes.slack_api import FakeSlackAPI
from sqlalchemy import select

from bot.jobs.digest import digest_job
from bot.jobs.suggest import suggest_job
from models.entities import DigestRun


@pytest.fixture
def fake():
    with FakeSlackAPI() as api:
        yield api


@pytest.fixture
def world(db_url, monkeypatch):
    # The stage changes below are stored by hand so the digest's figures are known exactly; the
    # scoring the digest runs first would replace them with what the histories say (that scoring is
    # tested in test_digest_exactly_once.py).
    monkeypatch.setattr("bot.jobs.digest.score_job", lambda runtime, **kwargs: None)
    runtime = runtime_for(db_url)
    ids = seed(runtime)
    jane, bob, ann = ids["Jane Doe"], ids["Bob Roe"], ids["Ann <!channel> Lee"]
    window = MONDAY - timedelta(hours=3)
    with runtime.session() as session:
        # history: Jane entered like 40 days ago and trust within the window; Ann sits in trust
        add_change(session, jane, "hourglass", "know", "like", MONDAY - timedelta(days=40))
        add_change(session, jane, "hourglass", "like", "trust", window, "tie became building")
        add_change(session, jane, "tie", "weak_tie", "building", window, "score 50 reached 45 after meeting")
        add_change(session, bob, "tie", "building", "weak_tie", window, "score 30 fell below 35 after silence")
        add_change(session, bob, "tie", "unaware", "awareness", MONDAY - timedelta(days=8), "before the window")
        add_change(session, ann, "hourglass", "know", "trust", MONDAY - timedelta(days=90))
        add_change(session, ann, "risk", "ok", "at_risk", window, "silent for 40 days <!here>")
        add_change(session, bob, "risk", "ok", "at_risk", window, "Bob is not at risk any more")
    suggest_job(runtime, as_of=MONDAY)
    return ids


def digest_runs(runtime) -> list[DigestRun]:
    with runtime.session() as session:
        return list(session.scalars(select(DigestRun).order_by(DigestRun.id)))


def test_digest_content_and_delivery(db_url, world, fake):
    runtime = slack_runtime(db_url, fake)
    (outcome,) = digest_job(runtime, as_of=MONDAY)
    assert outcome.status == "sent" and outcome.chart_attached
    (post,) = fake.calls_to("chat.postMessage")
    assert post.args["channel"] == "C0EAST"
    assert "link_names" not in post.args and "parse" not in post.args
    sections = {b["text"]["text"].split("\n")[0]: b["text"]["text"] for b in post.args["blocks"] if b["type"] == "section"}
    assert ("Jane Doe* (Dana Reyes) tie weak_tie \u2192 building \u00b7 hourglass like \u2192 trust: "
            "score 50 reached 45 after meeting") in sections["*Promotions*"]
    assert "Bob Roe* (Dana Reyes) tie building \u2192 weak_tie: score 30 fell below 35" in sections["*Demotions*"]
    assert "before the window" not in json.dumps(post.args)
    at_risk = sections["*Newly at risk*"]
    assert "Ann &lt;!channel&gt; Lee* (Sam Lee): silent for 40 days &lt;!here&gt;" in at_risk
    assert "Bob" not in at_risk  # its risk flag is off again
    assert "[funding round]" in sections["*Notable posts*"] and "An old musing" not in sections["*Notable posts*"]
    assert "*Dana Reyes*" in sections["*Today's top suggestions*"] and "*Sam Lee*" in sections["*Today's top suggestions*"]
    assert "Stalling at *trust*: 2 relationships, there a median" in sections["*Hourglass*"]
    everything = json.dumps(post.args)
    assert "<!channel>" not in everything and "<!here>" not in everything

    uploads = fake.calls_to("files.completeUploadExternal")
    assert len(uploads) == 1 and len(fake.calls_to("files.getUploadURLExternal")) == 1
    (png,) = fake.uploaded
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    (run,) = digest_runs(runtime)
    assert outcome.slack_ts and (run.status, run.slack_ts, run.covered_to) == ("sent", outcome.slack_ts, MONDAY)
    assert run.covered_from == MONDAY - timedelta(days=7)  # a first digest catches up on the week
    assert uploads[0].args.get("thread_ts") == outcome.slack_ts  # the chart sits in the digest's thread


def test_once_per_local_day_across_a_restart_and_force(db_url, world, fake):
    assert digest_job(slack_runtime(db_url, fake), as_of=MONDAY)[0].status == "sent"
    later = MONDAY + timedelta(hours=5)
    assert digest_job(slack_runtime(db_url, fake), as_of=later)[0].status == "skipped"  # a restarted process
    assert len(fake.calls_to("chat.postMessage")) == 1
    forced = digest_job(slack_runtime(db_url, fake), as_of=later, force=True)
    assert forced[0].status == "sent" and len(fake.calls_to("chat.postMessage")) == 2
    assert len(digest_runs(slack_runtime(db_url, fake))) == 1

    tuesday = MONDAY + timedelta(days=1)
    (next_day,) = digest_job(slack_runtime(db_url, fake), as_of=tuesday)
    assert next_day.status == "sent" and not next_day.chart_attached  # the chart is for Mondays
    assert len(fake.calls_to("files.completeUploadExternal")) == 2  # Monday's two sends only
    runs = digest_runs(slack_runtime(db_url, fake))
    assert runs[-1].covered_from == later  # from where the last digest left off


def test_local_date_decides_the_day(db_url, world, fake):
    # 03:00 UTC on Monday is still Sunday evening in New York: Sunday's digest, no chart
    (outcome,) = digest_job(slack_runtime(db_url, fake), as_of=MONDAY - timedelta(hours=11))
    assert outcome.local_date.isoformat() == "2026-11-22" and not outcome.chart_attached
    assert digest_job(slack_runtime(db_url, fake), as_of=MONDAY)[0].status == "sent"  # Monday is another day


def test_concurrent_runs_send_once(db_url, world, fake):
    outcomes = []
    barrier = threading.Barrier(3)
    runtimes = [slack_runtime(db_url, fake) for _ in range(3)]  # three processes, say
    for runtime in runtimes:
        runtime.engine  # each migrates (a no-op) before the race, not during it

    def run(runtime):
        barrier.wait()
        outcomes.extend(digest_job(runtime, as_of=MONDAY))

    threads = [threading.Thread(target=run, args=(runtime,)) for runtime in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.status for o in outcomes) == ["sent", "skipped", "skipped"]
    assert len(fake.calls_to("chat.postMessage")) == 1


def test_dry_run_prints_and_records_nothing(db_url, world, fake):
    (outcome,) = digest_job(slack_runtime(db_url, fake), as_of=MONDAY, dry_run=True)
    assert outcome.status == "dry_run"
    assert outcome.text.startswith("Daily digest \u00b7 East \u00b7 Mon 23 Nov 2026")
    assert "Ann <!channel> Lee (Sam Lee): silent for 40 days" in outcome.text  # plain, for a terminal
    assert fake.calls == [] and digest_runs(runtime_for(db_url)) == []


def test_a_refused_send_is_recorded_and_retried(db_url, world, fake):
    import dataclasses

    from config.settings import Secret

    wrong = slack_runtime(db_url, fake)
    wrong.settings = dataclasses.replace(wrong.settings, slack_bot_token=Secret("xoxb-wrong"))
    (failed,) = digest_job(wrong, as_of=MONDAY)
    assert failed.status == "failed" and "invalid_auth" in failed.detail
    assert [r.status for r in digest_runs(wrong)] == ["failed"]
    (retried,) = digest_job(slack_runtime(db_url, fake), as_of=MONDAY + timedelta(minutes=10))
    assert retried.status == "sent"
    assert [r.status for r in digest_runs(wrong)] == ["sent"]


def test_rate_limit_is_retried_not_duplicated(db_url, world, fake, slack_retry_waits):
    fake.fail_next("chat.postMessage", 1)  # Retry-After: 0
    (outcome,) = digest_job(slack_runtime(db_url, fake), as_of=MONDAY)
    assert outcome.status == "sent"
    assert len(fake.calls_to("chat.postMessage")) == 2  # the 429, then the one that landed
    assert len(slack_retry_waits.slept) == 1  # one wait, recorded rather than slept


def test_missing_token_is_named(db_url, world):
    from config.settings import SettingsError

    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        digest_job(runtime_for(db_url), as_of=MONDAY)
    assert digest_runs(runtime_for(db_url)) == []


def test_cli_digest_and_report(cli, db_url, world, fake, monkeypatch, tmp_path):
    dry = cli("digest", "--dry-run", "--as-of", "2026-11-23T14:00:00Z")
    assert dry.exit_code == 0, dry.output
    assert "Daily digest \u00b7 East" in dry.output and "Newly at risk" in dry.output
    monkeypatch.setenv("SLACK_API_URL", fake.base_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake.token)
    sent = cli("digest", "--team", "east", "--as-of", "2026-11-23T14:00:00Z")
    assert sent.exit_code == 0 and "East 2026-11-23: sent with the hourglass chart" in sent.output
    again = cli("digest", "--as-of", "2026-11-23T15:00:00Z")
    assert "East 2026-11-23: skipped" in again.output
    unknown = cli("digest", "--team", "West", "--dry-run")
    assert unknown.exit_code == 1 and "unknown team 'West'" in unknown.output

    png = tmp_path / "hourglass.png"
    result = cli("report", "--png", str(png), "--team", "East")
    assert result.exit_code == 0, result.output
    assert png.read_bytes().startswith(b"\x89PNG") and "trust 2" in result.output and "know 1" in result.output
