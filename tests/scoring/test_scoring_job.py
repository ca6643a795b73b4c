"""The scoring job, its read-only and incremental variants, and `strongtie status` / `calibrate`,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.jobs.score import relationship_statuses, rescore_customer, score_job
from bot.runtime import Runtime
from config.scoring import ScoringParams
from config.settings import Settings
from models.entities import Rating, ScoreSnapshot, StageChange
from models.scoring.assess import assess
from models.store.customers import find_customer
from models.store.interactions import load_touches, log_interaction
from models.store.ratings import record_rating

ROSTER = """
teams:
  - name: West
    slack_channel: C0000002
    top_n: 1
    members: [{slack_user: U0WEST2, name: Wes}]
    customers:
      - {name: Big West, company: Wco, owner: U0WEST2, revenue: 900}
      - {name: Small West, company: Wco, owner: U0WEST2, revenue: 1}
  - name: East
    slack_channel: C0000001
    members: [{slack_user: U0EAST1, name: Dana}]
    customers:
      - {name: Jane Doe, company: Acme, owner: U0EAST1, revenue: 10}
      - {name: Janet Dough, company: Globex, owner: U0EAST1, revenue: 50}
"""
START = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
AS_OF = START + timedelta(weeks=13)


@pytest.fixture
def seeded(cli, roster_file, sessions):
    assert cli("roster", "import", str(roster_file(ROSTER))).exit_code == 0
    with sessions.begin() as session:
        jane = find_customer("Jane Doe", session=session)
        for week in range(13):
            kind = ("meeting", "call", "email")[week % 3]
            log_interaction(jane, kind, session=session, occurred_at=START + timedelta(weeks=week))
        janet = find_customer("Janet Dough", session=session)
        log_interaction(janet, "like", session=session, occurred_at=START, direction="outbound")
    return cli


def count(session, entity) -> int:
    return session.scalar(select(func.count()).select_from(entity))


def test_statuses_cover_tracked_customers_by_team_then_revenue_and_write_nothing(seeded, session):
    statuses = relationship_statuses(session=session, as_of=AS_OF, params=ScoringParams())
    assert [(s.team, s.customer, s.revenue_rank) for s in statuses] == [
        ("East", "Janet Dough", 1), ("East", "Jane Doe", 2), ("West", "Big West", 1)]
    by_name = {s.customer: s for s in statuses}
    assert by_name["Jane Doe"].stage == "strong_tie" and by_name["Jane Doe"].owner == "U0EAST1"
    assert by_name["Janet Dough"].stage == "awareness"
    assert by_name["Big West"].stage == "unaware" and by_name["Big West"].score == 0
    assert count(session, ScoreSnapshot) == 0 and count(session, StageChange) == 0


def test_score_job_stores_snapshots_and_reasoned_changes_and_is_idempotent(seeded, db_url, sessions):
    runtime = Runtime(settings=Settings(database_url=db_url))
    first = score_job(runtime, as_of=AS_OF)
    assert first.scored == 3 and first.stage_changes_added > 0 and first.by_stage["strong_tie"] == 1
    with sessions() as session:
        snapshots = count(session, ScoreSnapshot)
        changes = list(session.scalars(select(StageChange).order_by(StageChange.changed_at, StageChange.id)))
    assert snapshots == 3
    assert {c.track for c in changes} == {"tie", "hourglass"}
    assert all(c.reason for c in changes)
    assert [c.to_stage for c in changes if c.track == "tie" and c.customer_id == changes[0].customer_id][-1] in (
        "strong_tie", "awareness")
    again = score_job(runtime, as_of=AS_OF)
    assert (again.stage_changes_added, again.stage_changes_removed) == (0, 0)
    with sessions() as session:
        assert count(session, ScoreSnapshot) == 3 and count(session, StageChange) == len(changes)


def test_silence_adds_a_risk_change_and_a_late_logged_contact_rewrites_history(seeded, db_url, sessions):
    runtime = Runtime(settings=Settings(database_url=db_url))
    later = AS_OF + timedelta(days=60)
    score_job(runtime, as_of=later)
    with sessions() as session:
        risk = list(session.scalars(select(StageChange).where(StageChange.track == "risk")))
    assert [r.to_stage for r in risk] == ["at_risk"] and "no two-way contact for" in risk[0].reason
    with sessions.begin() as session:  # a call that did happen, logged late
        log_interaction(find_customer("Jane Doe", session=session), "call", session=session,
                        occurred_at=AS_OF + timedelta(days=10))
    rerun = score_job(runtime, as_of=later)
    assert rerun.stage_changes_removed >= 1
    with sessions() as session:
        risk = list(session.scalars(select(StageChange).where(StageChange.track == "risk")))
    assert all(r.changed_at > AS_OF + timedelta(days=10) for r in risk)


def test_rescore_customer_writes_with_the_callers_session(seeded, sessions):
    with sessions() as session:
        jane = find_customer("Jane Doe", session=session)
        log_interaction(jane, "meeting", session=session, occurred_at=AS_OF)
        status = rescore_customer(jane.id, session=session, as_of=AS_OF, params=ScoringParams())
        assert status.customer == "Jane Doe" and status.stage == "strong_tie"
        assert status.explanation and status.components
        session.commit()
    with sessions() as session:
        snapshot = session.scalar(select(ScoreSnapshot))
        assert snapshot.customer_id == jane.id and snapshot.as_of == AS_OF
        assert snapshot.score == pytest.approx(status.score) and snapshot.stage == "strong_tie"
        assert count(session, StageChange) > 0
        with pytest.raises(LookupError):
            rescore_customer(10_000, session=session, as_of=AS_OF, params=ScoringParams())


STATUS_FIELDS = {"customer", "company", "team", "owner", "score", "stage", "hourglass", "at_risk", "risk_reason",
                 "last_interaction_at", "trend", "stage_since", "components", "explanation"}


def test_status_json_is_the_contract_record_and_as_of_recomputes_the_past(seeded):
    result = seeded("status", "--json", "--as-of", AS_OF.date().isoformat(), "--team", "east")
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["customer"] for r in records] == ["Janet Dough", "Jane Doe"]
    jane = records[1]
    assert set(jane) == STATUS_FIELDS
    assert jane["stage"] == "strong_tie" and jane["last_interaction_at"] == "2026-03-30T10:00:00Z"
    assert set(jane["components"]) >= {"recency", "duration", "intensity", "intimacy", "reciprocity", "services"}
    assert any("meeting on 30 Mar" in line for line in jane["explanation"])
    early = json.loads(seeded("status", "--json", "--as-of", "2026-01-04").output)
    assert {r["stage"] for r in early} == {"unaware"}
    assert json.loads(seeded("status", "--json", "--as-of", AS_OF.date().isoformat()).output)[:2] == records


def test_status_board_is_readable(seeded):
    result = seeded("status", "--as-of", AS_OF.date().isoformat())
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any("Jane Doe" in line and "strong_tie" in line for line in lines)
    assert "3 relationships," in result.output


def test_status_rejects_a_bad_date_and_an_unknown_team(seeded):
    assert seeded("status", "--as-of", "yesterday").exit_code == 2
    result = seeded("status", "--team", "Nowhere")
    assert result.exit_code == 1 and "unknown team" in result.output


def test_calibrate_says_clearly_when_there_are_too_few_ratings(seeded):
    result = seeded("calibrate")
    assert result.exit_code == 0 and "Too few ratings" in result.output and "0 rated" in result.output


def test_calibrate_reports_error_and_fits_weights(seeded, sessions):
    with sessions.begin() as session:
        jane = find_customer("Jane Doe", session=session)
        janet = find_customer("Janet Dough", session=session)
        big = find_customer("Big West", session=session)
        record_rating(jane, 3, session=session, rated_at=AS_OF - timedelta(days=30))
        record_rating(jane, 9, session=session, rated_at=AS_OF)  # the latest rating counts
        record_rating(janet, 1, session=session, rated_at=AS_OF)
        record_rating(big, 0, session=session, rated_at=AS_OF)
    report = seeded("calibrate")
    assert report.exit_code == 0, report.output
    assert "3 rated relationship(s)" in report.output and "MAE" in report.output and "accuracy 100%" in report.output
    too_few = seeded("calibrate", "--fit")
    assert "Too few ratings to fit" in too_few.output
    with sessions.begin() as session:
        small = find_customer("Small West", session=session)
        for day in range(10):
            log_interaction(small, "call", session=session, occurred_at=START + timedelta(days=7 * day))
        for name in ("Small West",):
            record_rating(find_customer(name, session=session), 6, session=session, rated_at=AS_OF)
        assert session.scalar(select(func.count(func.distinct(Rating.customer_id)))) == 4
    # four customers cannot reach the fitting minimum: still refused, politely
    assert "at least 8 needed" in seeded("calibrate", "--fit").output


def test_calibrate_fit_shows_before_after_and_the_toml_to_paste(cli, roster_file, sessions):
    customers = "\n".join(f"      - {{name: C{i}, company: Co, owner: U0EAST1, revenue: {100 - i}}}" for i in range(9))
    roster = ("teams:\n  - name: East\n    slack_channel: C0000001\n    members: [{slack_user: U0EAST1, name: Dana}]\n"
              f"    customers:\n{customers}\n")
    assert cli("roster", "import", str(roster_file(roster))).exit_code == 0
    with sessions.begin() as session:
        for i in range(9):
            customer = find_customer(f"C{i}", session=session)
            for week in range(i + 1):
                log_interaction(customer, "call", session=session, occurred_at=START + timedelta(days=6 * week))
            record_rating(customer, i, session=session, rated_at=START + timedelta(days=60))
    result = cli("calibrate", "--fit")
    assert result.exit_code == 0, result.output
    assert "9 rated relationship(s)" in result.output
    assert "Current weights: MAE" in result.output and "Fitted weights : MAE" in result.output
    assert "may not generalise" in result.output
    assert "[scoring]" in result.output and "weight_recency = " in result.output


@pytest.mark.parametrize("offset, kind, loaded", [
    pytest.param(timedelta(days=-1, microseconds=123_457), "call", True, id="microseconds-kept"),
    pytest.param(timedelta(0), "meeting", True, id="exactly-at-as-of"),
    pytest.param(timedelta(microseconds=1), "meeting", False, id="one-microsecond-after-as-of"),
    pytest.param(timedelta(days=-3), "note", False, id="notes-are-not-contact"),
])
def test_the_loader_gives_the_model_the_stored_moments_exactly(seeded, sessions, offset, kind, loaded):
    """load_touches reads times without DateTime processing (text on SQLite, epoch on PostgreSQL):
    they must still be the exact stored moments, cut at as_of, and give what assess gives."""
    moment = AS_OF + offset
    with sessions.begin() as session:
        log_interaction(find_customer("Big West", session=session), kind, session=session, occurred_at=moment,
                        direction="inbound")
    with sessions() as session:
        big = find_customer("Big West", session=session)
        events = load_touches([big.id], session=session, until=AS_OF).get(big.id, [])
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert [at for _, _, _, at in events] == ([(moment - epoch) // timedelta(microseconds=1)] if loaded else [])
    assert assess(events, AS_OF) == assess([(moment, kind, "inbound")], AS_OF)


def _fortnightly_calls_and_posts(sessions, post_days: list[int | None]) -> None:
    """Big West: a call every two weeks for 20 weeks, then silence; posts ``post_days`` after the
    last call (None: a post with no date)."""
    from models.entities import Post, Source

    with sessions.begin() as session:
        big = find_customer("Big West", session=session)
        for week in range(0, 21, 2):
            log_interaction(big, "call", session=session, occurred_at=START + timedelta(weeks=week))
        source = Source(customer_id=big.id, kind="rss", target="https://bigwest.example/feed.xml")
        session.add(source)
        session.flush()
        last_call = START + timedelta(weeks=20)
        session.add_all(Post(source_id=source.id, customer_id=big.id, external_id=f"p{i}", title="news",
                             published_at=None if day is None else last_call + timedelta(days=day))
                        for i, day in enumerate(post_days))


# long enough a tie that 35 silent days keep it clear of strong_tie's threshold (66 points, not
# within risk_margin_points of 55): only the posts can put it at risk
QUIET = START + timedelta(weeks=20, days=35)


@pytest.mark.parametrize("post_days, recent, risk", [
    pytest.param([], 0, "", id="no-posts"),
    pytest.param([None, None, None], 0, "", id="undated-posts-say-nothing"),
    pytest.param([3, 12, 20, 30], 3, "active publicly \u2014 4 posts in the 35 days since the last two-way contact",
                 id="active-while-we-are-silent"),
    pytest.param([3, 40, 50], 0, "", id="posts-after-as-of-do-not-count"),
])
def test_activity_is_loaded_explained_and_sharpens_the_stored_risk(seeded, db_url, sessions, post_days, recent, risk):
    _fortnightly_calls_and_posts(sessions, post_days)
    with sessions() as session:
        big = next(s for s in relationship_statuses(session=session, as_of=QUIET, params=ScoringParams()) if s.customer == "Big West")
    assert big.components["activity"] == 0.0 and big.risk_reason == risk and big.at_risk is bool(risk)
    assert any(f"they posted {recent} times in the last 30 days" in line for line in big.explanation) is bool(recent)
    score_job(Runtime(settings=Settings(database_url=db_url)), as_of=QUIET)
    with sessions() as session:
        stored = [c.reason for c in session.scalars(select(StageChange).where(
            StageChange.track == "risk", StageChange.customer_id == find_customer("Big West", session=session).id))]
    # flagged at the first midnight past twice the usual gap, when three of the posts were out
    assert stored == (["active publicly \u2014 3 posts in the 29 days since the last two-way contact"] if risk else [])
