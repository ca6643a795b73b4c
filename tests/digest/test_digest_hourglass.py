"""The hourglass figures from known stage-change history, and the chart drawn from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from bot.report import render_hourglass_png
from bot.rules.hourglass import StageCount, hourglass_counts, stage_stays, stall_stage
from config.vocabulary import HOURGLASS_STAGES as HOURGLASS_ORDER

T0 = datetime(2026, 9, 1, tzinfo=timezone.utc)
AS_OF = T0 + timedelta(days=100)


@dataclass
class Change:
    customer_id: int
    to_stage: str
    changed_at: datetime


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


HISTORY = [
    # customer 1: know 10 days, like 30 days, trust since day 40 (60 days so far)
    Change(1, "know", day(0)), Change(1, "like", day(10)), Change(1, "trust", day(40)),
    # customer 2: know 20 days, like since day 20 (80 days so far)
    Change(2, "know", day(0)), Change(2, "like", day(20)),
    # customer 3: like since day 90 (10 days so far)
    Change(3, "like", day(90)),
    # customer 4: know since day 70 (30 days); a future change is ignored
    Change(4, "know", day(70)), Change(4, "try", day(130)),
]


def by_stage(counts: list[StageCount]) -> dict[str, StageCount]:
    return {c.stage: c for c in counts}


def test_stays_are_cut_at_each_change():
    stays = sorted((s.customer_id, s.stage, s.days(AS_OF)) for s in stage_stays(HISTORY, AS_OF))
    assert stays == [(1, "know", 10), (1, "like", 30), (1, "trust", 60), (2, "know", 20), (2, "like", 80),
                     (3, "like", 10), (4, "know", 30)]


def test_counts_and_median_dwell_per_stage():
    current = {1: "trust", 2: "like", 3: "like", 4: "know", 5: "know"}  # 5 has no stored history yet
    counts = by_stage(hourglass_counts(HISTORY, current, AS_OF))
    assert [c.stage for c in hourglass_counts(HISTORY, current, AS_OF)] == list(HOURGLASS_ORDER)
    assert {s: c.count for s, c in counts.items()} == {
        "know": 2, "like": 2, "trust": 1, "try": 0, "buy": 0, "repeat": 0, "refer": 0}
    assert counts["know"].median_dwell_days == 20  # stays of 10, 20, 30 days
    assert counts["like"].median_dwell_days == 30  # 30, 80, 10
    assert counts["trust"].median_dwell_days == 60
    assert counts["try"].median_dwell_days is None
    assert counts["like"].median_current_days == 45  # customers 2 and 3 now: 80 and 10
    assert counts["know"].median_current_days == 30  # customer 5 has no known entry time


def test_a_current_stage_the_history_does_not_show_gets_no_dwell():
    counts = by_stage(hourglass_counts([Change(1, "know", day(0))], {1: "like"}, AS_OF))
    assert counts["like"].count == 1 and counts["like"].median_current_days is None
    assert counts["know"].count == 0 and counts["know"].median_dwell_days is None


@pytest.mark.parametrize("counts, expected", [
    pytest.param([StageCount("know", 3, 5, 5), StageCount("like", 2, 40, 40)], "like", id="longest-sitting"),
    pytest.param([StageCount("know", 3, 40, 40), StageCount("like", 5, 40, 40)], "like", id="tie-goes-to-the-bigger"),
    pytest.param([StageCount("know", 0, 90, None), StageCount("like", 1, 2, 2)], "like", id="empty-stage-cannot-stall"),
    pytest.param([StageCount("know", 0, None, None)], None, id="nothing-to-say"),
])
def test_stall_stage(counts, expected):
    stall = stall_stage(counts)
    assert (stall.stage if stall else None) == expected


def test_chart_is_a_valid_png_of_a_sensible_size():
    counts = hourglass_counts(HISTORY, {1: "trust", 2: "like", 3: "like", 4: "know"}, AS_OF)
    png = render_hourglass_png(counts, title="East: hourglass")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1000, 500)


def test_chart_of_an_empty_team_still_renders():
    png = render_hourglass_png(hourglass_counts([], {}, AS_OF), title="Nobody yet")
    assert png.startswith(b"\x89PNG")


def test_stage_orders_are_the_entities_own():
    """One definition of the stage orders (models.entities); a copy could drift from it."""
    from config.vocabulary import HOURGLASS_STAGES, STAGE_ORDERS, TIE_STAGES

    assert STAGE_ORDERS["tie"] is TIE_STAGES and STAGE_ORDERS["hourglass"] is HOURGLASS_STAGES


@pytest.mark.parametrize(
    "track, expected",
    [
        pytest.param("tie", [("unaware", 0), ("awareness", 0), ("weak_tie", 2), ("building", 1), ("strong_tie", 0)],
                     id="tie-stages-in-funnel-order"),
        pytest.param("hourglass", [("know", 0), ("like", 2), ("trust", 1), ("try", 0), ("buy", 0), ("repeat", 0),
                                   ("refer", 0)], id="hourglass-stages-in-order"),
    ],
)
def test_stage_census_counts_every_stage_in_order(track, expected):
    from bot.rules.hourglass import stage_census
    from bot.rules.status import RelationshipStatus

    def status(stage, hourglass):
        return RelationshipStatus(customer_id=1, customer="X", company="", team="T", team_id=1, owner=None,
                                  owner_name=None, revenue_rank=1, score=0.0, stage=stage, hourglass=hourglass,
                                  at_risk=False, last_interaction_at=None)

    statuses = [status("weak_tie", "like"), status("weak_tie", "like"), status("building", "trust")]
    assert stage_census(statuses, track) == expected


# --- where work is stuck: never the goal, no dwell where nobody is, the chart and the digest agree ----


def rs(customer_id: int, name: str, hourglass: str, rank: int | None):
    from bot.rules.status import RelationshipStatus

    return RelationshipStatus(customer_id=customer_id, customer=name, company="", team="T", team_id=1, owner=None,
                              owner_name=None, revenue_rank=rank, score=0.0, stage="weak_tie", hourglass=hourglass,
                              at_risk=False, last_interaction_at=None)


@pytest.mark.parametrize("counts, expected", [
    pytest.param([StageCount("like", 2, 5, 5), StageCount("refer", 3, 90, 90)], "like", id="refer-is-the-goal"),
    pytest.param([StageCount("refer", 3, 90, 90)], None, id="only-refer-nothing-stalls"),
    pytest.param([StageCount("repeat", 1, 30, 30), StageCount("refer", 1, 300, 300)], "repeat",
                 id="repeat-is-meant-to-be-left"),
])
def test_stalling_considers_only_stages_meant_to_be_left(counts, expected):
    stall = stall_stage(counts)
    assert (stall.stage if stall else None) == expected


def test_a_stage_nobody_is_in_shows_no_dwell():
    # customer 1 passed through know (10 d) and like (30 d) and sits in trust; nobody is in know or like now
    counts = by_stage(hourglass_counts(HISTORY[:3], {1: "trust"}, AS_OF))
    assert counts["know"].count == 0 and counts["know"].median_dwell_days is None and counts["know"].dwell_label == ""
    assert counts["trust"].dwell_label == "60 d"


def test_longest_sitting_heavy_users_per_stage():
    from bot.rules.hourglass import longest_sitting

    statuses = [rs(1, "Ana", "trust", 3), rs(2, "Ben", "like", 5), rs(3, "Cy", "like", 1), rs(4, "Dee", "know", None)]
    counts = by_stage(longest_sitting(hourglass_counts(HISTORY, {s.customer_id: s.hourglass for s in statuses}, AS_OF),
                                      HISTORY, statuses, AS_OF))
    assert counts["like"].longest == (("Ben", 80.0), ("Cy", 10.0))  # longest first, whatever the rank
    assert counts["trust"].longest == (("Ana", 60.0),)
    assert counts["know"].longest == (("Dee", 30.0),)  # no one ranked there: the unranked are named
    assert counts["try"].longest == ()


def test_unranked_are_not_named_beside_heavy_users():
    from bot.rules.hourglass import longest_sitting

    statuses = [rs(2, "Ben", "like", None), rs(3, "Cy", "like", 4)]
    counts = by_stage(longest_sitting(hourglass_counts(HISTORY, {2: "like", 3: "like"}, AS_OF), HISTORY, statuses,
                                      AS_OF))
    assert counts["like"].longest == (("Cy", 10.0),)


def test_chart_and_digest_agree_on_the_stall_the_dwell_and_the_names():
    from bot.report import chart_rows
    from bot.rules.hourglass import longest_sitting
    from bot.slack.blocks import SLACK, _hourglass_lines

    statuses = [rs(1, "Ana", "trust", 3), rs(2, "Ben", "like", 5), rs(3, "Cy", "like", 1), rs(5, "Eve", "refer", 2)]
    history = HISTORY + [Change(5, "refer", day(-200))]
    counts = longest_sitting(hourglass_counts(history, {s.customer_id: s.hourglass for s in statuses}, AS_OF),
                             history, statuses, AS_OF)
    rows = {r.stage: r for r in chart_rows(counts)}
    digest_text = "\n".join(_hourglass_lines(counts, stall_stage(counts), SLACK))
    # trust: a median 60 days so far (like: 45); refer has sat 300 days, but refer is the goal
    assert [r.stage for r in rows.values() if r.stalled] == ["trust"]
    assert "Stalling at *trust*" in digest_text and "(longest: Ana 60 d)" in digest_text
    assert rows["like"].longest == "Ben 80 d, Cy 10 d"
    lines = {line.split()[0].strip("`"): line for line in digest_text.split("```")[1].splitlines()}
    for stage, row in rows.items():
        assert lines[stage].endswith(f"median stay {row.dwell_label}" if row.dwell_label else str(row.count))
    assert rows["know"].dwell_label == "" and rows["try"].dwell_label == ""
    png = render_hourglass_png(counts, title="East")
    assert int.from_bytes(png[16:20], "big") == 1000
