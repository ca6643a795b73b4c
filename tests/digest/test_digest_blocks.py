"""Digest rendering: every section present, text escaped, Slack's size limits kept."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.rules.digest import Digest, DigestSuggestion, NotablePost, RiskItem, StageMove
from bot.rules.hourglass import StageCount
from bot.slack.blocks import digest_blocks, digest_text, truncate_mrkdwn

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)
HOSTILE = "<!channel> & <@U1>"


def make_digest(**changes) -> Digest:
    base = dict(
        team="East", local_date=date(2026, 11, 23), covered_from=NOW - timedelta(days=1), covered_to=NOW,
        moves=[
            StageMove("Jane Doe", "Dana", "tie", "weak_tie", "building", NOW, "3 meetings in 2 weeks"),
            StageMove("Bob Roe", "Dana", "hourglass", "trust", "like", NOW, "no reply to 4 emails"),
        ],
        newly_at_risk=[RiskItem("Ann Lee", "Sam", NOW, "silent for 40 days, usually every 10")],
        notable_posts=[NotablePost("Jane Doe", "We raised a Series B", "https://acme.example/b", NOW, "funding round")],
        suggestions_by_owner=[("Dana", [DigestSuggestion("congratulate", "Jane Doe", "Congratulate Jane", "https://acme.example/b", 90)])],
        hourglass=[StageCount("know", 2, 10, 10), StageCount("like", 5, 40, 45), StageCount("trust", 1, 5, 5)],
        timezone="America/New_York",
    )
    base.update(changes)
    digest = Digest(**base)
    from bot.rules.hourglass import stall_stage

    return Digest(**{**base, "stall": stall_stage(digest.hourglass)})


def test_sections_in_order_with_their_content():
    text, blocks = digest_blocks(make_digest())
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    headings = [s.split("\n")[0] for s in sections]
    assert headings == ["*Promotions*", "*Demotions*", "*Newly at risk*", "*Notable posts*",
                        "*Today's top suggestions*", "*Hourglass*"]
    assert "Jane Doe" in sections[0] and "weak_tie \u2192 building" in sections[0] and "3 meetings" in sections[0]
    assert "Bob Roe" in sections[1] and "trust \u2192 like" in sections[1]
    assert "Ann Lee" in sections[2] and "silent for 40 days" in sections[2]
    assert "<https://acme.example/b|We raised a Series B>" in sections[3] and "funding round" in sections[3]
    assert "*Dana*" in sections[4] and "Congratulate Jane" in sections[4]
    assert "Stalling at *like*: 5 relationships" in sections[5] and "45 days" in sections[5]
    assert blocks[0]["type"] == "header" and "East" in blocks[0]["text"]["text"]
    assert "Promotions" in text and "Jane Doe" in text  # the fallback carries the content too


def test_every_user_and_post_text_is_escaped():
    digest = make_digest(
        team=HOSTILE,
        moves=[StageMove(HOSTILE, HOSTILE, "tie", "weak_tie", "building", NOW, HOSTILE)],
        newly_at_risk=[RiskItem(HOSTILE, HOSTILE, NOW, HOSTILE)],
        notable_posts=[NotablePost(HOSTILE, HOSTILE, "https://x.example/?a=<!here>", NOW, None)],
        suggestions_by_owner=[(HOSTILE, [DigestSuggestion("share", HOSTILE, HOSTILE, None, 1)])],
    )
    text, blocks = digest_blocks(digest)
    # plain_text (the header) is never parsed for mentions; every mrkdwn text must be escaped
    assert blocks[0]["text"]["type"] == "plain_text"
    rendered = json.dumps(blocks[1:]) + text
    for raw in ("<!channel>", "<@U1>", "<!here>"):
        assert raw not in rendered
    assert "&lt;!channel&gt;" in rendered


def test_empty_sections_say_so():
    _, blocks = digest_blocks(make_digest(moves=[], newly_at_risk=[], notable_posts=[], suggestions_by_owner=[]))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert sections[:5] == ["*Promotions*\nnone", "*Demotions*\nnone", "*Newly at risk*\nnone",
                            "*Notable posts*\nnone", "*Today's top suggestions*\nnone"]


def test_long_content_stays_within_slack_limits():
    moves = [StageMove(f"{i}" + "x" * 400, "o", "tie", "weak_tie", "building", NOW, "r" * 3000) for i in range(30)]
    _, blocks = digest_blocks(make_digest(moves=moves))
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert "and 20 more" in json.dumps(blocks)


def test_terminal_text_is_plain_and_readable():
    out = digest_text(make_digest(notable_posts=[NotablePost("A & B", "Q&A <live>", "https://q.example", NOW, None)]))
    lines = out.splitlines()
    assert lines[0] == "Daily digest \u00b7 East \u00b7 Mon 23 Nov 2026"
    assert "2026-11-22 09:00 \u2192 2026-11-23 09:00 (America/New_York)" in lines[1]
    assert "  \u2022 A & B: Q&A <live> (https://q.example)" in lines
    assert "Hourglass" in lines and any(line.strip().startswith("like") and "5" in line for line in lines)
    assert "&amp;" not in out and "*" not in out


def test_moves_of_one_relationship_share_a_line():
    moves = [
        StageMove("Jane Doe", "Dana", "hourglass", "like", "trust", NOW, "tie became building"),
        StageMove("Jane Doe", "Dana", "tie", "weak_tie", "building", NOW, "score 50 reached 45"),
        StageMove("Bob Roe", None, "hourglass", "try", "buy", NOW, "purchase on 2026-11-22"),
        StageMove("Bob Roe", None, "tie", "building", "strong_tie", NOW, "score 66 reached 65"),
    ]
    out = digest_text(make_digest(moves=moves))
    assert "  \u2022 Jane Doe (Dana) tie weak_tie \u2192 building \u00b7 hourglass like \u2192 trust: score 50 reached 45" in out
    assert ("  \u2022 Bob Roe tie building \u2192 strong_tie \u00b7 hourglass try \u2192 buy: "
            "score 66 reached 65; purchase on 2026-11-22") in out


def _huge_team_digest() -> Digest:
    long = "&<>" * 300 + " " + "word " * 300
    owners = [(f"Owner {o} & co", [DigestSuggestion("share", f"C{o}-{i}", f"Share {long}", f"https://x.example/{o}?a=1&b={i}", 50)
                                   for i in range(20)]) for o in range(200)]
    return make_digest(
        moves=[StageMove(f"Customer {i}", "o", "tie", "weak_tie", "building", NOW, long) for i in range(500)],
        newly_at_risk=[RiskItem(f"Risk {i}", "o", NOW, long) for i in range(500)],
        notable_posts=[NotablePost(f"P{i}", long, f"https://p.example/{i}?a=1&b=2", NOW, None) for i in range(500)],
        suggestions_by_owner=owners,
    )


def test_a_huge_team_fits_one_slack_message():
    fallback, blocks = digest_blocks(_huge_team_digest())
    assert len(blocks) <= 50
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(t) <= 3000 for t in texts)
    assert texts[-1].startswith("*Hourglass*")  # the end of the digest is never pushed out
    assert "and more than one Slack message holds" in json.dumps(blocks)
    assert len(fallback) <= 4000


@pytest.mark.parametrize("text, limit, expected", [
    pytest.param("abcdef", 10, "abcdef", id="short-enough"),
    pytest.param("abcdef", 4, "abc\u2026", id="plain-cut"),
    pytest.param("ab&amp;cd", 4, "ab\u2026", id="entity-not-split"),
    pytest.param("ab&amp;cd", 8, "ab&amp;\u2026", id="entity-kept-whole"),
    pytest.param("see <https://a.example/x|the post> now", 20, "see \u2026", id="link-not-split"),
    pytest.param("hi <@U123> there", 8, "hi \u2026", id="mention-not-split"),
])
def test_truncation_never_splits_an_entity_or_a_link(text, limit, expected):
    assert truncate_mrkdwn(text, limit) == expected


def test_a_long_line_in_a_section_is_cut_on_a_safe_boundary():
    # the cut point of a line that fills a section falls inside '&amp;' for every offset in turn
    for offset in range(5):
        line = "x" * offset + "&" * 2000
        _, blocks = digest_blocks(make_digest(newly_at_risk=[RiskItem("A", None, NOW, line)]))
        (risk,) = [b["text"]["text"] for b in blocks if b["type"] == "section" and "Newly at risk" in b["text"]["text"]]
        assert re.fullmatch(r"[^&]*(?:&amp;)*\u2026", risk.split(": ", 1)[1]), offset
