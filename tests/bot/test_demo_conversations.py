"""`strongtie demo` captures one of each conversation by the real code, with no token and no
network: Maya Lindqvist's reply on Bluesky to Dana's post (the poll reading the bundled author feed
from the demo's loopback AppView) and Kenji Watanabe's message in a Slack Connect channel (the
bundled Events API payload through the message listener's capture)."""

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from bot.cli.main import main
from bot.demo.conversations import ANCHOR, BundledChannels, sample_slack_event


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo's output and its database, run once with no token in the environment."""
    scratch = tmp_path_factory.mktemp("demo-conversations")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "X_BEARER_TOKEN", "LINKEDIN_ACCESS_TOKEN",
                     "STRONGTIE_CONFIG", "STRONGTIE_BLUESKY_API_URL", "STRONGTIE_ALLOW_PRIVATE_NETWORKS"):
            patch.delenv(name, raising=False)
        patch.chdir(scratch)
        started = datetime.now(timezone.utc)
        result = CliRunner().invoke(main, ["demo", "--database", str(scratch / "demo.db")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output, scratch / "demo.db", started


def _captured(path) -> list[tuple[str, str, str, str, str]]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT c.name, i.origin, i.kind, i.direction, i.occurred_at FROM interactions i"
                " JOIN customers c ON c.id = i.customer_id WHERE i.origin IN ('slack_connect', 'bluesky', 'mastodon')"
                " ORDER BY i.occurred_at"))
            return [tuple(str(value) for value in row) for row in rows]
    finally:
        engine.dispose()


def test_each_conversation_moved_its_relationship_exactly_once(demo_run):
    _, path, _ = demo_run
    assert [row[:4] for row in _captured(path)] == [
        ("Maya Lindqvist", "bluesky", "mention", "inbound"),
        ("Kenji Watanabe", "slack_connect", "message", "inbound"),
    ]


def test_the_conversations_happened_a_day_or_two_before_the_run(demo_run):
    """The bundled times move with the run day, so the demo shows recent contact on any day."""
    _, path, started = demo_run
    for *_, occurred in _captured(path):
        moment = datetime.fromisoformat(occurred).replace(tzinfo=timezone.utc)
        assert started - timedelta(days=3) < moment < started - timedelta(days=1)


def test_the_demo_lists_both_as_the_status_line_reads(demo_run):
    output, _, _ = demo_run
    section = output[output.index("Captured conversations"):output.index("2. Board")]
    lines = [line.strip() for line in section.splitlines() if "•" in line]
    assert len(lines) == 2
    assert lines[0].startswith("Maya Lindqvist") and "• mention from them on Bluesky, a reply to Dana Reyes's post on " in lines[0]
    assert lines[1].startswith("Kenji Watanabe") and "• message from them in #halcyon-shared on " in lines[1]
    assert "1 Slack Connect message captured" in output
    assert "Thanks Sam" not in output  # the message's text is never shown nor stored


def test_the_sample_event_is_a_real_event_callback_placed_relative_to_now():
    now = datetime(2031, 6, 15, 12, tzinfo=timezone.utc)
    body = sample_slack_event(now)
    assert body["type"] == "event_callback" and body["authorizations"][0]["team_id"] == "T0DEMO0001"
    at = datetime.fromtimestamp(float(body["event"]["ts"]), timezone.utc)
    assert abs(at - (now - (ANCHOR - datetime(2025, 1, 8, 17, tzinfo=timezone.utc)))) < timedelta(seconds=1)
    assert BundledChannels().conversations_info(channel=body["event"]["channel"])["channel"]["name"] == "halcyon-shared"
