"""Text from feeds never drives the terminal: the human output helpers of the command line drop
control characters (even from rows stored before the store cleaned them), and JSON output escapes
the C1 controls JSON itself would leave raw."""

import json

from bot.cli.kit import emit_json, terminal_safe
from models.entities import Customer, Post, Source, Team

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b"


def test_posts_human_output_carries_no_control_characters(cli, sessions):
    with sessions() as session, session.begin():
        team = Team(name="East", slack_channel="C0123456", timezone="UTC", digest_time="09:00", top_n=20)
        session.add(team)
        session.flush()
        jane = Customer(team_id=team.id, name="Jane Doe", name_key="jane doe", company="Acme")
        session.add(jane)
        session.flush()
        feed = Source(customer_id=jane.id, kind="rss", target="https://e.example/f", url="https://e.example/f")
        session.add(feed)
        session.flush()
        session.add(Post(source_id=feed.id, customer_id=jane.id, external_id="x", title=f"Hello {ESCAPES}world", text=""))
    output = cli("posts").output
    assert "Hello ]0;pwned[2Jworld" in output
    assert not any(ord(c) < 32 and c not in "\t\n" or 127 <= ord(c) < 160 for c in output)


def test_json_output_escapes_c1_controls_and_stays_the_same_document(capsys):
    document = [{"title": f"a{ESCAPES}b"}]
    emit_json(document)
    printed = capsys.readouterr().out
    assert "\x9b" not in printed and "\x1b" not in printed
    assert json.loads(printed) == document


def test_terminal_safe_keeps_tabs_and_newlines():
    assert terminal_safe("a\tb\nc\x1b[31md\x7f\x85") == "a\tb\nc[31md"
