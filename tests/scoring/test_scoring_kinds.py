"""What each kind of interaction, in each direction, means to the model: what is two-way, what
breaks a silence, and how a one-way touch is named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scoring.histories import START, weekly

from config.scoring import DEFAULT_INTIMACY, ScoringParams
from config.vocabulary import DIRECTIONS, INTERACTION_KINDS, NOT_CONTACT
from models.scoring.assess import Touch, assess
from models.scoring.kinds import (
    COMMERCIAL,
    CONVERSATIONAL,
    GESTURES,
    INHERENTLY_TWO_WAY,
    SERVICES,
    SERVICES_FROM_THEM,
    THEIR_ACTS,
    facts_of,
    kind_facts,
)

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


def test_every_kind_the_model_reads_is_in_the_vocabulary():
    named = (INHERENTLY_TWO_WAY | CONVERSATIONAL | GESTURES | SERVICES | THEIR_ACTS | SERVICES_FROM_THEM | COMMERCIAL
             | NOT_CONTACT)
    assert named <= set(INTERACTION_KINDS)


def test_every_kind_and_direction_of_the_vocabulary_has_its_facts():
    facts = kind_facts(ScoringParams())
    assert all(facts[kind][direction].weight == DEFAULT_INTIMACY[kind]
               for kind in INTERACTION_KINDS for direction in DIRECTIONS)


@pytest.mark.parametrize("kind, direction, theirs, ours", [
    pytest.param("email", "mutual", True, True, id="a-mutual-exchange-counts-for-both"),
    pytest.param("meeting", "inbound", True, False, id="their-request-counts-for-them"),
    pytest.param("call", "outbound", False, True, id="our-call-counts-for-us"),
    pytest.param("like", "mutual", False, True, id="a-mutual-gesture-is-still-ours"),
    pytest.param("comment", "inbound", True, False, id="their-gesture-counts-for-them"),
])
def test_which_side_of_reciprocity_a_touch_adds_to(kind, direction, theirs, ours):
    facts = facts_of(kind, direction, DEFAULT_INTIMACY[kind])
    assert (facts.inbound, facts.outbound) == (theirs, ours)
