"""`strongtie demo` end to end: it must work with no token and no network, and show every part."""

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.demo.sample import CUSTOMER_PERSONAS


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "X_BEARER_TOKEN", "LINKEDIN_ACCESS_TOKEN", "STRONGTIE_CONFIG"):
            patch.delenv(name, raising=False)
        patch.chdir(scratch)
        result = CliRunner().invoke(main, ["demo", "--database", str(scratch / "demo.db")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (scratch / "demo.db").exists()
    return result.output


def _section(output: str, start: str, end: str) -> str:
    return output[output.index(start):output.index(end)]


def test_every_part_is_built(demo_output):
    assert "not built yet" not in demo_output.lower()
    assert "Not built yet" not in demo_output


def test_roster_and_polling(demo_output):
    assert "21 customers added" in demo_output
    assert "Untracked (beyond top_n by revenue): Zoe Kim" in demo_output
    poll = _section(demo_output, "1. Poll", "2. Board")
    assert "26 new posts" in poll  # every bundled post of the tracked customers
    assert "Peter Walsh (rss)" in poll and "500" in poll  # the broken feed is named, the pass went on


def test_board_lists_exactly_the_tracked_customers(demo_output):
    board = _section(demo_output, "2. Board", "3. Hourglass")
    tracked = [name for name in CUSTOMER_PERSONAS if name != "Zoe Kim"]
    for name in tracked:
        assert name[:18] in board
    assert "Zoe Kim" not in board
    assert len([line for line in board.splitlines() if line.startswith("  ") and "customer" not in line]) == 20


def test_hourglass_counts_add_up_to_the_board(demo_output):
    hourglass = _section(demo_output, "3. Hourglass", "4. Today's suggestions")
    by_stage, by_hourglass = hourglass.split("by hourglass:")
    for part in (by_stage, by_hourglass):
        counts = [int(line.split()[-1]) for line in part.splitlines() if line.startswith("    ")]
        assert sum(counts) == 20


def test_suggestions_and_digest_have_content(demo_output):
    suggestions = _section(demo_output, "4. Today's suggestions", "5. Daily digest")
    assert "why:" in suggestions
    digest = demo_output[demo_output.index("5. Daily digest"):]
    assert "Strategic Accounts" in digest
    assert "<script>" not in demo_output


def test_demo_refuses_to_reuse_a_database(tmp_path):
    existing = tmp_path / "old.db"
    existing.write_bytes(b"")
    result = CliRunner().invoke(main, ["demo", "--database", str(existing)])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_demo_wishes_luck_for_an_upcoming_talk_and_asks_after_a_promotion(demo_output):
    """The bundled feeds hold a talk still to come (Rahul) and a promotion (Tomás, at risk)."""
    suggestions = _section(demo_output, "4. Today's suggestions", "5. Daily digest")
    assert "Wish luck: Rahul Mehta" in suggestions and "Good luck with the talk, Rahul!" in suggestions
    assert "Congratulations on the talk, Rahul" not in suggestions
    assert "Congratulations on the Chief Operating Officer role, Tomás! How is the new job treating you?" in suggestions
