"""The digest's content, chosen from plain facts: which stage changes are moves, which risk flags
are new, which posts are news and in what order, how many suggestions each owner gets."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple

import pytest

from bot.rules.digest import DigestSuggestion, OpenSuggestion, compose_digest
from bot.rules.gestures import PostFact
from bot.rules.hourglass import StageCount
from bot.rules.status import RelationshipStatus

AS_OF = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)
SINCE = AS_OF - timedelta(days=1)
JANE, BOB, ANN, ZED = 1, 2, 3, 4


class Change(NamedTuple):
    customer_id: int
    track: str
    from_stage: str | None
    to_stage: str
    changed_at: datetime
    reason: str | None = "why"


def status(customer_id: int, name: str, *, owner: str | None = "U0DANA", owner_name: str | None = None,
           revenue_rank: int | None = None, at_risk: bool = False) -> RelationshipStatus:
    return RelationshipStatus(customer_id=customer_id, customer=name, company="Co", team="East", team_id=1, owner=owner,
                              owner_name=owner_name, revenue_rank=revenue_rank, score=50.0, stage="building",
                              hourglass="like", at_risk=at_risk, last_interaction_at=None)


STATUSES = [
    status(JANE, "Jane", revenue_rank=1, at_risk=True),
    status(BOB, "Bob", revenue_rank=2),
    status(ANN, "Ann", owner="U0SAM", owner_name="Sam Lee", revenue_rank=3, at_risk=True),
    status(ZED, "Zed", owner="U0NEW", revenue_rank=None, at_risk=True),
]
OWNER_NAMES = {"U0DANA": "Dana Reyes", "U0SAM": "Sam Lee"}


def hours_ago(hours: float) -> datetime:
    return AS_OF - timedelta(hours=hours)


def digest_of(*, statuses=STATUSES, changes=(), posts=(), suggestions=(), hourglass=()):
    return compose_digest(team="East", timezone="America/New_York", local_date=date(2026, 11, 23), covered_from=SINCE,
                          as_of=AS_OF, statuses=statuses, changes=list(changes), posts=list(posts),
                          suggestions=list(suggestions), owner_names=OWNER_NAMES, hourglass=list(hourglass))


@pytest.mark.parametrize("changes, moves", [
    pytest.param([Change(JANE, "tie", "weak_tie", "building", hours_ago(2))], [("Jane", "weak_tie", "building")],
                 id="a-move-on-the-tie-track"),
    pytest.param([Change(JANE, "hourglass", "like", "like", hours_ago(2))], [], id="same-stage-is-no-move"),
    pytest.param([Change(JANE, "risk", "ok", "at_risk", hours_ago(2))], [], id="the-risk-track-has-no-moves"),
    pytest.param([Change(JANE, "tie", None, "awareness", hours_ago(2))], [], id="a-first-stage-is-no-move"),
    pytest.param([Change(JANE, "tie", "weak_tie", "legendary", hours_ago(2))], [], id="an-unknown-stage-is-no-move"),
    pytest.param([Change(JANE, "tie", "weak_tie", "building", SINCE)], [], id="at-the-last-digest-already-told"),
    pytest.param([Change(JANE, "tie", "weak_tie", "building", AS_OF)], [("Jane", "weak_tie", "building")],
                 id="at-the-digest-moment-counts"),
    pytest.param([Change(JANE, "tie", "weak_tie", "building", hours_ago(-1))], [], id="after-the-digest-moment"),
    pytest.param([Change(99, "tie", "weak_tie", "building", hours_ago(2))], [], id="an-unknown-relationship"),
    pytest.param([Change(BOB, "hourglass", "trust", "like", hours_ago(1)),
                  Change(JANE, "tie", "weak_tie", "building", hours_ago(3))],
                 [("Jane", "weak_tie", "building"), ("Bob", "trust", "like")], id="in-the-order-they-happened"),
])
def test_which_stage_changes_are_moves(changes, moves):
    digest = digest_of(changes=changes)
    assert [(m.customer, m.from_stage, m.to_stage) for m in digest.moves] == moves


def test_moves_split_into_promotions_and_demotions_with_owner_and_reason():
    digest = digest_of(changes=[Change(JANE, "tie", "weak_tie", "building", hours_ago(3), None),
                                Change(ANN, "hourglass", "trust", "like", hours_ago(2), "silence")])
    (promotion,) = digest.promotions
    (demotion,) = digest.demotions
    assert (promotion.customer, promotion.owner, promotion.reason) == ("Jane", "Dana Reyes", "")
    assert (demotion.customer, demotion.owner, demotion.reason) == ("Ann", "Sam Lee", "silence")


@pytest.mark.parametrize("changes, flagged", [
    pytest.param([Change(JANE, "risk", "ok", "at_risk", hours_ago(2), "silent")], [("Jane", hours_ago(2), "silent")],
                 id="flagged-and-still-at-risk"),
    pytest.param([Change(BOB, "risk", "ok", "at_risk", hours_ago(2))], [], id="flag-cleared-since"),
    pytest.param([Change(JANE, "risk", "at_risk", "ok", hours_ago(2))], [], id="back-to-ok"),
    pytest.param([Change(JANE, "risk", "ok", "at_risk", hours_ago(30))], [], id="flagged-before-the-last-digest"),
    pytest.param([Change(JANE, "tie", "ok", "at_risk", hours_ago(2))], [], id="only-the-risk-track-flags"),
    pytest.param([Change(JANE, "risk", "ok", "at_risk", hours_ago(5), "first"),
                  Change(JANE, "risk", "at_risk", "ok", hours_ago(4)),
                  Change(JANE, "risk", "ok", "at_risk", hours_ago(3), "again")],
                 [("Jane", hours_ago(3), "again")], id="once-since-the-latest-flag"),
    pytest.param([Change(ZED, "risk", "ok", "at_risk", hours_ago(5), None),
                  Change(ANN, "risk", "ok", "at_risk", hours_ago(4)),
                  Change(JANE, "risk", "ok", "at_risk", hours_ago(3))],
                 [("Jane", hours_ago(3), "why"), ("Ann", hours_ago(4), "why"), ("Zed", hours_ago(5), "")],
                 id="heaviest-first-unranked-last"),
])
def test_which_risk_flags_are_new(changes, flagged):
    digest = digest_of(changes=changes)
    assert [(r.customer, r.since, r.reason) for r in digest.newly_at_risk] == flagged


def test_an_owner_shows_by_name_then_roster_name_then_user_id():
    digest = digest_of(changes=[Change(cid, "risk", "ok", "at_risk", hours_ago(2)) for cid in (JANE, ANN, ZED)])
    assert [r.owner for r in digest.newly_at_risk] == ["Dana Reyes", "Sam Lee", "U0NEW"]


def post(customer_id: int, title: str, published: datetime, text: str = "", post_id: int = 0) -> PostFact:
    return PostFact(post_id=post_id, customer_id=customer_id, url=f"https://posts.example/{post_id}", title=title,
                    text=text, published_at=published)


@pytest.mark.parametrize("posts, titles", [
    pytest.param([post(BOB, "Pricing thoughts", hours_ago(1)), post(ANN, "We raised a $20M Series B!", hours_ago(9))],
                 ["We raised a $20M Series B!", "Pricing thoughts"], id="milestones-first"),
    pytest.param([post(ANN, "Ann's musing", hours_ago(1)), post(JANE, "Jane's musing", hours_ago(9))],
                 ["Jane's musing", "Ann's musing"], id="then-the-heaviest-customer"),
    pytest.param([post(ZED, "Zed's musing", hours_ago(1)), post(ANN, "Ann's musing", hours_ago(9))],
                 ["Ann's musing", "Zed's musing"], id="unranked-customers-last"),
    pytest.param([post(BOB, "Older", hours_ago(9)), post(BOB, "Newer", hours_ago(1))], ["Newer", "Older"],
                 id="then-the-newest"),
    pytest.param([post(BOB, f"Musing {n}", hours_ago(10 - n)) for n in range(7)],
                 ["Musing 6", "Musing 5", "Musing 4", "Musing 3", "Musing 2"], id="at-most-five"),
    pytest.param([post(BOB, "Last week's", AS_OF - timedelta(days=7)), post(BOB, "Just in time", hours_ago(167))],
                 ["Just in time"], id="a-week-old-is-no-news"),
    pytest.param([post(BOB, "From the future", hours_ago(-1))], [], id="after-the-digest-moment"),
    pytest.param([post(99, "Stranger's", hours_ago(1))], [], id="an-unknown-relationship"),
    pytest.param([post(BOB, "", hours_ago(1), text="  An\nuntitled   note " + "x" * 100)],
                 ["An untitled note " + "x" * 63], id="untitled-named-by-its-text"),
])
def test_which_posts_are_notable_and_in_what_order(posts, titles):
    assert [p.title for p in digest_of(posts=posts).notable_posts] == titles


def test_a_notable_post_names_its_milestone():
    (listed,) = digest_of(posts=[post(ANN, "Big day", hours_ago(1), text="We raised a $20M Series B!", post_id=7)]).notable_posts
    assert (listed.customer, listed.milestone, listed.url, listed.published_at) == (
        "Ann", "funding round", "https://posts.example/7", hours_ago(1))


def open_suggestion(owner_user: str | None, text: str, priority: float) -> OpenSuggestion:
    return OpenSuggestion(owner_user, DigestSuggestion("check_in", "Jane", text, None, priority))


@pytest.mark.parametrize("suggestions, by_owner", [
    pytest.param([open_suggestion("U0DANA", f"s{n}", 90 - n) for n in range(5)], [("Dana Reyes", ["s0", "s1", "s2"])],
                 id="three-per-owner"),
    pytest.param([open_suggestion("U0DANA", "low", 10), open_suggestion("U0DANA", "high", 80)],
                 [("Dana Reyes", ["high", "low"])], id="best-first-within-an-owner"),
    pytest.param([open_suggestion("U0DANA", "first", 50), open_suggestion("U0DANA", "second", 50)],
                 [("Dana Reyes", ["first", "second"])], id="ties-keep-their-order"),
    pytest.param([open_suggestion("U0DANA", "dana", 40), open_suggestion("U0SAM", "sam", 70)],
                 [("Sam Lee", ["sam"]), ("Dana Reyes", ["dana"])], id="owner-with-the-best-suggestion-first"),
    pytest.param([open_suggestion("U0SAM", "sam", 50), open_suggestion("U0DANA", "dana", 50)],
                 [("Dana Reyes", ["dana"]), ("Sam Lee", ["sam"])], id="then-by-owner-name"),
    pytest.param([open_suggestion("U0NEW", "new", 50), open_suggestion(None, "nobody's", 40)],
                 [("U0NEW", ["new"]), ("Unassigned", ["nobody's"])], id="unknown-user-by-id-none-unassigned"),
])
def test_top_suggestions_per_owner(suggestions, by_owner):
    digest = digest_of(suggestions=suggestions)
    assert [(owner, [s.text for s in items]) for owner, items in digest.suggestions_by_owner] == by_owner


@pytest.mark.parametrize("hourglass, stall", [
    pytest.param([StageCount("know", 2, 10.0, 10.0), StageCount("like", 5, 40.0, 45.0)], "like", id="longest-sitting"),
    pytest.param([StageCount("know", 0, None, None)], None, id="nobody-anywhere"),
])
def test_the_digest_carries_the_hourglass_and_where_it_stalls(hourglass, stall):
    digest = digest_of(hourglass=hourglass)
    assert digest.hourglass == hourglass and (digest.stall.stage if digest.stall else None) == stall
    assert (digest.team, digest.local_date, digest.covered_from, digest.covered_to, digest.timezone) == (
        "East", date(2026, 11, 23), SINCE, AS_OF, "America/New_York")


def test_nothing_happened():
    digest = digest_of(statuses=[])
    assert (digest.moves, digest.newly_at_risk, digest.notable_posts, digest.suggestions_by_owner) == ([], [], [], [])
