"""Accounts and the words every surface shares, as tables: pure functions, no database."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from bot.cli.board import board_text
from bot.cli.main import configure_logging
from bot.cli.sources import source_state, sources_table
from bot.jobs.outcome import job_line
from bot.jobs.poll import PollSummary
from bot.jobs.score import ScoreSummary
from bot.rules.accounts import accounts_of, single_threaded_accounts
from bot.rules.status import RelationshipStatus, heavy_first, trend_text
from models.scoring.wording import promotion_words, with_article
from models.store.errors import UnknownNameError


def _now() -> datetime:
    return datetime(2026, 11, 16, 9, 0, tzinfo=timezone.utc)


def status(customer: str, company: str, stage: str, score: float, *, rank: int | None = 1, team: str = "East",
           owner: str | None = "U0DANA", owner_name: str | None = "Dana Reyes", trend: float = 0.0) -> RelationshipStatus:
    return RelationshipStatus(customer_id=hash(customer) % 10_000, customer=customer, company=company, team=team,
                              team_id=1, owner=owner, owner_name=owner_name, revenue_rank=rank, score=score,
                              stage=stage, hourglass="know", at_risk=False, last_interaction_at=None, trend=trend)


@pytest.mark.parametrize(
    "contacts, strongest, coverage, single",
    [
        pytest.param([("building", 60)], "building", 1, True, id="one-champion-only"),
        pytest.param([("strong_tie", 80), ("awareness", 20)], "strong_tie", 1, True, id="champion-and-a-name"),
        pytest.param([("building", 60), ("weak_tie", 35)], "building", 2, True, id="covered-but-one-thread"),
        pytest.param([("building", 60), ("strong_tie", 85)], "strong_tie", 2, False, id="two-threads"),
        pytest.param([("weak_tie", 35), ("weak_tie", 30)], "weak_tie", 2, False, id="no-thread-is-not-single"),
        pytest.param([("unaware", 0), ("awareness", 10)], "awareness", 0, False, id="nothing-yet"),
    ],
)
def test_an_account_adds_up_its_contacts(contacts, strongest, coverage, single):
    statuses = [status(f"P{n}", "Acme Corp", stage, score, rank=n + 1) for n, (stage, score) in enumerate(contacts)]
    [account] = accounts_of(statuses)
    document = account.as_json()
    assert set(document) == {"account", "team", "contacts", "strongest", "coverage", "single_threaded"}
    assert (document["strongest"], document["coverage"], document["single_threaded"]) == (strongest, coverage, single)
    assert document["contacts"][0]["stage"] == strongest  # strongest contact first
    assert set(document["contacts"][0]) == {"customer", "score", "stage"}


def test_accounts_group_by_team_and_company_case_insensitively_heavy_users_first():
    statuses = [
        status("Jane", "Acme Corp", "building", 60, rank=3),
        status("Joe", "acme  corp", "weak_tie", 30, rank=4),
        status("Omar", "Globex", "building", 55, rank=1),
        status("Wanda", "Acme Corp", "building", 50, rank=1, team="West"),
        status("Solo", "", "strong_tie", 90, rank=2),  # no company: no account
    ]
    found = accounts_of(statuses)
    assert [(a.team, a.account, [c.customer for c in a.contacts]) for a in found] == [
        ("East", "Globex", ["Omar"]), ("East", "Acme Corp", ["Jane", "Joe"]), ("West", "Acme Corp", ["Wanda"])]
    assert [a.account for a in single_threaded_accounts(statuses)] == ["Globex", "Acme Corp", "Acme Corp"]


@pytest.mark.parametrize(
    "trend, shown",
    [
        pytest.param(-0.4, "0", id="a-tiny-fall-is-not-minus-zero"),
        pytest.param(0.4, "0", id="a-tiny-rise-is-not-plus-zero"),
        pytest.param(-2.6, "-3", id="a-fall"),
        pytest.param(4.5, "+4", id="a-rise"),
    ],
)
def test_trend_reads_right(trend, shown):
    assert trend_text(trend) == shown
    board = board_text([status("Jane", "Acme", "building", 60, trend=trend)], as_of=_now())
    assert "-0 " not in board and "+0 " not in board


def test_json_never_says_minus_zero():
    assert status("Jane", "Acme", "building", 60, trend=-0.04).as_json()["trend"] == 0.0
    assert str(status("Jane", "Acme", "building", 60, trend=-0.04).as_json()["trend"]) == "0.0"


def test_the_board_lists_heavy_users_first_with_owner_names():
    statuses = [status("Small", "A", "strong_tie", 95, rank=3, owner_name="Lee Park"),
                status("Big", "B", "awareness", 10, rank=1),
                status("Unranked", "C", "strong_tie", 99, rank=None)]
    assert [s.customer for s in sorted(statuses, key=heavy_first)] == ["Big", "Small", "Unranked"]
    lines = board_text(statuses, as_of=_now()).splitlines()
    rows = [line for line in lines if any(name in line for name in ("Small", "Big", "Unranked"))]
    assert [row.split()[1] for row in rows] == ["Big", "Small", "Unranked"]
    assert "Dana Reyes" in rows[0] and "Lee Park" in rows[1] and "U0DANA" not in "\n".join(lines)
    assert lines[-1] == "3 relationships, 0 at risk."


@pytest.mark.parametrize(
    "score, threshold, words",
    [
        pytest.param(65.04, 65, "score reached 65, the building threshold", id="at-the-threshold"),
        pytest.param(65.0, 65, "score reached 65, the building threshold", id="exactly"),
        pytest.param(67.25, 65, "score 67.2 reached 65, the building threshold", id="past-it"),
    ],
)
def test_a_promotion_never_says_score_65_reached_65(score, threshold, words):
    assert promotion_words(score, threshold, "building") == words


@pytest.mark.parametrize("kind, words", [("email", "an email"), ("intro", "an intro"), ("call", "a call")])
def test_articles(kind, words):
    assert with_article(kind) == words


def test_an_unknown_kind_lists_every_valid_kind():
    from config.vocabulary import INTERACTION_KINDS
    from models.store.interactions import check_kind

    with pytest.raises(UnknownNameError) as raised:
        check_kind("lunchbreak")
    assert all(kind in str(raised.value) for kind in INTERACTION_KINDS)


def _row(**overrides):
    row = {"id": 1, "customer": "Jane Doe", "kind": "rss", "target": "https://a.example/feed.xml", "enabled": True,
           "in_roster": True, "last_status": "ok", "last_error": None, "posts": 3}
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    "overrides, state",
    [
        pytest.param({}, "ok", id="healthy"),
        pytest.param({"last_status": None}, "never polled", id="never"),
        pytest.param({"enabled": False, "last_status": "disabled"}, "disabled", id="gone-410"),
        pytest.param({"in_roster": False, "enabled": False}, "removed from roster", id="removed"),
    ],
)
def test_a_source_says_whether_it_is_disabled_or_removed(overrides, state):
    assert source_state(_row(**overrides)) == state


def test_source_columns_stay_aligned_whatever_the_url_length():
    rows = [_row(), _row(id=22, target="https://a-very-long-host.example/" + "x" * 80 + "/feed.xml", posts=120),
            _row(id=333, in_roster=False, enabled=False, last_error="HTTP 410 Gone")]
    lines = [line for line in sources_table(rows) if not line.startswith(" " * 3 + " ")]
    starts = {line.index(word) for line, word in zip(lines[1:], ("ok", "ok", "removed"))}
    assert len(starts) == 1  # the state column starts at the same place on every row
    assert any("HTTP 410 Gone" in line for line in sources_table(rows))


@pytest.mark.parametrize(
    "step, result, line",
    [
        pytest.param("bot.jobs.poll:poll_job", PollSummary(sources=3, new_posts=1, not_modified=2, errors=0, seconds=0.25),
                     "poll: 3 sources, 1 new post, 2 not modified (304), 0 errors in 0.2 s", id="poll"),
        pytest.param("bot.jobs.score:score_job", ScoreSummary(_now(), 9, 1, 2, 0, {}),
                     "score: 9 relationships scored, 1 at risk, 2 stage changes stored", id="score"),
        pytest.param("bot.jobs.suggest:suggest_job", [object()], "suggest: 1 new suggestion", id="suggest"),
        pytest.param("bot.jobs.digest:digest_job", [], "digest: no teams", id="digest-without-teams"),
    ],
)
def test_one_log_line_per_job_run(step, result, line):
    assert job_line(step, result) == line


def test_long_running_commands_log_strongtie_info_without_verbose(monkeypatch):
    root, bot = logging.getLogger(), logging.getLogger("bot")
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setattr(bot, "level", bot.level)
    configure_logging(verbose=False, long_running=True)
    assert logging.getLogger("bot.scheduler").isEnabledFor(logging.INFO)
    assert not logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.INFO)


def test_the_digest_names_single_threaded_accounts_heavy_users_first():
    from datetime import date, timedelta

    from bot.rules.digest import compose_digest
    from bot.slack.blocks import digest_blocks, digest_text

    statuses = [status("Jane", "Acme <Corp>", "building", 60, rank=2), status("Joe", "Acme <Corp>", "awareness", 5, rank=5),
                status("Omar", "Globex", "strong_tie", 85, rank=1), status("Ann", "Initech", "weak_tie", 30, rank=3)]
    digest = compose_digest(team="East", timezone="UTC", local_date=date(2026, 11, 16), covered_from=_now() - timedelta(days=1),
                            as_of=_now(), statuses=statuses, changes=[], posts=[], suggestions=[], owner_names={},
                            hourglass=[])
    assert [a.account for a in digest.single_threaded] == ["Globex", "Acme <Corp>"]
    text = digest_text(digest)
    assert "Single-threaded accounts" in text and "Acme <Corp>: only Jane (Dana Reyes) at building of 2 contacts" in text
    fallback, blocks = digest_blocks(digest)
    assert "Acme &lt;Corp&gt;" in json_dump(blocks) and "<Corp>" not in json_dump(blocks)


def json_dump(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
