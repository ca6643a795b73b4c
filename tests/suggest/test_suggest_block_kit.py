"""Every suggestion and digest message is Block Kit that slack-sdk's own models accept: each block
parses (``Block.parse``) and serialises (``to_dict`` runs slack-sdk's validators: 3000-character
section text, 150-character headers, 75-character button labels, 50 blocks a message)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest
from slack_sdk.models.blocks import Block

from bot.rules.accounts import Account, Contact
from bot.rules.digest import Digest, DigestSuggestion, NotablePost, RiskItem, StageMove
from bot.rules.gestures import KIND_LABELS, PostFact, SuggestionFacts
from bot.rules.hourglass import StageCount
from bot.rules.status import RelationshipStatus
from bot.rules.suggestions import suggest
from bot.slack.blocks import MAX_BLOCKS, digest_blocks, suggestion_done_message, suggestion_message
from config.vocabulary import HOURGLASS_STAGES

AT = datetime(2026, 11, 26, 10, tzinfo=timezone.utc)
LONG = "An <@U123> & <!channel> very long line " * 200  # far over every limit, with text to escape


def assert_valid(blocks: list[dict]) -> None:
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        assert parsed.to_dict()["type"] == block["type"]  # to_dict() raises on any Block Kit violation


def proposals():
    status = RelationshipStatus(customer_id=1, customer="Carlos " + "Ruiz" * 60, company="Bluefin", team="East",
                                team_id=1, owner="U1", owner_name=None, revenue_rank=1, score=40.0, stage="weak_tie",
                                hourglass="like", at_risk=False, last_interaction_at=AT - timedelta(days=40))
    titles = ["I'm speaking at re:Invent next week", "Promoted to Chief Operating Officer", LONG]
    for index, title in enumerate(titles):
        facts = SuggestionFacts([status], posts=[PostFact(index, 1, "https://blog.example/p?a=1&b=|2", title, LONG,
                                                          AT - timedelta(hours=2))])
        yield from suggest(facts, AT)
    yield from suggest(SuggestionFacts([dataclasses.replace(status, at_risk=True)]), AT)


@pytest.mark.parametrize("kind", sorted(KIND_LABELS))
def test_a_suggestion_message_of_every_kind_is_valid_block_kit(kind):
    _, blocks = suggestion_message(suggestion_id=7, kind=kind, customer="Carlos", text=LONG,
                                   post_url="https://blog.example/post", reason=LONG)
    assert_valid(blocks)


def test_real_proposals_render_as_valid_block_kit():
    made = list(proposals())
    assert {"good_luck", "congratulate", "check_in"} <= {p.kind for p in made}
    for proposal in made:
        _, blocks = suggestion_message(suggestion_id=1, kind=proposal.kind, customer=proposal.customer,
                                       text=proposal.text, post_url=proposal.post_url, reason=proposal.reason)
        assert_valid(blocks)


@pytest.mark.parametrize("outcome", ["done", "snoozed", "dismissed"])
def test_a_suggestion_after_a_click_is_valid_block_kit(outcome):
    _, blocks = suggestion_done_message(kind="good_luck", customer="Carlos", text=LONG, outcome=outcome,
                                        post_url="https://blog.example/post", by="U1", until=AT + timedelta(days=3))
    assert_valid(blocks)


@pytest.mark.parametrize("size", [pytest.param(0, id="empty-digest"), pytest.param(60, id="huge-digest")])
def test_the_digest_is_valid_block_kit(size):
    name = "Maya " + "Lindqvist" * 20
    counts = [StageCount(stage, size, 12.0 if size else None, 10.0 if size else None,
                         tuple((f"{name}{i}", 40.0 - i) for i in range(3)) if size else ())
              for stage in HOURGLASS_STAGES]
    digest = Digest(
        team="East " * 40, local_date=date(2026, 11, 26), covered_from=AT - timedelta(days=1), covered_to=AT,
        moves=[StageMove(f"{name}{i}", "Dana", "tie", "weak_tie", "building", AT, LONG) for i in range(size)],
        newly_at_risk=[RiskItem(f"{name}{i}", "Dana", AT, LONG) for i in range(size)],
        notable_posts=[NotablePost(f"{name}{i}", LONG, "https://blog.example/x", AT, "upcoming talk")
                       for i in range(min(size, 5))],
        suggestions_by_owner=[(f"Owner {o}", [DigestSuggestion("good_luck", name, LONG, "https://b.example", 50.0)] * 3)
                              for o in range(size)],
        hourglass=counts, stall=counts[1] if size else None,
        single_threaded=[Account(f"Acct{i}", "East", (Contact(name, 50.0, "building", "Dana"),), 1)
                         for i in range(size)],
    )
    _, blocks = digest_blocks(digest)
    assert_valid(blocks)
