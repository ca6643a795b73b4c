"""The tie-strength model's promises (issue 4): the calibration anchors, order independence,
monotonicity, hysteresis, and a stage path that is a pure function of the interactions and as_of."""

from __future__ import annotations

import json
import math
import random
import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.scoring import ScoringParams
from config.vocabulary import DIRECTIONS
from models.scoring.model import Touch, assess, signed

START = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
PARAMS = ScoringParams()
KINDS = ("meeting", "call", "email", "message", "comment", "share", "like", "mention", "gift", "event",
         "intro", "referral", "trial", "purchase", "note")


def weekly(weeks: int, kinds: tuple[str, ...] = ("meeting", "call", "email"), start: datetime = START) -> list[Touch]:
    """Two-way contact once a week, cycling through ``kinds`` (emails as mutual exchanges)."""
    return [Touch(start + timedelta(weeks=w), kinds[w % len(kinds)], "mutual") for w in range(weeks)]


def email_threads(weeks: int) -> list[Touch]:
    """Weekly emails from the customer, each answered by us the next day."""
    touches = []
    for w in range(weeks):
        touches.append(Touch(START + timedelta(weeks=w), "email", "inbound"))
        touches.append(Touch(START + timedelta(weeks=w, days=1), "email", "outbound"))
    return touches


QUARTER = timedelta(weeks=13)
STAGE_ORDER = ("unaware", "awareness", "weak_tie", "building", "strong_tie")


def at_most(stage: str, ceiling: str) -> bool:
    return STAGE_ORDER.index(stage) <= STAGE_ORDER.index(ceiling)


# -- anchors ------------------------------------------------------------------------------------


def test_no_interaction_is_unaware():
    result = assess([], START)
    assert (result.stage, result.score, result.at_risk, result.hourglass) == ("unaware", 0.0, False, "know")
    assert result.last_interaction_at is None and result.transitions == []


def test_a_note_alone_is_not_contact():
    assert assess([Touch(START, "note", "mutual")], START + DAY).stage == "unaware"


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("months_ago", [1, 2, 3, 6, 12])
def test_one_like_months_ago_is_at_most_a_weak_tie(direction, months_ago):
    result = assess([Touch(START, "like", direction)], START + timedelta(days=30 * months_ago))
    assert at_most(result.stage, "weak_tie")
    assert result.stage == "awareness"


@pytest.mark.parametrize("touches", [
    pytest.param(weekly(13, ("meeting",)), id="weekly-meetings"),
    pytest.param(weekly(13, ("call",)), id="weekly-calls"),
    pytest.param(weekly(13, ("meeting", "call", "email")), id="meetings-calls-emails"),
    pytest.param(email_threads(13), id="weekly-email-replies"),
    pytest.param(weekly(13, ("message", "call")), id="messages-and-calls"),
])
def test_a_quarter_of_weekly_two_way_contact_is_a_strong_tie(touches):
    result = assess(touches, START + QUARTER)
    assert result.stage == "strong_tie", (result.score, result.explanation)
    assert not result.at_risk


@pytest.mark.parametrize("touches", [
    pytest.param([Touch(START + timedelta(weeks=w), "email", "outbound") for w in range(13)], id="unanswered-emails"),
    pytest.param([Touch(START + timedelta(weeks=w), "like", "mutual") for w in range(13)], id="weekly-likes"),
    pytest.param([Touch(START + timedelta(weeks=w), "share", "outbound") for w in range(26)], id="half-year-of-shares"),
])
def test_one_way_contact_caps_the_stage(touches):
    result = assess(touches, touches[-1].at + DAY)
    assert at_most(result.stage, "weak_tie")
    assert result.score <= PARAMS.one_way_score_cap


def silent_strong_tie(days_silent: int):
    touches = weekly(13)
    return assess(touches, touches[-1].at + timedelta(days=days_silent))


def test_a_silent_strong_tie_is_at_risk_within_two_months_before_it_is_demoted():
    flagged = [t for t in silent_strong_tie(60).transitions if t.track == "risk" and t.to_stage == "at_risk"]
    assert flagged, "not at risk after 60 days of silence"
    last_contact = weekly(13)[-1].at
    assert flagged[0].at - last_contact <= timedelta(days=60)
    demoted = [t for t in silent_strong_tie(400).transitions if t.track == "tie" and t.from_stage == "strong_tie"]
    assert demoted and flagged[0].at < demoted[0].at


@pytest.mark.parametrize("days_silent, still_strong", [
    pytest.param(0, True, id="right-after"),
    pytest.param(30, True, id="one-month"),
    pytest.param(180, False, id="half-a-year"),
    pytest.param(365, False, id="a-year"),
])
def test_a_silent_strong_tie_fades_by_half_a_year(days_silent, still_strong):
    assert (silent_strong_tie(days_silent).stage == "strong_tie") is still_strong


def test_contact_after_silence_clears_the_risk():
    touches = weekly(13)
    back = touches[-1].at + timedelta(days=50)
    result = assess([*touches, Touch(back, "call", "mutual")], back + DAY)
    assert not result.at_risk
    cleared = [t for t in result.transitions if t.track == "risk" and t.to_stage == "ok"]
    assert cleared and "back in touch: call" in cleared[-1].reason


# -- silence erodes a tie of any age, and our own one-way touches cannot hide it ------------------


def long_tie(weeks: int, services: bool) -> list[Touch]:
    """Weekly two-way contact for ``weeks`` weeks, plus (``services``) a purchase, a referral and an
    intro from the customer along the way."""
    touches = weekly(weeks)
    if services:
        touches += [Touch(START + timedelta(weeks=weeks * share // 4, days=2), kind, "inbound")
                    for share, kind in ((1, "purchase"), (2, "referral"), (3, "intro"))]
    return touches


TIE_AGES = [pytest.param(weeks, services, id=f"{label}-{'with' if services else 'without'}-services")
            for weeks, label in ((13, "3-months"), (52, "1-year"), (104, "2-years"), (156, "3-years"))
            for services in (False, True)]


@pytest.mark.parametrize("weeks, services", TIE_AGES)
def test_half_a_year_of_silence_ends_a_strong_tie_of_any_age_after_flagging_it(weeks, services):
    touches = long_tie(weeks, services)
    last = max(touch.at for touch in touches)
    assert assess(touches, last + DAY).stage == "strong_tie"
    result = assess(touches, last + timedelta(days=180))
    assert result.stage != "strong_tie", (result.score, result.explanation)
    demoted = [t for t in result.transitions if t.track == "tie" and t.from_stage == "strong_tie" and t.at > last]
    flagged = [t for t in result.transitions if t.track == "risk" and t.to_stage == "at_risk" and t.at > last]
    assert demoted and flagged and flagged[0].at < demoted[0].at
    assert flagged[0].at - last <= timedelta(days=60)


@pytest.mark.parametrize("weeks, services", TIE_AGES)
def test_a_month_of_silence_keeps_a_strong_tie_of_any_age(weeks, services):
    touches = long_tie(weeks, services)
    assert assess(touches, max(touch.at for touch in touches) + timedelta(days=30)).stage == "strong_tie"


@pytest.mark.parametrize("every_days", [
    pytest.param(7, id="weekly-likes"),
    pytest.param(21, id="likes-every-three-weeks"),
    pytest.param(50, id="likes-every-fifty-days"),
])
@pytest.mark.parametrize("weeks", [pytest.param(13, id="quarter-old"), pytest.param(104, id="two-years-old")])
def test_our_own_likes_do_not_keep_a_silent_strong_tie_strong(weeks, every_days):
    touches = long_tie(weeks, services=True)
    last = max(touch.at for touch in touches)
    likes = [Touch(last + timedelta(days=day), "like", "outbound") for day in range(every_days, 181, every_days)]
    result = assess(touches + likes, last + timedelta(days=181))
    assert result.stage != "strong_tie", (result.score, result.explanation)
    alone = assess(touches, last + timedelta(days=181))
    assert alone.score <= result.score < PARAMS.demote_strong_tie


def test_a_like_after_a_long_silence_softens_recency_by_at_most_its_reach():
    touches = weekly(13)
    last = touches[-1].at
    as_of = last + timedelta(days=190)
    liked = assess([*touches, Touch(as_of, "like", "outbound")], as_of)
    reach = timedelta(days=PARAMS.one_way_recency_max_days)
    assert liked.components["recency"] == pytest.approx(assess(touches, as_of - reach).components["recency"])
    assert liked.stage != "strong_tie"


@pytest.mark.parametrize("extra, as_of_days, expected", [
    pytest.param([], 95, "95 days since the last two-way contact", id="silence"),
    pytest.param([(80, "like", "outbound")], 95,
                 "95 days since the last two-way contact, counted as 81 (softened by a like from us 15 days ago)",
                 id="softened-by-our-like"),
    pytest.param([(50, "email", "outbound")], 95, "95 days since the last two-way contact", id="too-early-to-soften"),
    pytest.param([(70, "message", "inbound")], 95,
                 "95 days since the last two-way contact, counted as 85 (softened by a message from them 25 days ago)",
                 id="softened-less-than-its-reach"),
])
def test_the_recency_reason_counts_the_days_its_points_use(extra, as_of_days, expected):
    touches = weekly(13)
    last = touches[-1].at
    result = assess([*touches, *(Touch(last + timedelta(days=d), k, dr) for d, k, dr in extra)],
                    last + timedelta(days=as_of_days))
    line = next(line for line in result.explanation if "two-way contact" in line)
    assert line == f"{signed(result.components['recency'])}: {expected}"
    softened = re.search(r"counted as (\d+)", line)
    counted = float(softened.group(1)) if softened else as_of_days
    penalty = PARAMS.weight_recency * (1 - math.exp(-((counted / PARAMS.recency_scale_days) ** 2)))
    assert -result.components["recency"] == pytest.approx(penalty, abs=0.05 * PARAMS.weight_recency)


@pytest.mark.parametrize("touches, as_of_days, words", [
    pytest.param([Touch(START, "like", "outbound")], 200, "no two-way contact in the 200 days since the first contact",
                 id="never-two-way"),
    pytest.param(weekly(13), 400, "days since the last two-way contact", id="long-silent"),
])
def test_the_zero_clamp_is_no_reason_and_the_cap_is_never_negative_zero(touches, as_of_days, words):
    result = assess(touches, touches[-1].at + timedelta(days=as_of_days))
    assert result.score == 0.0 and result.components["cap"] > 0
    assert not any("cannot go below 0" in line for line in result.explanation)
    assert any(words in line for line in result.explanation)
    fresh = assess(weekly(13), weekly(13)[-1].at + DAY)
    assert math.copysign(1.0, fresh.components["cap"]) == 1.0 and fresh.components["cap"] == 0.0
    assert '"cap": -0.0' not in json.dumps(fresh.components)


# -- order independence and monotonicity (property tests) ---------------------------------------

touch_strategy = st.builds(
    Touch,
    at=st.integers(min_value=0, max_value=400 * 24).map(lambda hours: START + timedelta(hours=hours)),
    kind=st.sampled_from(KINDS),
    direction=st.sampled_from(DIRECTIONS),
)
histories = st.lists(touch_strategy, max_size=30)
property_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AS_OF = START + timedelta(days=420)


@property_settings
@given(histories, st.randoms(use_true_random=False))
def test_insertion_order_never_matters(touches, rng):
    shuffled = list(touches)
    rng.shuffle(shuffled)
    assert assess(shuffled, AS_OF) == assess(touches, AS_OF)


@property_settings
@given(histories, touch_strategy, st.integers(min_value=0, max_value=400))
def test_one_more_interaction_never_lowers_the_score(touches, extra, days_after):
    as_of = max([extra.at, *(t.at for t in touches)]) + timedelta(days=days_after)
    assert assess([*touches, extra], as_of).score >= assess(touches, as_of).score - 1e-9


@property_settings
@given(histories, st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=400))
def test_time_passing_without_contact_never_raises_the_score(touches, start_days, later_days):
    first = START + timedelta(days=420 + start_days)
    assert assess(touches, first + timedelta(days=later_days)).score <= assess(touches, first).score + 1e-9


# -- hysteresis and the stage path --------------------------------------------------------------


@property_settings
@given(histories)
def test_stages_hold_their_minimum_dwell_and_move_only_past_their_thresholds(touches):
    result = assess(touches, AS_OF)
    tie = [t for t in result.transitions if t.track == "tie"]
    for previous, change in zip(tie, tie[1:]):
        assert change.at - previous.at >= timedelta(days=PARAMS.min_dwell_days)
    for change in tie:
        assert change.reason
        if change.from_stage == "unaware":
            continue
        if STAGE_ORDER.index(change.to_stage) > STAGE_ORDER.index(change.from_stage):
            assert change.score >= PARAMS.promote_threshold(change.to_stage)
        else:
            assert change.score < PARAMS.demote_threshold(change.from_stage)
    assert all(t.reason for t in result.transitions)


def test_a_score_between_the_thresholds_keeps_the_stage_it_has():
    """Promoted to strong_tie, then fading into the band between 55 and 65: still a strong tie;
    a relationship that never reached 65 stays building at the very same score."""
    touches = weekly(13)
    fading = [assess(touches, touches[-1].at + timedelta(days=d)) for d in range(0, 200, 3)]
    in_band = [r for r in fading if PARAMS.demote_strong_tie <= r.score < PARAMS.promote_strong_tie]
    assert in_band and all(r.stage == "strong_tie" for r in in_band)
    for weeks in range(4, 13):  # a climbing relationship in the same band has not earned strong_tie
        climbing = assess(weekly(weeks), weekly(weeks)[-1].at)
        if PARAMS.demote_strong_tie <= climbing.score < PARAMS.promote_strong_tie:
            assert climbing.stage == "building"
            break
    else:
        pytest.fail("no climbing relationship scored within the strong_tie hysteresis band")


def test_alternating_bursts_and_silences_do_not_flap():
    """Contact bursts every five weeks keep a relationship hovering near the strong_tie
    thresholds; with hysteresis it changes stage only a few times over a year."""
    touches = []
    for cycle in range(10):
        base = START + timedelta(weeks=5 * cycle)
        touches += [Touch(base, "meeting", "mutual"), Touch(base + DAY * 2, "call", "mutual")]
    result = assess(touches, START + timedelta(weeks=52))
    tie_changes = [t for t in result.transitions if t.track == "tie"]
    assert len(tie_changes) <= 5, [(t.at.date(), t.to_stage) for t in tie_changes]


def test_the_minimum_dwell_delays_a_demotion_with_params_that_would_drop_at_once():
    params = ScoringParams(min_dwell_days=30, demote_weak_tie=30.0, promote_weak_tie=30.0)
    touches = [Touch(START, "meeting", "mutual")]
    result = assess(touches, START + timedelta(days=200), params)
    tie = [t for t in result.transitions if t.track == "tie"]
    assert tie[0].to_stage == "weak_tie"
    assert tie[1].at - tie[0].at >= timedelta(days=30)


def test_a_past_date_gives_the_same_answer_whenever_asked():
    touches = weekly(13) + [Touch(START + timedelta(days=300), "meeting", "mutual")]
    past = START + timedelta(days=200)
    then = assess(touches, past)
    later = assess(touches, START + timedelta(days=400))
    assert then == assess([t for t in touches if t.at <= past], past)
    assert later.transitions[:len(then.transitions)] == then.transitions
    assert all(t.at <= past for t in then.transitions)


def test_every_day_of_a_year_agrees_with_the_full_path():
    rng = random.Random(4)
    touches = [Touch(START + timedelta(hours=rng.randrange(300 * 24)), rng.choice(KINDS), rng.choice(DIRECTIONS))
               for _ in range(40)]
    full = assess(touches, START + timedelta(days=365))
    for day in range(0, 365, 7):
        moment = START + timedelta(days=day)
        partial = assess(touches, moment)
        assert partial.transitions == [t for t in full.transitions if t.at <= moment]


# -- hourglass, trend, explanation --------------------------------------------------------------


@pytest.mark.parametrize("extra, hourglass", [
    pytest.param([], "trust", id="tie-alone-reaches-trust"),
    pytest.param([("trial", "mutual")], "try", id="trial"),
    pytest.param([("purchase", "mutual")], "buy", id="purchase"),
    pytest.param([("purchase", "mutual"), ("purchase", "mutual")], "repeat", id="repeat-purchase"),
    pytest.param([("referral", "inbound")], "refer", id="referral-from-them"),
    pytest.param([("referral", "outbound")], "trust", id="referral-we-gave"),
])
def test_hourglass_follows_commercial_events_and_the_tie(extra, hourglass):
    touches = weekly(8) + [Touch(START + timedelta(days=3 + 10 * i), kind, d) for i, (kind, d) in enumerate(extra)]
    assert assess(touches, START + timedelta(weeks=8)).hourglass == hourglass


def test_a_lone_like_stays_at_know():
    assert assess([Touch(START, "like", "inbound")], START + DAY).hourglass == "know"


def test_trend_is_the_score_change_over_fourteen_days():
    touches = weekly(13)
    as_of = touches[-1].at + timedelta(days=40)
    result = assess(touches, as_of)
    assert result.trend == pytest.approx(result.score - assess(touches, as_of - timedelta(days=14)).score)
    assert result.trend < 0


def test_components_add_up_to_the_score_and_the_explanation_names_its_reasons():
    touches = weekly(13) + [Touch(START + timedelta(days=20), "purchase", "mutual")]
    as_of = touches[-2].at + timedelta(days=90)
    result = assess(touches, as_of)
    assert set(result.components) == {"recency", "duration", "intensity", "intimacy", "reciprocity", "services", "activity",
                                      "cap"}
    assert sum(result.components.values()) == pytest.approx(result.score)
    assert result.components["recency"] < 0 < result.components["intimacy"]
    assert any(line.startswith("\u2212") and "90 days since the last two-way contact" in line for line in result.explanation)
    assert any(line.startswith("+") and "meeting on 30 Mar" in line for line in result.explanation)
    assert result.components["services"] > 0


def test_the_one_way_cap_is_explained():
    """Without a recency weight (with it, never-reciprocated contact carries the full penalty, so it
    rarely reaches the cap) frequent unanswered emails score above the cap, which takes the rest."""
    touches = [Touch(START + timedelta(days=i), "email", "outbound") for i in range(0, 60, 3)]
    result = assess(touches, touches[-1].at, ScoringParams(weight_recency=0.0))
    assert result.score == PARAMS.one_way_score_cap and result.components["cap"] < 0
    assert any(line.endswith("capped at 35: contact has only gone one way") for line in result.explanation)


@property_settings
@given(histories)
def test_epoch_microseconds_and_the_short_paths_give_the_same_verdict(touches):
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    as_integers = [Touch((t.at - epoch) // timedelta(microseconds=1), t.kind, t.direction) for t in touches]
    full = assess(touches, AS_OF)
    assert assess(as_integers, AS_OF) == full
    quick = assess(touches, AS_OF, history=False, explain=False)
    assert (quick.score, quick.stage, quick.stage_since, quick.hourglass, quick.at_risk, quick.risk_reason) == (
        full.score, full.stage, full.stage_since, full.hourglass, full.at_risk, full.risk_reason)
    assert quick.transitions == []


@property_settings
@given(histories, st.integers(min_value=0, max_value=400))
def test_the_fall_rate_bound_never_underestimates_a_fall(touches, days):
    """advance() skips scoring a gap's last day when the bound on how fast the score can fall says
    it cannot reach the demotion threshold; that shortcut is exact only if the bound holds."""
    from models.scoring.model import _events, _Replay

    events = _events(touches, math.inf)
    replay = _Replay(PARAMS, record=False)
    for index, event in enumerate(events):
        replay.on_event(event)
        until = events[index + 1][0] if index + 1 < len(events) else event[0] + days
        for later in (event[0] + (until - event[0]) * share for share in (0.1, 0.5, 1.0)):
            assert replay.score(later) >= replay.score_after_event - (later - event[0]) * replay.fall_rate - 1e-9


@property_settings
@given(histories)
def test_touches_in_the_loaders_replay_form_give_the_same_verdict(touches):
    from models.scoring.model import MICROSECONDS_PER_DAY, Replayable

    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    stamps = [((t.at - epoch) // timedelta(microseconds=1), t) for t in touches if t.kind != "note"]
    replayable = Replayable((at / MICROSECONDS_PER_DAY, t.kind, t.direction, at) for at, t in stamps)
    assert assess(replayable, AS_OF) == assess([Touch(at, t.kind, t.direction) for at, t in stamps], AS_OF)


# -- what counts as two-way, and how the reasons read ---------------------------------------------

SILENT_SINCE = weekly(13)[-1].at
LATER = SILENT_SINCE + timedelta(days=57)


@pytest.mark.parametrize("kind, direction, two_way, named", [
    pytest.param("meeting", "inbound", True, "", id="a-meeting-involves-both-whatever-the-direction"),
    pytest.param("event", "outbound", True, "", id="an-event-involves-both"),
    pytest.param("purchase", "inbound", True, "", id="their-purchase-is-a-reciprocal-service"),
    pytest.param("purchase", "outbound", True, "", id="a-purchase-is-theirs-whatever-the-direction"),
    pytest.param("trial", "mutual", True, "", id="their-trial"),
    pytest.param("referral", "inbound", True, "", id="a-referral-from-them"),
    pytest.param("intro", "mutual", True, "", id="an-intro-together"),
    pytest.param("intro", "outbound", False, "an intro from us", id="an-intro-we-made-is-our-service"),
    pytest.param("email", "outbound", False, "an email we sent", id="an-unanswered-email"),
    pytest.param("like", "mutual", False, "a like from us", id="a-like-is-a-gesture"),
    pytest.param("comment", "inbound", False, "a comment from them", id="their-comment"),
])
def test_what_breaks_a_silence_and_how_a_one_way_touch_is_named(kind, direction, two_way, named):
    """A strong tie silent for 57 days, except one touch 9 days ago: two-way touches end the
    silence; a one-way one does not, and the reason names it instead of contradicting it."""
    touch = Touch(LATER - timedelta(days=9), kind, direction)
    result = assess([*weekly(13), touch], LATER)
    assert result.two_way
    if two_way:
        assert not result.at_risk, result.risk_reason
    else:
        assert result.at_risk
        assert result.risk_reason.startswith("no two-way contact for 57 days")
        assert result.risk_reason.endswith(f"; the last touch, 9 days ago, was one-way ({named})")


def test_a_silence_with_no_later_touch_names_none():
    result = assess(weekly(13), LATER)
    assert result.at_risk and result.risk_reason.startswith("no two-way contact for 57 days")
    assert "last touch" not in result.risk_reason


def test_a_recent_buyer_in_regular_contact_is_not_at_risk():
    """The demo's "recent buyer" (Grace O'Connell): meetings until 60 days ago, then our emails
    every 12 days, a trial 40 days ago and their purchase 9 days ago: not 60 days of silence."""
    now = START + timedelta(days=200)
    touches = [Touch(now - timedelta(days=days), "email", "outbound") for days in range(48, 4, -12)]
    touches += [Touch(now - timedelta(days=days), "meeting", "mutual") for days in range(130, 59, -10)]
    touches += [Touch(now - timedelta(days=40), "trial", "mutual"), Touch(now - timedelta(days=9), "purchase", "inbound")]
    result = assess(touches, now)
    assert not result.at_risk, result.risk_reason
    assert result.hourglass == "buy"


@pytest.mark.parametrize("days_silent", [
    pytest.param(120, id="out-of-strong_tie"),
    pytest.param(400, id="down-to-awareness"),
])
def test_a_demotion_reason_shows_a_score_under_the_threshold_it_names(days_silent):
    demotions = [t for t in silent_strong_tie(days_silent).transitions
                 if t.track == "tie" and STAGE_ORDER.index(t.to_stage) < STAGE_ORDER.index(t.from_stage)]
    assert demotions
    for change in demotions:
        shown, threshold = re.fullmatch(r"score fell to ([\d.]+), under the ([\d.]+) that \w+ needs to hold, after .*",
                                        change.reason).groups()
        assert float(shown) < float(threshold) == PARAMS.demote_threshold(change.from_stage)


@pytest.mark.parametrize("points, shown", [
    pytest.param(17.96, "17.9", id="just-under-a-threshold-is-not-rounded-up-to-it"),
    pytest.param(17.0, "17", id="whole"),
    pytest.param(54.25, "54.2", id="one-decimal"),
    pytest.param(100.0, "100", id="full"),
])
def test_figure_never_rounds_a_score_up(points, shown):
    from models.scoring.model import figure

    assert figure(points) == shown


@pytest.mark.parametrize("value, threshold, words", [
    pytest.param(41.37, 38.0, "score 41 is close to 38, where building is lost", id="near"),
    pytest.param(38.3, 38.0, "score 38.3 is close to 38, where building is lost", id="near-rounding-to-the-threshold"),
    pytest.param(37.96, 38.0, "score 37.9 is already under the 38 that building needs to hold", id="held-by-the-dwell"),
])
def test_near_a_threshold_reads_consistently(value, threshold, words):
    from models.scoring.model import _Risk, risk_words

    assert risk_words(_Risk("near", 30.0, value, threshold, "building")) == words


# -- the customer's own activity (their posts) ------------------------------------------------------

FORTNIGHTLY = [Touch(START + timedelta(weeks=2 * w), ("meeting", "call")[w % 2], "mutual") for w in range(8)]
QUIET_FROM = FORTNIGHTLY[-1].at  # usual gap 14 days: the rhythm breaks after 42, or 28 while they post


def posted(*days_after_quiet: float) -> list[datetime]:
    return [QUIET_FROM + timedelta(days=days) for days in days_after_quiet]


@pytest.mark.parametrize("silent_days, posts, at_risk, reason", [
    pytest.param(35, [], False, "", id="quiet-35-days-within-the-rhythm"),
    pytest.param(35, posted(3, 12, 20, 30), True,
                 "active publicly \u2014 4 posts in the 35 days since the last two-way contact", id="posting-while-we-are-silent"),
    pytest.param(35, posted(30), False, "", id="one-post-is-not-active"),
    pytest.param(35, posted(-20, -10, -3), False, "", id="posts-before-our-last-contact-do-not-count"),
    pytest.param(35, posted(36, 40), False, "", id="posts-after-as-of-do-not-count"),
    pytest.param(27, posted(3, 12, 20), False, "", id="not-yet-past-twice-the-usual-gap"),
    pytest.param(45, [], True, "no two-way contact for 45 days, past 42 days for a usual gap of 14", id="rhythm-broken-anyway"),
    pytest.param(45, posted(3, 12, 20), True, "no two-way contact for 45 days, past 42 days for a usual gap of 14, "
                 "while they are active publicly (3 posts meanwhile)", id="rhythm-broken-while-active"),
])
def test_activity_sharpens_at_risk(silent_days, posts, at_risk, reason):
    result = assess(FORTNIGHTLY, QUIET_FROM + timedelta(days=silent_days), activity=posts)
    assert (result.at_risk, result.risk_reason) == (at_risk, reason)


def test_an_active_flag_lands_on_the_day_the_criterion_trips_and_names_a_one_way_touch():
    touches = [*FORTNIGHTLY, Touch(QUIET_FROM + timedelta(days=25), "like", "outbound")]
    result = assess(touches, QUIET_FROM + timedelta(days=60), activity=posted(3, 12))
    flagged = [t for t in result.transitions if t.track == "risk" and t.to_stage == "at_risk"]
    assert flagged[0].at.date() == (QUIET_FROM + timedelta(days=29)).date()  # first midnight past 28 days
    assert flagged[0].reason == ("active publicly \u2014 2 posts in the 29 days since the last two-way contact; "
                                 "the last touch, 4 days ago, was one-way (a like from us)")


@pytest.mark.parametrize("touches, posts, stage, lines", [
    pytest.param([], posted(1, 2, 3, 4, 5), "unaware",
                 ["no interaction yet", "\u00b10: they posted 5 times in the last 30 days (public activity adds no points by itself)"],
                 id="no-interaction-is-unaware-however-much-they-post"),
    pytest.param([Touch(QUIET_FROM - timedelta(days=120), "like", "outbound")], posted(5), "awareness",
                 ["\u00b10: they posted once in the last 30 days (public activity adds no points by itself)"],
                 id="one-old-like-stays-awareness"),
    pytest.param(FORTNIGHTLY, posted(-40, 5), "strong_tie",
                 ["\u00b10: they posted once in the last 30 days (public activity adds no points by itself)"],
                 id="only-the-window-is-counted"),
])
def test_activity_is_explained_and_never_adds_points(touches, posts, stage, lines):
    as_of = QUIET_FROM + timedelta(days=10)
    with_posts, without = assess(touches, as_of, activity=posts), assess(touches, as_of)
    assert with_posts.stage == without.stage == stage
    assert with_posts.score == without.score and with_posts.components == without.components
    assert with_posts.components["activity"] == 0.0
    assert with_posts.explanation[-len(lines):] == lines
    assert with_posts.explanation[:len(without.explanation)] == without.explanation


post_times = st.lists(st.integers(min_value=0, max_value=400 * 24).map(lambda hours: START + timedelta(hours=hours)),
                      max_size=12)


@property_settings
@given(histories, post_times)
def test_activity_changes_no_score_and_a_past_date_still_gives_the_same_path(touches, posts):
    full = assess(touches, AS_OF, activity=posts)
    plain = assess(touches, AS_OF)
    assert (full.score, full.stage, full.hourglass, full.trend) == (plain.score, plain.stage, plain.hourglass, plain.trend)
    for day in range(0, 420, 30):
        moment = START + timedelta(days=day)
        assert assess(touches, moment, activity=posts).transitions == [t for t in full.transitions if t.at <= moment]
